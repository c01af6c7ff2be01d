package llmrouter_test

import (
	"context"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func breakerRouter(t *testing.T, a, b llmrouter.Provider, bp llmrouter.BreakerPolicy) (*llmrouter.Router, *sleeps) {
	t.Helper()
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1}),
		llmrouter.WithBreaker(bp),
	)
	require.NoError(t, err)
	s := &sleeps{}
	llmrouter.SetSleep(r, s.sleep)
	return r, s
}

func TestBreakerOpensAndSkipsWithoutSleeping(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.ServerError()))
	b := fake.New("pb")
	r, s := breakerRouter(t, a, b, llmrouter.BreakerPolicy{ConsecutiveFailures: 3, OpenFor: time.Hour})
	for range 3 {
		_, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
	}
	require.Equal(t, 3, a.CallCount())
	assert.Equal(t, llmrouter.BreakerOpen, r.Stats().Deployments[0].Breaker)
	for range 5 {
		resp, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
		assert.Equal(t, "b", resp.Deployment)
	}
	assert.Equal(t, 3, a.CallCount(), "an open breaker is skipped")
	assert.Empty(t, s.all(), "skipping an open breaker never sleeps")
}

func TestBreakerHalfOpenProbeCloses(t *testing.T) {
	a := fake.New("pa", fake.WithScript(fake.ServerError(), fake.ServerError()), fake.WithDefault(fake.Reply("a is back")))
	b := fake.New("pb")
	r, _ := breakerRouter(t, a, b, llmrouter.BreakerPolicy{ConsecutiveFailures: 2, OpenFor: 30 * time.Millisecond})
	for range 2 {
		_, _ = r.Chat(context.Background(), hello("chat"))
	}
	require.Equal(t, llmrouter.BreakerOpen, r.Stats().Deployments[0].Breaker)
	time.Sleep(40 * time.Millisecond)
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "a", resp.Deployment, "the half-open breaker lets a probe through")
	assert.Equal(t, llmrouter.BreakerClosed, r.Stats().Deployments[0].Breaker)
	resp, err = r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "a", resp.Deployment)
}

func TestBreakerIgnoresCallerAndRequestFaults(t *testing.T) {
	for _, step := range []fake.Step{
		fake.Fail(llmrouter.KindBadRequest, 400),
		fake.Fail(llmrouter.KindContentPolicy, 400),
		fake.Fail(llmrouter.KindCanceled, 0),
		fake.RateLimited(time.Millisecond),
	} {
		t.Run(step.Err.Kind.String(), func(t *testing.T) {
			a := fake.New("pa", fake.WithDefault(step))
			r, _ := breakerRouter(t, a, fake.New("pb"), llmrouter.BreakerPolicy{ConsecutiveFailures: 2, OpenFor: time.Hour})
			for range 4 {
				_, _ = r.Chat(context.Background(), hello("a"))
			}
			assert.Equal(t, llmrouter.BreakerClosed, r.Stats().Deployments[0].Breaker, "%v must not trip the breaker", step.Err.Kind)
		})
	}
}

func TestBreakerDisabled(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.ServerError()))
	r, _ := breakerRouter(t, a, fake.New("pb"), llmrouter.BreakerPolicy{ConsecutiveFailures: 1, Disabled: true})
	for range 3 {
		_, _ = r.Chat(context.Background(), hello("chat"))
	}
	assert.Equal(t, 3, a.CallCount())
}

// TestBreakerRatioLeavesExcludedCallsOut: bad requests say nothing about
// a deployment's health, so they must not dilute its failure ratio.
func TestBreakerRatioLeavesExcludedCallsOut(t *testing.T) {
	p := fake.New("p")
	steps := []fake.Step{fake.Reply("ok")}
	for i := 0; i < 10; i++ {
		steps = append(steps, fake.Fail(llmrouter.KindBadRequest, 400))
	}
	for i := 0; i < 4; i++ {
		steps = append(steps, fake.ServerError())
	}
	p.Script(steps...)
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)),
		llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 1}),
		llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 100, FailureRatio: 0.5, MinRequests: 4}))
	require.NoError(t, err)
	for range steps {
		_, _ = r.Chat(context.Background(), hello("a"))
	}
	assert.Equal(t, llmrouter.BreakerOpen, r.Stats().Deployments[0].Breaker, "4 failures of 5 judged calls trip a 50%% ratio")
}
