package llmrouter

import "github.com/llmrouter/llmrouter/internal/rng"

// Route is an ordered list of tiers of deployments. The router serves a
// request from the first tier that has a usable candidate, choosing within
// the tier by Strategy, and falls back to later tiers as earlier ones fail
// or are unavailable.
type Route struct {
	// Tiers lists deployment names, best tier first. Required; each name
	// must be a deployment and appear once in the route.
	Tiers [][]string
	// Strategy picks within a tier. Nil means WeightedRandom.
	Strategy Strategy
	// ContentFallback, when true, tries a request that a provider's safety
	// system refused (a KindContentPolicy error, or an answer finished by
	// a content filter before any visible content) on the route's next
	// candidate instead of ending it. Default false: a refusal is final.
	ContentFallback bool
	// Hedge, when its Delay is set, sends a whole-answer request that has
	// not been answered after Delay to the route's next usable candidate
	// as well, and takes the first answer. See Hedge.
	Hedge Hedge
	// Fallback names the routes (or deployments) a request to this route
	// moves to, in order, when the route has nowhere left to go and the
	// request names none of its own (Request.Fallback, which replaces
	// these). It is LiteLLM's fallbacks (and default_fallbacks) for one
	// model group. The rules of Request.Fallback apply: at most
	// MaxFallbacks names, none twice, none the route itself.
	Fallback []string
	// FallbackOn names, for a kind of failure, the routes a request moves
	// to when a failure of that kind ends this route, instead of Fallback:
	// a failure of a kind it names ends the route at once (its other
	// candidates are not tried) and the request moves to that kind's
	// routes; an empty list ends the request. It is LiteLLM's
	// context_window_fallbacks (KindContextLength) and
	// content_policy_fallbacks (KindContentPolicy, which here also counts
	// an answer a content filter stopped). A request naming its own
	// Fallback uses that instead.
	FallbackOn map[Kind][]string
}

// Strategy picks which deployment of a tier to call next. Pick gets the
// tier's usable candidates (allowed by every policy, breaker not open, not
// cooling down, under their limits, not yet spent for this request), never
// an empty list, and returns the index of its choice.
//
// Pick is called on the request's goroutine, concurrently for different
// requests; it must be safe for concurrent use and must not block. It must
// not keep cands, which the router reuses.
type Strategy interface {
	Pick(req *Request, cands []Candidate) int
}

// StrategyFunc adapts a function to a Strategy.
type StrategyFunc func(req *Request, cands []Candidate) int

// Pick calls f(req, cands).
func (f StrategyFunc) Pick(req *Request, cands []Candidate) int { return f(req, cands) }

// Candidate is a deployment a Strategy may pick, with its live state. Its
// methods (Latency, LatencyP90, ErrorRate, Throughput, FailedWithin,
// EstimatedCost) give the deployment's statistics and the request's cost
// there.
type Candidate struct {
	Deployment *Deployment
	// InFlight is the calls in progress on the deployment, all requests
	// together.
	InFlight int64

	// c is the request picking; nil for a Candidate built by hand. (One
	// pointer, not three fields: a call must stay within its 2,304-byte
	// size class, and holds four Candidates inline.)
	c *call
}

// The built-in strategies.
var (
	// WeightedRandom picks at random, in proportion to Deployment.Weight
	// (zero counts as 1). It is the default.
	WeightedRandom Strategy = weightedRandom{}
	// LeastBusy picks the candidate with the fewest calls in flight, at
	// random among ties.
	LeastBusy Strategy = leastBusy{}
)

type weightedRandom struct{}

func (weightedRandom) Pick(_ *Request, cands []Candidate) int {
	if len(cands) == 1 {
		return 0
	}
	return drawWeighted(len(cands), func(k int) float64 { return weight(cands[k].Deployment) })
}

// drawWeighted picks one of n items, item k with probability w(k) over
// the sum of them all, from one random draw.
func drawWeighted(n int, w func(k int) float64) int {
	total := 0.0
	for k := range n {
		total += w(k)
	}
	x := rng.Float64() * total
	for k := range n {
		if x -= w(k); x < 0 {
			return k
		}
	}
	return n - 1
}

// pickWeighted is WeightedRandom's pick among the route members idx (an
// index into idx), with the same draw: when every member weighs the same,
// without summing weights.
func (rt *route) pickWeighted(idx []int32) int {
	if rt.sameWeights {
		return min(int(rng.Float64()*float64(len(idx))), len(idx)-1)
	}
	return drawWeighted(len(idx), func(k int) float64 { return weight(&rt.members[idx[k]].Deployment) })
}

func weight(d *Deployment) float64 {
	if d.Weight == 0 {
		return 1
	}
	return d.Weight
}

type leastBusy struct{}

func (leastBusy) Pick(_ *Request, cands []Candidate) int {
	best, ties := 0, 1
	for i := 1; i < len(cands); i++ {
		switch {
		case cands[i].InFlight < cands[best].InFlight:
			best, ties = i, 1
		case cands[i].InFlight == cands[best].InFlight:
			// Reservoir sampling keeps a uniform choice among ties.
			ties++
			if rng.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return best
}
