package llmrouter_test

import (
	"context"
	"errors"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChatServesFromFirstTier(t *testing.T) {
	a, b := fake.New("pa", fake.WithDefault(fake.Reply("from a"))), fake.New("pb")
	sink := &recorder{}
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		llmrouter.WithLineage(sink),
	)
	require.NoError(t, err)
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "from a", resp.Text)
	assert.Equal(t, "a", resp.Deployment)
	assert.Equal(t, "pa", resp.Provider)
	assert.NotEmpty(t, resp.RequestID)
	assert.Equal(t, 0, b.CallCount())
	rec := sink.only(t)
	assert.Equal(t, llmrouter.OutcomeSuccess, rec.Outcome)
	assert.Equal(t, resp.RequestID, rec.RequestID)
	assert.Equal(t, "a", rec.Deployment)
	require.Len(t, rec.Attempts, 1)
	assert.Equal(t, llmrouter.CandidateChosen, rec.Candidates[0].Status)
	assert.Equal(t, llmrouter.CandidateUnused, rec.Candidates[1].Status)
}

func TestChatFailsOverAcrossProviders(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.Fail(llmrouter.KindAuth, 401)))
	b := fake.New("pb", fake.WithDefault(fake.Reply("from b")))
	sink := &recorder{}
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		llmrouter.WithLineage(sink), fastRetry,
	)
	require.NoError(t, err)
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "from b", resp.Text)
	assert.Equal(t, 1, a.CallCount(), "auth failures fail over without retrying")
	rec := sink.only(t)
	require.Len(t, rec.Attempts, 2)
	assert.Equal(t, llmrouter.KindAuth, rec.Attempts[0].Kind)
	assert.Equal(t, llmrouter.ClassFailover, rec.Attempts[0].Class)
	assert.Equal(t, 401, rec.Attempts[0].StatusCode)
	assert.Equal(t, "ok", rec.Attempts[1].Status)
	assert.Equal(t, llmrouter.CandidateTried, rec.Candidates[0].Status)
	assert.Equal(t, llmrouter.CandidateChosen, rec.Candidates[1].Status)
}

func TestChatFailsOverFirstThenRetriesWithBackoff(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.ServerError()))
	b := fake.New("pb", fake.WithDefault(fake.Reply("b")))
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		fastRetry,
	)
	require.NoError(t, err)
	s := &sleeps{}
	llmrouter.SetSleep(r, s.sleep)
	_, err = r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, 1, a.CallCount(), "a 5xx moves to the next deployment at once")
	assert.Empty(t, s.all(), "without sleeping")

	// When every deployment has failed, the request backs off and retries.
	b.Script(fake.ServerError())
	a.Script(fake.ServerError(), fake.Reply("a on retry"))
	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "a", resp.Deployment)
	assert.Len(t, s.all(), 1, "one backoff before the retry")
}

func TestChatAllFailReportsEveryAttempt(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.ServerError()))
	b := fake.New("pb", fake.WithDefault(fake.Fail(llmrouter.KindBilling, 402)))
	sink := &recorder{}
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		llmrouter.WithLineage(sink), fastRetry,
	)
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("chat"))
	require.ErrorIs(t, err, llmrouter.ErrNoRoute)
	var re *llmrouter.RouteError
	require.ErrorAs(t, err, &re)
	require.Len(t, re.Attempts, 3)
	assert.Equal(t, llmrouter.KindServer, re.Attempts[0].Kind)
	assert.Equal(t, llmrouter.KindBilling, re.Attempts[1].Kind, "fail over first")
	assert.Equal(t, llmrouter.KindServer, re.Attempts[2].Kind, "then retry the retryable one")
	assert.Contains(t, err.Error(), "attempt 2: pb (b): 402 billing")
	var pe *llmrouter.ProviderError
	require.True(t, errors.As(err, &pe))
	rec := sink.only(t)
	assert.Equal(t, llmrouter.OutcomeFailed, rec.Outcome)
	assert.Len(t, rec.Attempts, 3)
}
