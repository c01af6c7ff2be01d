package sim

import (
	"time"

	"github.com/llmrouter/llmrouter"
)

// The standard scenarios. Each has three or four deployments in one tier,
// answers of 1,000 tokens in and 200 out, and traffic at 5 requests per
// second (about five calls in flight); n is the number of requests.
//
//   - healthy: three equal deployments (log-normal, median 1s, σ 0.3): the
//     baseline.
//   - slow-one: the same three; halfway through, one becomes 5× slower.
//   - heavy-tail: three equal deployments whose answers take a Pareto tail
//     (minimum 2s, α 1.3, cut at 60s) one time in twenty.
//   - price-spread: four deployments of equal latency at prices 1×, 3× and
//     10×, and a fourth at 0.3× that the router-wide policy refuses (it is
//     in the US; the policy wants the EU).
//   - outage: three equal deployments; one fails every call (a 503 after
//     300ms) through the middle third of the run.
//   - heavy-tail-stream: heavy-tail's deployments, streamed: the tail is
//     in the time to the first visible chunk, and latency is that time.
func Scenarios(n int) []Scenario {
	healthy := func(time.Duration) Dist { return LogNormal{Median: time.Second, Sigma: 0.3} }
	price := llmrouter.Price{InputPerMTok: 1, OutputPerMTok: 4}
	equal := func(latency func(time.Duration) Dist) []Deployment {
		return []Deployment{
			{Name: "a", Region: "eu-west-1", Price: price, Latency: latency, Capacity: capacity},
			{Name: "b", Region: "eu-west-1", Price: price, Latency: latency, Capacity: capacity},
			{Name: "c", Region: "eu-west-1", Price: price, Latency: latency, Capacity: capacity},
		}
	}
	const rate = 5
	half := time.Duration(float64(n) / rate / 2 * float64(time.Second))

	slow := equal(healthy)
	slow[2].Latency = func(at time.Duration) Dist {
		if at >= half {
			return Scaled{Dist: healthy(at), Factor: 5}
		}
		return healthy(at)
	}

	tail := func(time.Duration) Dist {
		return Mixture{Body: LogNormal{Median: time.Second, Sigma: 0.3},
			Tail: Pareto{Min: 2 * time.Second, Alpha: 1.3, Max: time.Minute}, P: 0.05}
	}

	spread := []Deployment{
		{Name: "us-cheap", Region: "us-east-1", Price: scale(price, 0.3), Latency: healthy, Capacity: capacity},
		{Name: "eu-1x", Region: "eu-west-1", Price: price, Latency: healthy, Capacity: capacity},
		{Name: "eu-3x", Region: "eu-west-1", Price: scale(price, 3), Latency: healthy, Capacity: capacity},
		{Name: "eu-10x", Region: "eu-west-1", Price: scale(price, 10), Latency: healthy, Capacity: capacity},
	}

	outage := equal(healthy)
	third := 2 * half / 3
	outage[1].Down = func(at time.Duration) bool { return at >= third && at < 2*third }

	sc := func(name string, deps []Deployment, policies ...llmrouter.Policy) Scenario {
		return Scenario{Name: name, Deployments: deps, Requests: n, Rate: rate, Policies: policies}
	}
	return []Scenario{
		sc("healthy", equal(healthy)),
		sc("slow-one", slow),
		sc("heavy-tail", equal(tail)),
		sc("price-spread", spread, llmrouter.RegionIn("eu-*")),
		sc("outage", outage),
		streamed(sc("heavy-tail-stream", equal(tail))),
	}
}

func streamed(sc Scenario) Scenario {
	sc.Stream = true
	return sc
}

// capacity: each call in flight on a deployment makes its next call 1/16
// slower (a shared, provisioned deployment).
const capacity = 16

func scale(p llmrouter.Price, f float64) llmrouter.Price {
	return llmrouter.Price{InputPerMTok: p.InputPerMTok * f, OutputPerMTok: p.OutputPerMTok * f}
}

// HedgeDelay is the hedge delay of the "+hedge" runs: above what healthy
// answers take (their p99.9 under load is about 2.5s), so that the 5%
// budget goes to calls caught in a tail. (2s spent it on slow healthy
// answers too and met the heavy-tail target at 3 seeds of 6; 2.5s at 5.)
const HedgeDelay = 2500 * time.Millisecond

// Strategies are the built-in strategies by their Go names, then
// WeightedRandom and LeastLatency with hedging on (Delay HedgeDelay, at
// most 5% extra calls), named with "+hedge".
func Strategies() []NamedStrategy {
	hedge := llmrouter.Hedge{Delay: HedgeDelay, MaxExtra: 0.05}
	return []NamedStrategy{
		{Name: "WeightedRandom", Strategy: llmrouter.WeightedRandom},
		{Name: "LeastBusy", Strategy: llmrouter.LeastBusy},
		{Name: "LeastLatency", Strategy: llmrouter.LeastLatency},
		{Name: "Cheapest", Strategy: llmrouter.Cheapest},
		{Name: "PriceWeighted", Strategy: llmrouter.PriceWeighted},
		{Name: "Sticky", Strategy: llmrouter.Sticky},
		{Name: "WeightedRandom+hedge", Strategy: llmrouter.WeightedRandom, Hedge: hedge},
		{Name: "LeastLatency+hedge", Strategy: llmrouter.LeastLatency, Hedge: hedge},
	}
}

// NamedStrategy is a strategy, the hedging its route uses, and the name
// results carry.
type NamedStrategy struct {
	Name     string
	Strategy llmrouter.Strategy
	Hedge    llmrouter.Hedge
}
