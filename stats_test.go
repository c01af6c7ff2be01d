package llmrouter_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStatsBreakerStates walks a breaker through closed, open, half-open
// with a probe in flight, open again after a failed probe, half-open, and
// closed after a good one. Breakers keep real time: the synctest bubble's
// clock stands in for it.
func TestStatsBreakerStates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		probe := fake.Step{Text: "probe", Latency: time.Second}
		failedProbe := fake.ServerError()
		failedProbe.Latency = time.Second
		a := fake.New("pa", fake.WithScript(fake.ServerError(), fake.ServerError(), failedProbe, probe))
		r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a)),
			llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 1}),
			llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 2, OpenFor: 10 * time.Second}))
		require.NoError(t, err)
		breaker := func() llmrouter.BreakerState { return r.Stats().Deployments[0].Breaker }
		require.Equal(t, llmrouter.BreakerClosed, breaker())
		for range 2 {
			_, _ = r.Chat(context.Background(), hello("a"))
		}
		assert.Equal(t, llmrouter.BreakerOpen, breaker())
		time.Sleep(10*time.Second + time.Millisecond)
		assert.Equal(t, llmrouter.BreakerHalfOpen, breaker(), "its time is up: the next call is a probe")

		for _, want := range []llmrouter.BreakerState{llmrouter.BreakerOpen, llmrouter.BreakerClosed} {
			done := make(chan error)
			go func() {
				_, err := r.Chat(context.Background(), hello("a"))
				done <- err
			}()
			synctest.Wait() // the probe is in flight
			st := r.Stats().Deployments[0]
			assert.Equal(t, llmrouter.BreakerHalfOpen, st.Breaker, "half-open while its probe runs")
			assert.Equal(t, int64(1), st.InFlight)
			<-done
			assert.Equal(t, want, breaker(), "after the probe")
			if want == llmrouter.BreakerOpen {
				time.Sleep(10*time.Second + time.Millisecond)
			}
		}
		assert.Equal(t, "half-open", llmrouter.BreakerHalfOpen.String())
	})
}

// TestStatsDisabledBreakerReadsClosed: a deployment without a breaker is
// never reported open, however it fails.
func TestStatsDisabledBreakerReadsClosed(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.ServerError()))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a)),
		llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 1}),
		llmrouter.WithBreaker(llmrouter.BreakerPolicy{Disabled: true}))
	require.NoError(t, err)
	for range 5 {
		_, _ = r.Chat(context.Background(), hello("a"))
	}
	assert.Equal(t, llmrouter.BreakerClosed, r.Stats().Deployments[0].Breaker)
}

// TestStatsLimitsUse: RPM and TPM use against the deployment's own limits,
// a call in flight at its reservation, finished calls at their usage, and
// a fresh window a minute later (router clock).
func TestStatsLimitsUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newClock()
		usage := &llmrouter.Usage{InputTokens: 30, OutputTokens: 10}
		a := fake.New("pa", fake.WithDefault(fake.Step{Text: "ok", Usage: usage, Latency: time.Second}))
		d := dep("a", a)
		d.RPM, d.TPM, d.MaxConcurrency = 10, 10_000, 4
		r, err := llmrouter.New(llmrouter.WithDeployments(d, dep("b", fake.New("pb"))), llmrouter.WithClock(clk.Now))
		require.NoError(t, err)
		req := hello("a")
		req.MaxOutputTokens = 100
		for range 2 {
			_, err := r.Chat(context.Background(), req)
			require.NoError(t, err)
		}
		s := r.Stats()
		st, ok := s.Deployment("a")
		require.True(t, ok)
		assert.Equal(t, 10, st.RPM)
		assert.Equal(t, 10_000, st.TPM)
		assert.Equal(t, 4, st.MaxConcurrency)
		assert.Equal(t, int64(2), st.RPMUsed)
		assert.Equal(t, int64(80), st.TPMUsed, "finished calls count their actual usage")

		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = r.Chat(context.Background(), req)
		}()
		synctest.Wait()
		st = r.Stats().Deployments[0]
		assert.Equal(t, int64(3), st.RPMUsed)
		assert.Greater(t, st.TPMUsed, int64(80+100), "a call in flight counts its reservation (input estimate + MaxOutputTokens)")
		assert.Equal(t, int64(1), st.InFlight)
		<-done
		assert.Equal(t, int64(120), r.Stats().Deployments[0].TPMUsed)

		clk.Advance(time.Minute)
		st = r.Stats().Deployments[0]
		assert.Zero(t, st.RPMUsed, "a new minute")
		assert.Zero(t, st.TPMUsed)
		b, _ := r.Stats().Deployment("b")
		assert.Zero(t, b.RPM, "b has no limits")
		assert.Zero(t, b.RPMUsed)
		_, ok = r.Stats().Deployment("nope")
		assert.False(t, ok)
	})
}

// TestStatsRetryBudget: failed attempts drain the retry budget by one
// token, successes put back Ratio.
func TestStatsRetryBudget(t *testing.T) {
	a := fake.New("pa", fake.WithScript(fake.ServerError(), fake.ServerError(), fake.ServerError()))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a)),
		llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 1, Budget: llmrouter.RetryBudget{Tokens: 10, Ratio: 0.5}}),
		llmrouter.WithBreaker(llmrouter.BreakerPolicy{Disabled: true}))
	require.NoError(t, err)
	assert.Equal(t, 1.0, r.Stats().RetryBudget)
	for range 3 {
		_, _ = r.Chat(context.Background(), hello("a"))
	}
	assert.InDelta(t, 0.7, r.Stats().RetryBudget, 1e-9, "three failures of ten tokens")
	_, err = r.Chat(context.Background(), hello("a"))
	require.NoError(t, err)
	assert.InDelta(t, 0.75, r.Stats().RetryBudget, 1e-9, "a success puts back half a token")
}

// TestStatsStreamLatency: a stream's time to first visible chunk feeds TTFT
// and its running p95; whole answers feed AnswerP95 and TimePerToken;
// failures the error rate.
func TestStatsStreamLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := fake.New("pa", fake.WithScript(
			fake.Step{Text: "one two", Latency: 200 * time.Millisecond, ChunkDelay: 50 * time.Millisecond,
				Usage: &llmrouter.Usage{InputTokens: 5, OutputTokens: 2}},
			fake.Step{Text: "whole", Latency: 400 * time.Millisecond, Usage: &llmrouter.Usage{InputTokens: 5, OutputTokens: 4}},
			fake.ServerError()))
		r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a)), llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 1}))
		require.NoError(t, err)
		s, err := r.ChatStream(context.Background(), hello("a"))
		require.NoError(t, err)
		for s.Next() {
		}
		require.NoError(t, s.Err())
		st := r.Stats().Deployments[0]
		// Opened at 200ms, the first text 50ms after the preamble; read a
		// moment later (the estimate decays while the deployment is idle).
		assert.InDelta(t, 250*time.Millisecond, st.TTFT, float64(time.Millisecond))
		assert.Equal(t, 250*time.Millisecond, st.TTFTP95)
		assert.Zero(t, st.AnswerP95)

		_, err = r.Chat(context.Background(), hello("a"))
		require.NoError(t, err)
		st = r.Stats().Deployments[0]
		assert.Equal(t, 400*time.Millisecond, st.AnswerP95)
		assert.Equal(t, 100*time.Millisecond, st.TimePerToken, "400ms for 4 tokens")
		assert.Zero(t, st.ErrorRate)

		_, err = r.Chat(context.Background(), hello("a"))
		require.Error(t, err)
		assert.Greater(t, r.Stats().Deployments[0].ErrorRate, 0.0)
	})
}
