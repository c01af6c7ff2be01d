package llmrouter

import "github.com/llmrouter/llmrouter/internal/rng"

// The price-aware strategies. Both price a request as
// Candidate.EstimatedCost does: the router's input estimate at the input
// price plus the reserved output at the output price. Policies have already
// removed every deployment the request may not use, so the cheapest
// candidate is the cheapest allowed one.
var (
	// Cheapest picks the candidate on which the request would cost least.
	// Among candidates that cost the same it takes the one with the lowest
	// LeastLatency cost (latency × (in flight + 1) / success rate). A
	// failing cheapest deployment is left by failover and, when its breaker
	// opens, by routing.
	Cheapest Strategy = cheapest{}
	// PriceWeighted picks at random with probability proportional to the
	// inverse square of the request's cost (OpenRouter's rule: a deployment
	// half the price gets four times the traffic), among the candidates
	// that have not failed within the statistics' decay window (30s by
	// default, WithStatsDecay); when every candidate has, among all of
	// them. A free deployment takes every request it can.
	PriceWeighted Strategy = priceWeighted{}
)

// sameCost is the relative difference under which two costs are equal.
const sameCost = 1e-9

type cheapest struct{}

func (cheapest) Pick(_ *Request, cands []Candidate) int {
	best, bestCost := 0, cands[0].EstimatedCost()
	for i := 1; i < len(cands); i++ {
		switch cost := cands[i].EstimatedCost(); {
		case cost < bestCost*(1-sameCost):
			best, bestCost = i, cost
		case cost <= bestCost*(1+sameCost):
			best = lowerCost(cands, best, i)
		}
	}
	return best
}

type priceWeighted struct{}

// minCost stands in for a zero cost, so that a free deployment has a
// finite, overwhelming weight.
const minCost = 1e-12

func (priceWeighted) Pick(_ *Request, cands []Candidate) int {
	if len(cands) == 1 {
		return 0
	}
	window := cands[0].decay()
	healthy := 0
	for i := range cands {
		if !cands[i].FailedWithin(window) {
			healthy++
		}
	}
	use := func(c *Candidate) bool { return healthy == 0 || !c.FailedWithin(window) }
	total := 0.0
	for i := range cands {
		if use(&cands[i]) {
			total += inverseSquare(cands[i].EstimatedCost())
		}
	}
	x := rng.Float64() * total
	last := 0
	for i := range cands {
		if !use(&cands[i]) {
			continue
		}
		last = i
		if x -= inverseSquare(cands[i].EstimatedCost()); x < 0 {
			return i
		}
	}
	return last
}

func inverseSquare(cost float64) float64 {
	cost = max(cost, minCost)
	return 1 / (cost * cost)
}
