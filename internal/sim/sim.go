// Package sim drives a real llmrouter.Router over simulated deployments on
// virtual time: latencies follow given distributions (log-normal, Pareto
// tails, step changes), deployments go down and come back, and nothing
// sleeps. Its tests run each scenario in a testing/synctest bubble, whose
// clock moves only when every goroutine is blocked (the router's own
// timers, such as a hedge's delay, included), so a run of 6,000 requests
// over twenty virtual minutes takes a fraction of a second. A run is
// deterministic for a seed: arrivals, each call's latency (drawn from a
// generator seeded by the request, deployment and call) and the
// strategies' picks (internal/rng).
package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/llmrouter/llmrouter"
)

// Deployment is a simulated deployment.
type Deployment struct {
	Name   string
	Region string
	Price  llmrouter.Price
	// Latency is the distribution of a whole answer's duration at virtual
	// time at (since the start of the run).
	Latency func(at time.Duration) Dist
	// Down, when not nil, says whether the deployment is down at at: a call
	// then fails with a 503 after DownLatency.
	Down func(at time.Duration) bool
	// Capacity is how many calls in flight the deployment serves at full
	// speed: each call in flight adds 1/Capacity to a new call's latency.
	// Zero: no slowdown under load.
	Capacity int
}

// DownLatency is how long a call to a deployment that is down takes to fail.
const DownLatency = 300 * time.Millisecond

// Scenario is a set of deployments and the traffic sent to them.
type Scenario struct {
	Name        string
	Deployments []Deployment
	// Requests arrive at Rate per second (Poisson).
	Requests int
	Rate     float64
	// Policies apply router-wide; a call that any of them refuses reaching
	// a deployment is a violation.
	Policies []llmrouter.Policy
	// Stream sends every request with ChatStream: a deployment's Latency
	// is then its time to the first visible chunk (the rest of the answer
	// follows at once), and a request's latency is the time until
	// ChatStream returns, which is when its first chunk can be shown.
	Stream bool
}

// Duration is the scenario's expected length in virtual time.
func (sc *Scenario) Duration() time.Duration {
	return time.Duration(float64(sc.Requests) / sc.Rate * float64(time.Second))
}

// Every request has this usage: a prompt and a mid-sized answer.
const (
	inputTokens  = 1000
	outputTokens = 200
)

// Point is one request on a run's timeline.
type Point struct {
	At      time.Duration // arrival
	Latency time.Duration
}

// Result is what one run measured.
type Result struct {
	Scenario, Strategy string
	P50, P90, P99      time.Duration
	Cost               float64 // US dollars, every request
	// CheapestCost is what the successful requests would have cost, each
	// on the cheapest deployment the policies allow.
	CheapestCost float64
	Errors       int // requests that failed
	Calls        int // attempts, all requests together
	Violations   int // calls to a deployment a policy refuses
	Timeline     []Point
}

// ExtraCallsPct is the attempts beyond one per request (failovers,
// hedges), as a percentage of requests.
func (r *Result) ExtraCallsPct() float64 {
	n := len(r.Timeline)
	if n == 0 {
		return 0
	}
	return 100 * float64(r.Calls-n) / float64(n)
}

// Line is the result in the form the project's tooling parses.
func (r *Result) Line() string {
	return fmt.Sprintf("sim scenario=%s strategy=%s p50_ms=%.0f p99_ms=%.0f cost_usd=%.4f errors=%d extra_calls_pct=%.2f",
		r.Scenario, r.Strategy, ms(r.P50), ms(r.P99), r.Cost, r.Errors, r.ExtraCallsPct())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// summarise computes the percentiles and orders the timeline by arrival.
func (res *Result) summarise() {
	lats := make([]time.Duration, len(res.Timeline))
	for i, pt := range res.Timeline {
		lats[i] = pt.Latency
	}
	slices.Sort(lats)
	res.P50, res.P90, res.P99 = quantile(lats, 0.50), quantile(lats, 0.90), quantile(lats, 0.99)
	slices.SortFunc(res.Timeline, func(a, b Point) int { return int(a.At - b.At) })
}

// quantile of sorted values (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func allowed(ps []llmrouter.Policy, d *llmrouter.Deployment) bool {
	req := &llmrouter.Request{Model: "chat"}
	for _, p := range ps {
		if ok, _ := p.Check(req, d); !ok {
			return false
		}
	}
	return true
}
