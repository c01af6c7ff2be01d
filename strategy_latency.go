package llmrouter

import "github.com/llmrouter/llmrouter/internal/rng"

// LeastLatency picks by the power of two choices over peak-EWMA latency
// (the rule of Finagle, Linkerd and tower's PeakEwma): it draws two
// distinct candidates at random and takes the one whose cost is lower, the
// cost being
//
//	Latency × (1 + InFlight/4) / (1 - ErrorRate) / Weight
//
// (Weight zero counts as 1; the error-rate factor is capped at 100). A
// candidate not measured yet is given the other's latency, so it competes
// on load alone and gets measured. Latency is the time to first visible
// chunk for streams and the duration per output token for whole answers;
// see Candidate.Latency. Two random draws rather than the global minimum
// keep concurrent requests from herding onto one deployment between
// updates.
//
// Finagle multiplies by (InFlight + 1): a server's calls in flight queue,
// so each adds a whole call's latency. An LLM deployment serves many calls
// at once and each of ours adds little; with the full factor, a deployment
// five times slower keeps getting a call whenever the others have four in
// flight, which the simulator showed as a p99 over twice the healthy one
// (internal/sim, scenario slow-one). A quarter per call still spreads
// bursts and breaks ties by load.
var LeastLatency Strategy = leastLatency{}

type leastLatency struct{}

func (leastLatency) Pick(_ *Request, cands []Candidate) int {
	n := len(cands)
	if n == 1 {
		return 0
	}
	x := rng.Uint64()
	i := int(uint32(x) % uint32(n))
	j := int(uint32(x>>32) % uint32(n-1))
	if j >= i {
		j++
	}
	return lowerCost(cands, i, j)
}

// lowerCost returns whichever of candidates i and j has the lower P2C cost;
// i on a tie.
func lowerCost(cands []Candidate, i, j int) int {
	a, b := &cands[i], &cands[j]
	la, ea := a.p2c()
	lb, eb := b.p2c()
	if b.loadScore(lb, eb, la) < a.loadScore(la, ea, lb) {
		return j
	}
	return i
}
