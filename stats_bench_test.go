package llmrouter

import (
	"math"
	"testing"
	"time"
)

// benchCands are two measured candidates, as a tier of the benchmark
// router offers them.
func benchCands() []Candidate {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &call{}
	c.estInput, c.estOutput, c.rt = 20, 256, &route{}
	c.pickNow = now.Add(time.Second).UnixNano()
	var cands []Candidate
	for _, name := range []string{"d0", "d1"} {
		d := &deployment{Deployment: Deployment{Name: name, Price: Price{InputPerMTok: 1, OutputPerMTok: 4}}, decay: float64(DefaultStatsDecay), health: &health{}, breakerState: &breakerState{}}
		d.stats.observe(now, time.Second, 0, 200, false, d.decay)
		c.rt.members = append(c.rt.members, d)
		cands = append(cands, Candidate{Deployment: &d.Deployment, c: c})
	}
	return cands
}

// BenchmarkPick measures one pick among two measured candidates per
// strategy: what a strategy adds to a request, without the noise of the
// whole call.
func BenchmarkPick(b *testing.B) {
	req := &Request{AffinityKey: "conversation-42"}
	for _, s := range []struct {
		name string
		s    Strategy
	}{{"WeightedRandom", WeightedRandom}, {"LeastLatency", LeastLatency}, {"Cheapest", Cheapest}, {"PriceWeighted", PriceWeighted}, {"Sticky", Sticky}} {
		b.Run(s.name, func(b *testing.B) {
			cands := benchCands()
			b.ReportAllocs()
			for b.Loop() {
				s.s.Pick(req, cands)
			}
		})
	}
}

// BenchmarkStatsObserve measures the update every attempt's end makes.
func BenchmarkStatsObserve(b *testing.B) {
	var st deploymentStats
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	decay := float64(DefaultStatsDecay)
	b.ReportAllocs()
	for b.Loop() {
		start = start.Add(time.Millisecond)
		st.observe(start, time.Second, 0, 200, false, decay)
	}
}

func TestDecayWeight(t *testing.T) {
	for _, x := range []float64{0, 1e-9, 1e-4, 0.01, 0.0624, 0.0625, 0.5, 3, 50} {
		if got, want := decayWeight(x), math.Exp(-x); math.Abs(got-want) > 1e-8 {
			t.Errorf("decayWeight(%v) = %v, want %v", x, got, want)
		}
	}
}
