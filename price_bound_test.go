package llmrouter

import (
	"math/rand/v2"
	"testing"
)

// The most-cost estimate over a route's non-dominated price bounds equals
// the largest estimate over every member, for random prices and counts.
func TestPriceBoundsKeepTheLargestEstimate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	price := func() float64 { return float64(rng.IntN(6)) * 0.5 } // ties are common
	for trial := range 2000 {
		ds := make([]*deployment, 1+rng.IntN(6))
		for i := range ds {
			ds[i] = &deployment{Deployment: Deployment{Price: Price{InputPerMTok: price(), OutputPerMTok: price(),
				CachedInputPerMTok: price() * float64(rng.IntN(2)), CacheWritePerMTok: price() * float64(rng.IntN(2))}}}
		}
		bs := priceBounds(ds)
		if len(bs) == 0 || len(bs) > len(ds) {
			t.Fatalf("trial %d: %d bounds for %d deployments", trial, len(bs), len(ds))
		}
		in, out := rng.IntN(1_000_000), rng.IntN(100_000)
		var want int64
		for _, d := range ds {
			want = max(want, d.Price.estimateMicroUSD(in, out))
		}
		if got := maxEstimate(bs, in, out); got != want {
			t.Fatalf("trial %d: maxEstimate = %d, want %d (bounds %v)", trial, got, want, bs)
		}
	}
	if got := maxEstimate(nil, 10, 10); got != 0 {
		t.Errorf("no bounds: %d, want 0", got)
	}
}

// Cost's path for usage without cache tokens gives exactly what the full
// formula gives.
func TestCostWithoutCacheMatchesTheFullFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 2000 {
		p := Price{InputPerMTok: rng.Float64() * 20, OutputPerMTok: rng.Float64() * 80,
			CachedInputPerMTok: rng.Float64() * 2, CacheWritePerMTok: rng.Float64() * 30}
		u := Usage{InputTokens: rng.IntN(2_000_000), OutputTokens: rng.IntN(200_000), ReasoningTokens: rng.IntN(1000)}
		if got, want := p.Cost(u), p.cacheCost(u); got != want {
			t.Fatalf("trial %d: Cost = %v, full formula %v (%+v, %+v)", trial, got, want, p, u)
		}
	}
}
