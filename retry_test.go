package llmrouter_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sleeps records the router's waits and advances a fake clock by each.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
	clk   *clock
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	if s.clk != nil {
		s.clk.Advance(d)
	}
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func TestRetryBacksOffExponentiallyWithJitter(t *testing.T) {
	p := fake.New("p", fake.WithScript(fake.ServerError(), fake.ServerError(), fake.ServerError()), fake.WithDefault(fake.Reply("ok")))
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a", p)),
		llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 4, InitialBackoff: 100 * time.Millisecond}),
	)
	require.NoError(t, err)
	s := &sleeps{}
	llmrouter.SetSleep(r, s.sleep)
	resp, err := r.Chat(context.Background(), hello("a"))
	require.NoError(t, err)
	assert.Equal(t, "ok", resp.Text)
	w := s.all()
	require.Len(t, w, 3)
	for i, base := range []time.Duration{100, 200, 400} {
		base *= time.Millisecond
		assert.GreaterOrEqual(t, w[i], base/2, "wait %d", i)
		assert.LessOrEqual(t, w[i], base*3/2, "wait %d", i)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	clk := newClock()
	p := fake.New("p", fake.WithScript(fake.RateLimited(3*time.Second)), fake.WithDefault(fake.Reply("ok")))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)), llmrouter.WithClock(clk.Now))
	require.NoError(t, err)
	s := &sleeps{clk: clk}
	llmrouter.SetSleep(r, s.sleep)
	_, err = r.Chat(context.Background(), hello("a"))
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{3 * time.Second}, s.all(), "the router waits exactly the Retry-After")
	assert.Equal(t, 2, p.CallCount())
}

func TestRateLimitFailsOverInsteadOfWaiting(t *testing.T) {
	clk := newClock()
	a := fake.New("pa", fake.WithDefault(fake.RateLimited(5*time.Second)))
	b := fake.New("pb")
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		llmrouter.WithClock(clk.Now),
	)
	require.NoError(t, err)
	s := &sleeps{clk: clk}
	llmrouter.SetSleep(r, s.sleep)
	for i := range 3 {
		resp, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
		assert.Equal(t, "b", resp.Deployment)
		assert.Equal(t, i+1, a.CallCount())
	}
	assert.Empty(t, s.all(), "no sleep when another deployment can serve")

	// Three 429s in a row cool "a" for every request until the Retry-After
	// ends.
	stats := r.Stats().Deployments
	assert.True(t, clk.Now().Add(5*time.Second).Equal(stats[0].CoolingUntil), "cooling until %v", stats[0].CoolingUntil)
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "b", resp.Deployment)
	assert.Equal(t, 3, a.CallCount(), "a cooling deployment is not called")
	clk.Advance(5 * time.Second)
	_, _ = r.Chat(context.Background(), hello("chat"))
	assert.Equal(t, 4, a.CallCount(), "called again once the cooldown ends")
}

func TestSingleRateLimitDoesNotCoolForEveryone(t *testing.T) {
	a := fake.New("pa", fake.WithScript(fake.RateLimited(time.Minute)))
	b := fake.New("pb")
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
	)
	require.NoError(t, err)
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "b", resp.Deployment, "the throttled request moves on")
	resp, err = r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "a", resp.Deployment, "one 429 does not take the deployment away from other requests")
}

func TestRetryAfterLongerThanMaxWaitFailsFast(t *testing.T) {
	p := fake.New("p", fake.WithDefault(fake.RateLimited(time.Hour)))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)))
	require.NoError(t, err)
	s := &sleeps{}
	llmrouter.SetSleep(r, s.sleep)
	_, err = r.Chat(context.Background(), hello("a"))
	require.ErrorIs(t, err, llmrouter.ErrNoRoute)
	assert.Empty(t, s.all())
	assert.Contains(t, err.Error(), "retry after 1h0m0s")
}

func TestWaitEndsWhenContextEnds(t *testing.T) {
	p := fake.New("p", fake.WithDefault(fake.ServerError()))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)),
		llmrouter.WithRetry(llmrouter.RetryPolicy{InitialBackoff: 5 * time.Second, MaxWait: time.Minute}))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	start := time.Now()
	_, err = r.Chat(ctx, hello("a"))
	assert.Less(t, time.Since(start), 2*time.Second, "the backoff sleep ends with the context")
	assert.ErrorIs(t, err, context.Canceled)
}

func TestBackoffThatCannotFitTheDeadlineFailsFast(t *testing.T) {
	p := fake.New("p", fake.WithDefault(fake.ServerError()))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)),
		llmrouter.WithRetry(llmrouter.RetryPolicy{InitialBackoff: 5 * time.Second, MaxWait: time.Minute}))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err = r.Chat(ctx, hello("a"))
	assert.Less(t, time.Since(start), 500*time.Millisecond, "no sleep that would outlast the deadline")
	assert.ErrorIs(t, err, llmrouter.ErrNoRoute)
	assert.Equal(t, 1, p.CallCount())
}

func TestAttemptTimeoutFailsOver(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.Hang()))
	b := fake.New("pb")
	sink := &recorder{}
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		llmrouter.WithTimeouts(llmrouter.Timeouts{Attempt: 20 * time.Millisecond}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1}),
		llmrouter.WithLineage(sink),
	)
	require.NoError(t, err)
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "b", resp.Deployment)
	rec := sink.only(t)
	assert.Equal(t, llmrouter.KindTimeout, rec.Attempts[0].Kind)
}

func TestTotalTimeoutBoundsTheRequest(t *testing.T) {
	p := fake.New("p", fake.WithDefault(fake.Hang()))
	sink := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)),
		llmrouter.WithTimeouts(llmrouter.Timeouts{Total: 30 * time.Millisecond}), llmrouter.WithLineage(sink))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("a"))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, llmrouter.OutcomeFailed, sink.only(t).Outcome)
}

func TestMaxAttemptsCapsHops(t *testing.T) {
	var deps []llmrouter.Deployment
	var names []string
	p := fake.New("p", fake.WithDefault(fake.Fail(llmrouter.KindAuth, 401)))
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		deps = append(deps, dep(n, p))
		names = append(names, n)
	}
	r, err := llmrouter.New(llmrouter.WithDeployments(deps...),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{names}}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 3}))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("chat"))
	require.ErrorIs(t, err, llmrouter.ErrNoRoute)
	assert.Equal(t, 3, p.CallCount())
}

func TestStopClassReturnsAtOnce(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.Fail(llmrouter.KindBadRequest, 400)))
	b := fake.New("pb")
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("chat"))
	var pe *llmrouter.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, llmrouter.KindBadRequest, pe.Kind)
	assert.False(t, errors.Is(err, llmrouter.ErrNoRoute))
	assert.Equal(t, 0, b.CallCount(), "a request the provider rejects is not sent elsewhere")
}

func TestClassOverrideByAdapter(t *testing.T) {
	// An adapter may override the default class: a 400 it knows to be
	// deployment-specific fails over.
	step := fake.Fail(llmrouter.KindBadRequest, 400)
	step.Err.Class = llmrouter.ClassFailover
	a := fake.New("pa", fake.WithDefault(step))
	b := fake.New("pb")
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}))
	require.NoError(t, err)
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "b", resp.Deployment)
}

func TestContextLengthFailsOverToLargerWindowOnly(t *testing.T) {
	small := fake.New("p1", fake.WithDefault(fake.Fail(llmrouter.KindContextLength, 400)))
	same := fake.New("p2")
	large := fake.New("p3")
	d1, d2, d3 := dep("small", small), dep("same", same), dep("large", large)
	d1.ContextWindow, d2.ContextWindow, d3.ContextWindow = 8000, 8000, 128000
	r, err := llmrouter.New(llmrouter.WithDeployments(d1, d2, d3),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"small"}, {"same"}, {"large"}}}))
	require.NoError(t, err)
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "large", resp.Deployment)
	assert.Equal(t, 0, same.CallCount())
}

func TestCancelledContextStopsEverything(t *testing.T) {
	p := fake.New("p", fake.WithDefault(fake.Hang()))
	q := fake.New("q")
	sink := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p), dep("b", q)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}), llmrouter.WithLineage(sink))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = r.Chat(ctx, hello("chat"))
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, q.CallCount(), "no failover after the caller gave up")
	rec := sink.only(t)
	assert.Equal(t, llmrouter.OutcomeCanceled, rec.Outcome)
	assert.Equal(t, llmrouter.KindCanceled, rec.Attempts[0].Kind)
}
