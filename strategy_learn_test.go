package llmrouter_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/rng"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// timed is a provider that moves a fake clock by each call's latency
// instead of sleeping, answering 100 output tokens (or failing when fail
// says so).
type timed struct {
	clk     *clock
	latency func(d *llmrouter.Deployment) time.Duration
	fail    func(d *llmrouter.Deployment) bool
	calls   map[string]int
}

func (p *timed) Name() string        { return "timed" }
func (p *timed) HonorsContext() bool { return true }

func (p *timed) Chat(_ context.Context, d *llmrouter.Deployment, _ *llmrouter.Request) (*llmrouter.Response, error) {
	p.clk.Advance(p.latency(d))
	if p.calls == nil {
		p.calls = map[string]int{}
	}
	p.calls[d.Name]++ // the tests call one at a time
	if p.fail != nil && p.fail(d) {
		return nil, &llmrouter.ProviderError{Provider: "timed", Deployment: d.Name, Kind: llmrouter.KindServer, StatusCode: 503}
	}
	return &llmrouter.Response{Text: "ok", FinishReason: llmrouter.FinishStop,
		Usage: llmrouter.Usage{InputTokens: 10, OutputTokens: 100}}, nil
}

// Stream produces its first chunk after the call's latency and the rest
// (100 tokens) a second later.
func (p *timed) Stream(_ context.Context, d *llmrouter.Deployment, _ *llmrouter.Request) (llmrouter.ChunkStream, error) {
	return &timedStream{clk: p.clk, ttft: p.latency(d)}, nil
}

type timedStream struct {
	clk  *clock
	ttft time.Duration
	n    int
	cur  llmrouter.Chunk
}

func (s *timedStream) Next() bool {
	s.n++
	switch s.n {
	case 1:
		s.clk.Advance(s.ttft)
		s.cur = llmrouter.Chunk{Text: "ok"}
	case 2:
		s.clk.Advance(time.Second)
		s.cur = llmrouter.Chunk{FinishReason: llmrouter.FinishStop, Usage: &llmrouter.Usage{InputTokens: 10, OutputTokens: 100}}
	default:
		return false
	}
	return true
}

func (s *timedStream) Current() llmrouter.Chunk { return s.cur }
func (s *timedStream) Err() error               { return nil }
func (s *timedStream) Close() error             { return nil }

// learnRouter builds a router on clk over deployments a, b, c served by p,
// in one tier under strategy s, with breakers off (the strategies alone
// must steer) and failover to untried deployments only.
func learnRouter(t *testing.T, clk *clock, p llmrouter.Provider, s llmrouter.Strategy, opts ...llmrouter.Option) *llmrouter.Router {
	t.Helper()
	rng.Seed(1)
	t.Cleanup(rng.Unseed)
	r, err := llmrouter.New(append([]llmrouter.Option{
		llmrouter.WithDeployments(dep("a", p), dep("b", p), dep("c", p)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a", "b", "c"}}, Strategy: s}),
		llmrouter.WithClock(clk.Now),
		llmrouter.WithBreaker(llmrouter.BreakerPolicy{Disabled: true}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1}),
	}, opts...)...)
	require.NoError(t, err)
	return r
}

// served sends n requests and counts the deployment that answered each.
func served(t *testing.T, r *llmrouter.Router, n int, req func(i int) *llmrouter.Request) map[string]int {
	t.Helper()
	got := map[string]int{}
	for i := range n {
		resp, err := r.Chat(context.Background(), req(i))
		require.NoError(t, err)
		got[resp.Deployment]++
	}
	return got
}

func plain(int) *llmrouter.Request { return hello("chat") }

// oneApart is a timed provider on clk where deployment name answers in its
// latency and every other deployment in others.
func oneApart(clk *clock, name string, its, others time.Duration) *timed {
	return &timed{clk: clk, latency: func(d *llmrouter.Deployment) time.Duration {
		if d.Name == name {
			return its
		}
		return others
	}}
}

// measure calls each named deployment once, so that it has statistics.
func measure(t *testing.T, r *llmrouter.Router, names ...string) {
	t.Helper()
	for _, name := range names {
		_, err := r.Chat(context.Background(), hello(name))
		require.NoError(t, err)
	}
}

func TestLeastLatencyAvoidsTheSlowDeployment(t *testing.T) {
	clk := newClock()
	slow := 500 * time.Millisecond
	p := &timed{clk: clk, latency: func(d *llmrouter.Deployment) time.Duration {
		if d.Name == "b" {
			return slow
		}
		return 100 * time.Millisecond
	}}
	r := learnRouter(t, clk, p, llmrouter.LeastLatency)
	got := served(t, r, 300, plain)
	assert.Less(t, got["b"], 15, "the 5× slower deployment is all but left alone: %v", got)
	assert.Greater(t, got["a"], 100, "%v", got)
	assert.Greater(t, got["c"], 100, "%v", got)

	// b recovers; once its estimate has decayed it is tried, measured fast,
	// and takes its share again.
	slow = 100 * time.Millisecond
	clk.Advance(10 * time.Minute) // its 5ms/token decays below 1ms/token after ~6.4 min idle
	got = served(t, r, 300, plain)
	assert.Greater(t, got["b"], 20, "a recovered deployment is used again: %v", got)
}

func TestLeastLatencyAvoidsAFailingDeployment(t *testing.T) {
	clk := newClock()
	p := &timed{clk: clk,
		latency: func(*llmrouter.Deployment) time.Duration { return 100 * time.Millisecond },
		fail:    func(d *llmrouter.Deployment) bool { return d.Name == "a" },
	}
	r := learnRouter(t, clk, p, llmrouter.LeastLatency)
	served(t, r, 300, plain)
	assert.Less(t, p.calls["a"], 40, "fast failures do not attract traffic: %v", p.calls)
	assert.Greater(t, r.Stats().Deployments[0].ErrorRate, 0.2)
}

func TestLeastLatencyWeighsCallsInFlight(t *testing.T) {
	rng.Seed(2)
	defer rng.Unseed()
	// Unmeasured candidates compete on load alone.
	cands := []llmrouter.Candidate{{Deployment: &llmrouter.Deployment{Name: "busy"}, InFlight: 9}, {Deployment: &llmrouter.Deployment{Name: "idle"}}}
	for range 50 {
		assert.Equal(t, 1, llmrouter.LeastLatency.Pick(hello("chat"), cands))
	}
}

func TestPeakEWMA(t *testing.T) {
	clk := newClock()
	lat := 100 * time.Millisecond
	p := &timed{clk: clk, latency: func(*llmrouter.Deployment) time.Duration { return lat }}
	r := learnRouter(t, clk, p, nil, llmrouter.WithStatsDecay(10*time.Second))
	perToken := func() time.Duration { return r.Stats().Deployments[0].TimePerToken }
	call := func() {
		_, err := r.Chat(context.Background(), hello("a"))
		require.NoError(t, err)
	}
	call()
	assert.Equal(t, time.Millisecond, perToken(), "100ms for 100 tokens")
	lat = time.Second
	call()
	assert.Equal(t, 10*time.Millisecond, perToken(), "a peak replaces the estimate at once")
	lat = 100 * time.Millisecond
	clk.Advance(10*time.Second - lat)
	call() // one decay window later: weight 1-1/e for the new sample
	assert.InDelta(t, 10*0.3679+1*0.6321, perToken().Seconds()*1e3, 0.01)
	before := perToken()
	clk.Advance(20 * time.Second)
	assert.InDelta(t, float64(before)*math.Exp(-0.5), float64(perToken()), 1000,
		"read after a quiet spell, the estimate decays toward zero, four times slower")
	// 1000, 100 and 1000 tokens/s, weighted by the time between them.
	assert.InDelta(t, 1000*0.9048*0.3679+100*0.0952*0.3679+1000*0.6321, r.Stats().Deployments[0].Throughput, 1)
}

func TestCheapestPicksTheCheapestAllowed(t *testing.T) {
	clk := newClock()
	p := oneApart(clk, "c", 300*time.Millisecond, 100*time.Millisecond)
	a, b, c, us := dep("a", p), dep("b", p), dep("c", p), dep("us", p)
	a.Price = llmrouter.Price{InputPerMTok: 3, OutputPerMTok: 15}
	b.Price = llmrouter.Price{InputPerMTok: 1, OutputPerMTok: 4}
	c.Price = b.Price
	us.Price = llmrouter.Price{InputPerMTok: 0.1, OutputPerMTok: 0.4}
	for _, d := range []*llmrouter.Deployment{&a, &b, &c} {
		d.Region = "eu-west-1"
	}
	us.Region = "us-east-1"
	rng.Seed(3)
	defer rng.Unseed()
	r, err := llmrouter.New(llmrouter.WithDeployments(a, b, c, us),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"us", "a", "b", "c"}}, Strategy: llmrouter.Cheapest}),
		llmrouter.WithPolicies(llmrouter.RegionIn("eu-*")),
		llmrouter.WithClock(clk.Now))
	require.NoError(t, err)
	got := served(t, r, 50, plain)
	assert.Zero(t, got["us"], "a policy refusal comes before price")
	assert.Zero(t, got["a"])
	assert.Greater(t, got["b"], 45, "between equal prices, the faster wins once measured: %v", got)
}

func TestPriceWeightedSharesByInverseSquare(t *testing.T) {
	rng.Seed(4)
	defer rng.Unseed()
	clk := newClock()
	fail := false
	p := &timed{clk: clk, latency: func(*llmrouter.Deployment) time.Duration { return 10 * time.Millisecond },
		fail: func(d *llmrouter.Deployment) bool { return fail && d.Name == "a" }}
	a, b, c := dep("a", p), dep("b", p), dep("c", p)
	a.Price = llmrouter.Price{InputPerMTok: 1, OutputPerMTok: 1}
	b.Price = llmrouter.Price{InputPerMTok: 2, OutputPerMTok: 2}
	c.Price = llmrouter.Price{InputPerMTok: 4, OutputPerMTok: 4}
	r, err := llmrouter.New(llmrouter.WithDeployments(a, b, c),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a", "b", "c"}}, Strategy: llmrouter.PriceWeighted}),
		llmrouter.WithClock(clk.Now), llmrouter.WithBreaker(llmrouter.BreakerPolicy{Disabled: true}))
	require.NoError(t, err)
	const n = 4200
	got := served(t, r, n, plain)
	// Weights 1, 1/4, 1/16: shares 16/21, 4/21, 1/21.
	assert.InDelta(t, 16.0/21, float64(got["a"])/n, 0.03, "%v", got)
	assert.InDelta(t, 4.0/21, float64(got["b"])/n, 0.03, "%v", got)
	assert.InDelta(t, 1.0/21, float64(got["c"])/n, 0.02, "%v", got)

	// a fails once: for the next 30s it is picked only when nothing else is
	// usable; afterwards it takes its share again.
	fail = true
	for before := p.calls["a"]; p.calls["a"] == before; {
		resp, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
		require.NotEqual(t, "a", resp.Deployment)
	}
	fail = false
	got = served(t, r, 200, plain)
	assert.Zero(t, got["a"], "failed within the window: %v", got)
	clk.Advance(31 * time.Second)
	got = served(t, r, 200, plain)
	assert.Greater(t, got["a"], 100, "the window has passed: %v", got)
}

func TestStickyKeepsAKeyOnOneDeployment(t *testing.T) {
	clk := newClock()
	down := ""
	p := &timed{clk: clk, latency: func(*llmrouter.Deployment) time.Duration { return 10 * time.Millisecond }}
	refuse := llmrouter.Policy{Name: "maintenance", Check: func(_ *llmrouter.Request, d *llmrouter.Deployment) (bool, string) {
		return d.Name != down, "down for maintenance"
	}}
	r := learnRouter(t, clk, p, llmrouter.Sticky, llmrouter.WithPolicies(refuse))
	keyed := func(key string) func(int) *llmrouter.Request {
		return func(int) *llmrouter.Request {
			req := hello("chat")
			req.AffinityKey = key
			return req
		}
	}
	home := map[string]string{}
	spread := map[string]int{}
	for k := range 60 {
		key := fmt.Sprintf("conversation-%d", k)
		got := served(t, r, 5, keyed(key))
		require.Len(t, got, 1, "one key, one deployment: %v", got)
		for d := range got {
			home[key] = d
			spread[d]++
		}
	}
	for _, d := range []string{"a", "b", "c"} {
		assert.Greater(t, spread[d], 8, "keys spread over the tier: %v", spread)
	}

	// Take a deployment out: only its keys move, and they come back.
	down = "a"
	for key, d := range home {
		got := served(t, r, 1, keyed(key))
		if d == "a" {
			assert.Zero(t, got["a"])
		} else {
			assert.Equal(t, 1, got[d], "a key whose deployment is usable does not move")
		}
	}
	down = ""
	for key, d := range home {
		assert.Equal(t, 1, served(t, r, 1, keyed(key))[d], "back home once usable")
	}
}

func TestStickyBoundsLoad(t *testing.T) {
	req := hello("chat")
	req.AffinityKey = "k"
	cands := []llmrouter.Candidate{{Deployment: &llmrouter.Deployment{Name: "a"}}, {Deployment: &llmrouter.Deployment{Name: "b"}}, {Deployment: &llmrouter.Deployment{Name: "c"}}}
	home := llmrouter.Sticky.Pick(req, cands)
	cands[home].InFlight = 4 // 4+1 is above ⌈1.25 × (4+1)/3⌉ + 1
	moved := llmrouter.Sticky.Pick(req, cands)
	assert.NotEqual(t, home, moved, "an overloaded home is passed over")
	cands[home].InFlight = 1
	assert.Equal(t, home, llmrouter.Sticky.Pick(req, cands))
}

func TestStreamsMeasureTimeToFirstToken(t *testing.T) {
	clk := newClock()
	p := &timed{clk: clk, latency: func(*llmrouter.Deployment) time.Duration { return 300 * time.Millisecond }}
	r := learnRouter(t, clk, p, nil)
	s, err := r.ChatStream(context.Background(), hello("a"))
	require.NoError(t, err)
	for s.Next() {
	}
	require.NoError(t, s.Err())
	require.NoError(t, s.Close())
	st := r.Stats().Deployments[0]
	// Read a second later, with no call in flight: decayed by e^(-1s/120s).
	assert.InDelta(t, float64(300*time.Millisecond)*math.Exp(-1.0/120), float64(st.TTFT), 1000)
	assert.Zero(t, st.TimePerToken, "streams measure TTFT, not time per token")
	assert.InDelta(t, 100, st.Throughput, 0.01, "100 tokens in the second after the first chunk")
	assert.Zero(t, st.ErrorRate)
}
