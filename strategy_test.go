package llmrouter_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWeightedRandomFollowsWeights(t *testing.T) {
	p := fake.New("p", fake.WithCallRecording(true))
	a, b := dep("a", p), dep("b", p)
	a.Weight, b.Weight = 3, 1
	r, err := llmrouter.New(llmrouter.WithDeployments(a, b),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a", "b"}}}))
	require.NoError(t, err)
	const n = 4000
	for range n {
		_, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
	}
	share := float64(p.CallsTo("a")) / n
	assert.InDelta(t, 0.75, share, 0.05, "weight 3:1 gives a 75%% share, got %.3f", share)
}

// Equal weights (and the first pick's shortcut for them) share calls
// evenly, on every member of the first tier.
func TestWeightedRandomEqualWeightsShareEvenly(t *testing.T) {
	p := fake.New("p", fake.WithCallRecording(true))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p), dep("b", p), dep("c", p), dep("z", p)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a", "b", "c"}, {"z"}}}))
	require.NoError(t, err)
	const n = 3000
	for range n {
		_, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
	}
	for _, name := range []string{"a", "b", "c"} {
		share := float64(p.CallsTo(name)) / n
		assert.InDelta(t, 1.0/3, share, 0.04, "%s: share %.3f", name, share)
	}
	assert.Zero(t, p.CallsTo("z"), "the second tier is not needed")
}

func TestLeastBusyPicksFewestInFlight(t *testing.T) {
	slow := fake.New("slow", fake.WithDefault(fake.Step{Text: "slow", Latency: 500 * time.Millisecond}))
	quick := fake.New("quick")
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", slow), dep("b", quick)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a", "b"}}, Strategy: llmrouter.LeastBusy}))
	require.NoError(t, err)
	// Pin one call in flight on "a" by naming it directly.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = r.Chat(context.Background(), hello("a"))
	}()
	require.Eventually(t, func() bool { return r.Stats().Deployments[0].InFlight == 1 }, time.Second, time.Millisecond)
	for range 20 {
		resp, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
		assert.Equal(t, "b", resp.Deployment)
	}
	wg.Wait()
}

func TestCustomStrategy(t *testing.T) {
	p := fake.New("p")
	var seen []string
	last := llmrouter.StrategyFunc(func(_ *llmrouter.Request, cands []llmrouter.Candidate) int {
		seen = seen[:0]
		for _, c := range cands {
			seen = append(seen, c.Deployment.Name)
		}
		return len(cands) - 1
	})
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p), dep("b", p), dep("c", p)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a", "b", "c"}}, Strategy: last}))
	require.NoError(t, err)
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "c", resp.Deployment)
	assert.Equal(t, []string{"a", "b", "c"}, seen)
}

func TestRequestMayNameADeployment(t *testing.T) {
	a, b := fake.New("pa"), fake.New("pb")
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}))
	require.NoError(t, err)
	resp, err := r.Chat(context.Background(), hello("b"))
	require.NoError(t, err)
	assert.Equal(t, "b", resp.Deployment)
	assert.Equal(t, 0, a.CallCount())
	assert.Equal(t, "b-model", b.Calls()[0].Model, "the upstream model id is sent, not the route name")
}

func TestTiersFallBackInOrder(t *testing.T) {
	down := fake.New("down", fake.WithDefault(fake.Fail(llmrouter.KindAuth, 401)))
	up := fake.New("up")
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("t0a", down), dep("t0b", down), dep("t1", down), dep("t2", up)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"t0a", "t0b"}, {"t1"}, {"t2"}}}))
	require.NoError(t, err)
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "t2", resp.Deployment)
	calls := down.Calls()
	require.Len(t, calls, 3)
	assert.ElementsMatch(t, []string{"t0a", "t0b"}, []string{calls[0].Deployment, calls[1].Deployment})
	assert.Equal(t, "t1", calls[2].Deployment)
}

func TestDeploymentConcurrencyLimitRoutesAround(t *testing.T) {
	slow := fake.New("slow", fake.WithDefault(fake.Step{Text: "slow", Latency: 500 * time.Millisecond}))
	other := fake.New("other")
	a := dep("a", slow)
	a.MaxConcurrency = 1
	r, err := llmrouter.New(llmrouter.WithDeployments(a, dep("b", other)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}))
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = r.Chat(context.Background(), hello("chat"))
	}()
	require.Eventually(t, func() bool { return r.Stats().Deployments[0].InFlight == 1 }, time.Second, time.Millisecond)
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "b", resp.Deployment)
	wg.Wait()
}

func TestDeploymentRPMRoutesAround(t *testing.T) {
	clk := newClock()
	pa, pb := fake.New("pa"), fake.New("pb")
	a := dep("a", pa)
	a.RPM = 2
	r, err := llmrouter.New(llmrouter.WithDeployments(a, dep("b", pb)), llmrouter.WithClock(clk.Now),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}))
	require.NoError(t, err)
	for range 5 {
		_, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err, "a deployment at its own limit is skipped, not an error")
	}
	assert.Equal(t, 2, pa.CallCount())
	assert.Equal(t, 3, pb.CallCount())
	clk.Advance(time.Minute)
	_, _ = r.Chat(context.Background(), hello("chat"))
	assert.Equal(t, 3, pa.CallCount(), "a new minute, a new window")
}

// headroom answers and announces that its request budget is spent.
type headroom struct{ *fake.Provider }

func (h headroom) Chat(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (*llmrouter.Response, error) {
	resp, err := h.Provider.Chat(ctx, d, req)
	if resp != nil {
		resp.RateLimit = &llmrouter.RateLimit{RemainingRequests: 0, RemainingTokens: -1, ResetRequests: 20 * time.Second}
	}
	return resp, err
}

func TestAnnouncedHeadroomSteersAwayBefore429(t *testing.T) {
	clk := newClock()
	pa, pb := headroom{fake.New("pa")}, fake.New("pb")
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", pa), dep("b", pb)), llmrouter.WithClock(clk.Now),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}))
	require.NoError(t, err)
	for _, want := range []string{"a", "b", "b"} {
		resp, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
		assert.Equal(t, want, resp.Deployment)
	}
	clk.Advance(20 * time.Second)
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "a", resp.Deployment, "back once the window resets")
}
