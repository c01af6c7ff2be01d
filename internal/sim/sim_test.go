package sim

import (
	"flag"
	"os"
	"testing"

	"github.com/llmrouter/llmrouter/internal/racedetect"
	"go.uber.org/goleak"
)

var svgOut = flag.String("sim.svg", "", "write the slow-one latency plot to this file")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSimulate runs every scenario under every strategy and prints one
// line per run in the form the project's tooling parses. It checks the
// targets the README states.
func TestSimulate(t *testing.T) {
	n := 6000
	if racedetect.Enabled || testing.Short() {
		n = 1500
	}
	results := map[string]map[string]*Result{}
	var slowOne []*Result
	for _, sc := range Scenarios(n) {
		results[sc.Name] = map[string]*Result{}
		for _, s := range Strategies() {
			res, err := Run(sc, s.Name, s.Strategy, 42)
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res.Line())
			results[sc.Name][s.Name] = res
			if sc.Name == "slow-one" {
				slowOne = append(slowOne, res)
			}
			if res.Violations != 0 {
				t.Errorf("%s/%s: %d calls reached a deployment a policy refuses", sc.Name, s.Name, res.Violations)
			}
		}
	}
	if *svgOut != "" {
		f, err := os.Create(*svgOut)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteSVG(f, "slow-one: one of three deployments becomes 5× slower halfway (p90 latency per 30s of arrivals)", slowOne); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}

	base := results["healthy"]["WeightedRandom"].P99
	if got := results["slow-one"]["LeastLatency"].P99; float64(got) > 1.2*float64(base) {
		t.Errorf("slow-one: LeastLatency p99 %v is above 1.2× WeightedRandom's in healthy (%v)", got, base)
	}
	ch := results["price-spread"]["Cheapest"]
	if ch.Cost > 1.01*ch.CheapestCost {
		t.Errorf("price-spread: Cheapest cost $%.4f is more than 1%% above the cheapest allowed ($%.4f)", ch.Cost, ch.CheapestCost)
	}
}

// TestDeterministic: the same seed gives the same run.
func TestDeterministic(t *testing.T) {
	sc := Scenarios(300)[1]
	s := Strategies()[2]
	a, err := Run(sc, s.Name, s.Strategy, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Run(sc, s.Name, s.Strategy, 7)
	if a.Line() != b.Line() {
		t.Fatalf("two runs differ:\n%s\n%s", a.Line(), b.Line())
	}
}
