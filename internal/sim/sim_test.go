package sim

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/llmrouter/llmrouter/internal/racedetect"
	"go.uber.org/goleak"
)

var svgOut = flag.String("sim.svg", "", "write the slow-one latency plot to this file")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fullRun is the number of requests per scenario the README's figures
// come from.
const fullRun = 6000

// TestSimulate runs every scenario under every strategy and prints one
// line per run, on stdout, in the form the project's tooling parses (run
// it with -v to see them). It checks the targets the README states.
func TestSimulate(t *testing.T) {
	n := fullRun
	if racedetect.Enabled || testing.Short() {
		n = 1500
	}
	results := map[string]map[string]*Result{}
	var slowOne []*Result
	for _, sc := range Scenarios(n) {
		results[sc.Name] = map[string]*Result{}
		for _, s := range Strategies() {
			res := run(t, sc, s.Name, s.Strategy, s.Hedge, 42)
			fmt.Println(res.Line()) // at the start of a line, for .ci/run and other parsers
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

	// The latency target is stated for the full run: in a short one the
	// few seconds after the slowdown, before the slow deployment's first
	// answers come back, are a larger share of the requests.
	base := results["healthy"]["WeightedRandom"].P99
	if got := results["slow-one"]["LeastLatency"].P99; n == fullRun && float64(got) > 1.2*float64(base) {
		t.Errorf("slow-one: LeastLatency p99 %v is above 1.2× WeightedRandom's in healthy (%v)", got, base)
	}
	// Whole answers, and streams hedged before their first chunk (latency
	// then is the time to it).
	for _, sc := range []string{"heavy-tail", "heavy-tail-stream"} {
		ll, hedged := results[sc]["LeastLatency"], results[sc]["LeastLatency+hedge"]
		if n == fullRun && float64(hedged.P99) > 0.5*float64(ll.P99) {
			t.Errorf("%s: LeastLatency+hedge p99 %v is above half of LeastLatency's (%v)", sc, hedged.P99, ll.P99)
		}
		if hedged.ExtraCallsPct() > 5 {
			t.Errorf("%s: LeastLatency+hedge made %.2f%% extra calls, above 5%%", sc, hedged.ExtraCallsPct())
		}
	}
	ch := results["price-spread"]["Cheapest"]
	if ch.Cost > 1.01*ch.CheapestCost {
		t.Errorf("price-spread: Cheapest cost $%.4f is more than 1%% above the cheapest allowed ($%.4f)", ch.Cost, ch.CheapestCost)
	}
}

// TestDeterministic: the same seed gives the same run.
func TestDeterministic(t *testing.T) {
	sc := Scenarios(1000)[2]
	s := Strategies()[len(Strategies())-1] // LeastLatency+hedge
	a := run(t, sc, s.Name, s.Strategy, s.Hedge, 7)
	b := run(t, sc, s.Name, s.Strategy, s.Hedge, 7)
	if a.Line() != b.Line() {
		t.Fatalf("two runs differ:\n%s\n%s", a.Line(), b.Line())
	}
}
