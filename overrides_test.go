package llmrouter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Per-request overrides (Request.Timeouts, MaxAttempts, Fallback).

func TestRequestTotalTimeoutShortensTheRouters(t *testing.T) {
	p := fake.New("p", fake.WithDefault(fake.Step{Text: "late", Latency: 2 * time.Second}))
	sink := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)),
		llmrouter.WithTimeouts(llmrouter.Timeouts{Total: 10 * time.Second}), llmrouter.WithLineage(sink))
	require.NoError(t, err)
	req := hello("a")
	req.Timeouts = &llmrouter.Timeouts{Total: 40 * time.Millisecond}
	start := time.Now()
	_, err = r.Chat(context.Background(), req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second, "the request's 40ms, not the router's 10s")
	assert.Equal(t, llmrouter.OutcomeFailed, sink.only(t).Outcome)

	// The override is the request's alone: the next request keeps the
	// router's timeout and is answered.
	p.Script(fake.Step{Text: "in time", Latency: 60 * time.Millisecond})
	resp, err := r.Chat(context.Background(), hello("a"))
	require.NoError(t, err)
	assert.Equal(t, "in time", resp.Text)
}

func TestRequestAttemptTimeoutFailsOver(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.Hang()))
	b := fake.New("pb")
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		llmrouter.WithTimeouts(llmrouter.Timeouts{Total: 5 * time.Second}), // no attempt timeout of its own
		llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1}),
	)
	require.NoError(t, err)
	req := hello("chat")
	req.Timeouts = &llmrouter.Timeouts{Attempt: 20 * time.Millisecond}
	resp, err := r.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "b", resp.Deployment)
}

func TestRequestFirstTokenTimeoutFailsOverAStream(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.Step{Text: "slow", Latency: time.Second}))
	b := fake.New("pb", fake.WithDefault(fake.Reply("fast")))
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1}),
	)
	require.NoError(t, err)
	req := hello("chat")
	req.Timeouts = &llmrouter.Timeouts{FirstToken: 30 * time.Millisecond}
	s, err := r.ChatStream(context.Background(), req)
	require.NoError(t, err)
	resp, err := llmrouter.Collect(s)
	require.NoError(t, err)
	assert.Equal(t, "fast", resp.Text)
	assert.Equal(t, "b", resp.Deployment)
}

// fiveDeps returns five deployments of p in one tier, routed as "chat".
func fiveDeps(p llmrouter.Provider) []llmrouter.Option {
	names := []string{"a", "b", "c", "d", "e"}
	var deps []llmrouter.Deployment
	for _, n := range names {
		deps = append(deps, dep(n, p))
	}
	return []llmrouter.Option{llmrouter.WithDeployments(deps...),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{names}})}
}

func TestRequestMaxAttemptsLowersTheRouters(t *testing.T) {
	p := fake.New("p", fake.WithDefault(fake.ServerError()))
	sink := &recorder{}
	r, err := llmrouter.New(append(fiveDeps(p), fastRetry, llmrouter.WithLineage(sink))...)
	require.NoError(t, err)
	req := hello("chat")
	req.MaxAttempts = 1
	_, err = r.Chat(context.Background(), req)
	require.ErrorIs(t, err, llmrouter.ErrNoRoute)
	assert.Equal(t, 1, p.CallCount(), "one attempt where the router allows five")
	assert.Len(t, sink.only(t).Attempts, 1)
}

func TestRequestMaxAttemptsCannotRaiseTheRouters(t *testing.T) {
	p := fake.New("p", fake.WithDefault(fake.ServerError()))
	r, err := llmrouter.New(append(fiveDeps(p), fastRetry,
		llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}))...)
	require.NoError(t, err)
	req := hello("chat")
	req.MaxAttempts = 50
	_, err = r.Chat(context.Background(), req)
	require.ErrorIs(t, err, llmrouter.ErrNoRoute)
	assert.Equal(t, 3, p.CallCount(), "the router's three, not the request's fifty")
}

func TestInvalidOverridesAreRequestErrorsWithNothingSent(t *testing.T) {
	p := fake.New("p")
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p), dep("b", p)))
	require.NoError(t, err)
	for _, tc := range []struct {
		field string
		edit  func(*llmrouter.Request)
	}{
		{"Timeouts.Total", func(q *llmrouter.Request) { q.Timeouts = &llmrouter.Timeouts{Total: -time.Second} }},
		{"Timeouts.Idle", func(q *llmrouter.Request) { q.Timeouts = &llmrouter.Timeouts{Idle: 3} }},
		{"Timeouts.Attempt", func(q *llmrouter.Request) { q.Timeouts = &llmrouter.Timeouts{Attempt: time.Microsecond} }},
		{"MaxAttempts", func(q *llmrouter.Request) { q.MaxAttempts = -1 }},
		{"Fallback[0]", func(q *llmrouter.Request) { q.Fallback = []string{"nowhere"} }},
		{"Fallback[1]", func(q *llmrouter.Request) { q.Fallback = []string{"b", "b"} }},
		{"Fallback[0]", func(q *llmrouter.Request) { q.Fallback = []string{"a"} }},
		{"Fallback[1]", func(q *llmrouter.Request) { q.Fallback = []string{"b", ""} }},
		{"Fallback", func(q *llmrouter.Request) { q.Fallback = make([]string, llmrouter.MaxFallbacks+1) }},
	} {
		req := hello("a")
		tc.edit(req)
		_, err := r.Chat(context.Background(), req)
		var re *llmrouter.RequestError
		require.True(t, errors.As(err, &re), "%s: %v", tc.field, err)
		assert.Equal(t, tc.field, re.Field)
		s, err := r.ChatStream(context.Background(), req)
		assert.Nil(t, s)
		require.True(t, errors.As(err, &re), "%s (stream): %v", tc.field, err)
		assert.Equal(t, tc.field, re.Field, "stream")
	}
	assert.Zero(t, p.CallCount(), "nothing sent")
}

// fallbackRetry is fastRetry with room for the attempts of a route and
// its fallbacks.
var fallbackRetry = llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 10, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxWait: 50 * time.Millisecond})

func TestFallbackRouteAnswersWhenTheRouteFails(t *testing.T) {
	bad := fake.New("bad", fake.WithDefault(fake.ServerError()))
	good := fake.New("good", fake.WithDefault(fake.Reply("from the fallback")))
	sink := &recorder{}
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a1", bad), dep("a2", bad), dep("b1", good), dep("c1", good)),
		llmrouter.WithRoute("main", llmrouter.Route{Tiers: [][]string{{"a1", "a2"}}}),
		llmrouter.WithRoute("backup", llmrouter.Route{Tiers: [][]string{{"b1"}}}),
		fallbackRetry,
		llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(llmrouter.RPM(1))),
		llmrouter.WithClock(newClock().Now), // one quota window for both requests
		llmrouter.WithLineage(sink),
	)
	require.NoError(t, err)
	req := hello("main")
	req.Tenant = "t1"
	req.Fallback = []string{"backup", "c1"}
	resp, err := r.Chat(context.Background(), req)
	require.NoError(t, err, "admitted once: RPM(1) lets the request through both routes")
	assert.Equal(t, "from the fallback", resp.Text)
	assert.Equal(t, "b1", resp.Deployment)
	assert.Zero(t, good.CallsTo("c1"), "the second fallback was not needed")

	rec := sink.only(t)
	assert.Equal(t, "main", rec.Route)
	assert.Equal(t, []string{"backup"}, rec.Fallbacks)
	require.Len(t, rec.Candidates, 3)
	assert.Equal(t, "a1", rec.Candidates[0].Deployment)
	assert.Equal(t, llmrouter.CandidateTried, rec.Candidates[0].Status)
	assert.Equal(t, llmrouter.CandidateTried, rec.Candidates[1].Status)
	assert.Equal(t, "b1", rec.Candidates[2].Deployment)
	assert.Equal(t, llmrouter.CandidateChosen, rec.Candidates[2].Status)
	assert.Equal(t, "b1", rec.Attempts[len(rec.Attempts)-1].Deployment)
	assert.Equal(t, len(rec.Attempts)-1, bad.CallCount())
	assert.Contains(t, string(rec.AppendJSON(nil)), `"fallbacks":["backup"]`)

	// The tenant's one request a minute was spent once.
	_, err = r.Chat(context.Background(), req)
	assert.ErrorIs(t, err, llmrouter.ErrQuotaExceeded)
}

func TestFallbackRespectsPolicies(t *testing.T) {
	bad := fake.New("bad", fake.WithDefault(fake.ServerError()))
	good := fake.New("good")
	other := fake.New("other")
	sink := &recorder{}
	noB1 := llmrouter.Policy{Name: "no-b1", Check: func(_ *llmrouter.Request, d *llmrouter.Deployment) (bool, string) {
		return d.Name != "b1", "b1 is off limits"
	}}
	// newRouter routes "backup" over b1, b3 and b2, denying the provider
	// named denied.
	newRouter := func(b3 llmrouter.Provider, denied string) *llmrouter.Router {
		r, err := llmrouter.New(
			llmrouter.WithDeployments(dep("a1", bad), dep("b1", good), dep("b2", other), dep("b3", b3)),
			llmrouter.WithRoute("backup", llmrouter.Route{Tiers: [][]string{{"b1"}, {"b3"}, {"b2"}}}),
			llmrouter.WithPolicies(llmrouter.DenyProviders(denied)),
			fallbackRetry,
			llmrouter.WithLineage(sink),
		)
		require.NoError(t, err)
		return r
	}
	r := newRouter(bad, "bad")

	// a1 is denied: the request's own route is refused by policy, which
	// is not a case for the fallback.
	req := hello("a1")
	req.Fallback = []string{"backup"}
	_, err := r.Chat(context.Background(), req)
	require.ErrorIs(t, err, llmrouter.ErrPolicyDenied)
	assert.Zero(t, good.CallCount()+other.CallCount())
	sink.records = nil

	// With a1 allowed and failing, the fallback runs every policy: the
	// router's (b3 is on a denied provider) and the request's (b1).
	r2 := newRouter(fake.New("denied"), "denied")
	req = hello("a1")
	req.Fallback = []string{"backup"}
	req.Policies = []llmrouter.Policy{noB1}
	resp, err := r2.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "b2", resp.Deployment)
	assert.Zero(t, good.CallCount(), "b1 refused by the request's policy")
	rec := sink.only(t)
	assert.Equal(t, []string{"backup"}, rec.Fallbacks)
	require.Len(t, rec.Candidates, 4)
	byName := map[string]llmrouter.CandidateRecord{}
	for _, c := range rec.Candidates[1:] {
		byName[c.Deployment] = c
	}
	assert.Equal(t, llmrouter.CandidateRefused, byName["b1"].Status)
	assert.Equal(t, "no-b1", byName["b1"].Policy)
	assert.Equal(t, llmrouter.CandidateRefused, byName["b3"].Status)
	assert.Equal(t, llmrouter.CandidateChosen, byName["b2"].Status)
}

func TestFallbackEveryRouteFailing(t *testing.T) {
	bad := fake.New("bad", fake.WithDefault(fake.ServerError()))
	sink := &recorder{}
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a1", bad), dep("b1", bad)),
		llmrouter.WithRoute("main", llmrouter.Route{Tiers: [][]string{{"a1"}}}),
		llmrouter.WithRoute("backup", llmrouter.Route{Tiers: [][]string{{"a1"}, {"b1"}}}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 10, AttemptsPerDeployment: 1, MaxWait: 50 * time.Millisecond}),
		llmrouter.WithLineage(sink),
	)
	require.NoError(t, err)
	req := hello("main")
	req.Fallback = []string{"backup"}
	_, err = r.Chat(context.Background(), req)
	require.ErrorIs(t, err, llmrouter.ErrNoRoute)
	var re *llmrouter.RouteError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "main", re.Route)
	assert.Len(t, re.Attempts, 2, "a1 once (not again on the fallback), b1 once")
	assert.Equal(t, 1, bad.CallsTo("a1"))
	rec := sink.only(t)
	assert.Equal(t, []string{"backup"}, rec.Fallbacks)
	require.Len(t, rec.Candidates, 3)
	assert.Equal(t, llmrouter.CandidateSkipped, rec.Candidates[1].Status)
	assert.Equal(t, "already tried for this request", rec.Candidates[1].Reason)
}

func TestFallbackSharesMaxAttempts(t *testing.T) {
	bad := fake.New("bad", fake.WithDefault(fake.ServerError()))
	good := fake.New("good")
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a1", bad), dep("a2", bad), dep("b1", good)),
		llmrouter.WithRoute("main", llmrouter.Route{Tiers: [][]string{{"a1", "a2"}}}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1, MaxWait: 50 * time.Millisecond}),
	)
	require.NoError(t, err)
	req := hello("main")
	req.Fallback = []string{"b1"}
	req.MaxAttempts = 2
	_, err = r.Chat(context.Background(), req)
	require.ErrorIs(t, err, llmrouter.ErrNoRoute)
	assert.Zero(t, good.CallCount(), "two attempts spent on the route leave none for the fallback")

	req.MaxAttempts = 3
	resp, err := r.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "b1", resp.Deployment)
}

func TestFallbackStreams(t *testing.T) {
	bad := fake.New("bad", fake.WithDefault(fake.ServerError()))
	good := fake.New("good", fake.WithDefault(fake.Reply("streamed")))
	sink := &recorder{}
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a1", bad), dep("b1", good)),
		llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1, MaxWait: 50 * time.Millisecond}),
		llmrouter.WithLineage(sink),
	)
	require.NoError(t, err)
	req := hello("a1")
	req.Fallback = []string{"b1"}
	s, err := r.ChatStream(context.Background(), req)
	require.NoError(t, err)
	resp, err := llmrouter.Collect(s)
	require.NoError(t, err)
	assert.Equal(t, "streamed", resp.Text)
	rec := sink.only(t)
	assert.Equal(t, []string{"b1"}, rec.Fallbacks)
	assert.Equal(t, "b1", rec.Deployment)
}

func TestFallbackNotUsedOnCancel(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.Hang()))
	b := fake.New("pb")
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a1", a), dep("b1", b)))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req := hello("a1")
	req.Fallback = []string{"b1"}
	_, err = r.Chat(ctx, req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Zero(t, b.CallCount())
}

func TestPlanChecksFallbackNames(t *testing.T) {
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p"))))
	require.NoError(t, err)
	req := hello("a")
	req.Fallback = []string{"nowhere"}
	_, err = r.Plan(req, false)
	var re *llmrouter.RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "Fallback[0]", re.Field)
}

func TestRequestIdleTimeoutEndsAStalledStream(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.Step{Text: "one two", HangAfter: 1}))
	r, _ := streamRouter(t, a, fake.New("pb"), llmrouter.WithTimeouts(llmrouter.Timeouts{Total: 10 * time.Second}))
	req := hello("chat")
	req.Timeouts = &llmrouter.Timeouts{Idle: 40 * time.Millisecond}
	s, err := r.ChatStream(context.Background(), req)
	require.NoError(t, err)
	start := time.Now()
	assert.Equal(t, "one ", read(s))
	assert.Less(t, time.Since(start), 2*time.Second, "the request's idle timeout, not the router's 10s total")
	var se *llmrouter.StreamError
	require.ErrorAs(t, s.Err(), &se)
	assert.Equal(t, llmrouter.KindTimeout, se.Err.Kind)
	s.Close()
}

func TestFallbackWhenTheRouteIsUnavailable(t *testing.T) {
	bad := fake.New("bad", fake.WithDefault(fake.ServerError()))
	good := fake.New("good")
	sink := &recorder{}
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a1", bad), dep("b1", good)),
		llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1, MaxWait: 50 * time.Millisecond}),
		llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 1, OpenFor: time.Minute}),
		llmrouter.WithLineage(sink),
	)
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("a1"))
	require.ErrorIs(t, err, llmrouter.ErrNoRoute) // opens a1's breaker
	calls := bad.CallCount()
	sink.records = nil

	req := hello("a1")
	req.Fallback = []string{"b1"}
	resp, err := r.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "b1", resp.Deployment)
	assert.Equal(t, calls, bad.CallCount(), "a1's breaker is open: nothing sent to it")
	rec := sink.only(t)
	require.Len(t, rec.Candidates, 2)
	assert.Equal(t, llmrouter.CandidateSkipped, rec.Candidates[0].Status)
	assert.Equal(t, llmrouter.CandidateChosen, rec.Candidates[1].Status)
	assert.Len(t, rec.Attempts, 1)
}

func TestEmbedOverridesAndFallback(t *testing.T) {
	broken := fake.New("openai", fake.WithDefault(fake.ServerError()))
	good := fake.New("gcp.gemini")
	sink := &recorder{}
	r, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "e1", Provider: broken},
			llmrouter.Deployment{Name: "e2", Provider: broken},
			llmrouter.Deployment{Name: "e3", Provider: good},
		),
		llmrouter.WithRoute("embed", llmrouter.Route{Tiers: [][]string{{"e1", "e2"}}}),
		fastRetry, llmrouter.WithLineage(sink),
	)
	require.NoError(t, err)

	_, err = r.Embed(context.Background(), &llmrouter.EmbedRequest{Model: "embed", Inputs: []string{"x"}, MaxAttempts: 1})
	require.ErrorIs(t, err, llmrouter.ErrNoRoute)
	assert.Equal(t, 1, broken.CallCount())

	resp, err := r.Embed(context.Background(), &llmrouter.EmbedRequest{Model: "embed", Inputs: []string{"x"}, Fallback: []string{"e3"}})
	require.NoError(t, err)
	assert.Equal(t, "e3", resp.Deployment)
	assert.Equal(t, []string{"e3"}, sink.all()[1].Fallbacks)

	bad := &llmrouter.EmbedRequest{Model: "embed", Inputs: []string{"x"}, Timeouts: &llmrouter.Timeouts{FirstToken: -1}}
	var re *llmrouter.RequestError
	require.ErrorAs(t, bad.Validate(), &re)
	assert.Equal(t, "Timeouts.FirstToken", re.Field)
	_, err = r.Embed(context.Background(), bad)
	require.ErrorAs(t, err, &re)
}
