package replay_test

import (
	"fmt"
	"os"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/config"
	"github.com/llmrouter/llmrouter/replay"
)

// Replay a decision log under a configuration that halves one
// deployment's prices, with stand-ins for the providers the file names.
func ExampleRun() {
	var standIns replay.StandIns
	recs, err := readLog("testdata/records.jsonl")
	if err != nil {
		panic(err)
	}
	for _, rec := range recs {
		standIns.Learn(rec)
	}
	data, err := os.ReadFile("testdata/prices.yaml")
	if err != nil {
		panic(err)
	}
	cfg, err := config.Parse(data, llmrouter.Config{})
	if err != nil {
		panic(err)
	}
	fmt.Println("stand-ins:", standIns.Fill(cfg))
	r, err := replay.New(cfg)
	if err != nil {
		panic(err)
	}
	for _, rec := range recs {
		r.Add(rec)
	}
	rep := r.Report()
	fmt.Printf("replayed %d of %d: %d unchanged, %d moved, %d refused\n", rep.Replayed, rep.Records, rep.Same, rep.Moved, rep.Refused)
	fmt.Printf("cost: $%.5f recorded, $%.5f at the new prices\n", rep.Cost.Old, rep.Cost.New)
	// Output:
	// stand-ins: [anthropic-eu openai-eu openai-us]
	// replayed 19 of 20: 18 unchanged, 0 moved, 1 refused
	// cost: $0.06772 recorded, $0.03392 at the new prices
}

func readLog(path string) ([]*llmrouter.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return replay.ReadAll(f)
}
