package llmrouter_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func streamRouter(t *testing.T, a, b llmrouter.Provider, opts ...llmrouter.Option) (*llmrouter.Router, *recorder) {
	t.Helper()
	sink := &recorder{}
	opts = append([]llmrouter.Option{
		llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1}),
		llmrouter.WithLineage(sink),
	}, opts...)
	r, err := llmrouter.New(opts...)
	require.NoError(t, err)
	return r, sink
}

// read drains s and returns the text it produced.
func read(s *llmrouter.Stream) string {
	var b strings.Builder
	for s.Next() {
		b.WriteString(s.Current().Text)
	}
	return b.String()
}

func TestStreamDeliversWholeAnswer(t *testing.T) {
	defer goleak.VerifyNone(t)
	a := fake.New("pa", fake.WithDefault(fake.Reply("one two three")))
	r, sink := streamRouter(t, a, fake.New("pb"))
	s, err := r.ChatStream(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "one two three", read(s))
	require.NoError(t, s.Err())
	require.NoError(t, s.Close())
	assert.Equal(t, "a", s.Deployment())
	assert.Positive(t, s.Usage().OutputTokens)
	assert.False(t, s.Usage().Estimated)
	rec := sink.only(t)
	assert.Equal(t, llmrouter.OutcomeSuccess, rec.Outcome)
	assert.True(t, rec.Stream)
	assert.Equal(t, s.RequestID(), rec.RequestID)
}

func TestStreamFailsOverBeforeFirstToken(t *testing.T) {
	defer goleak.VerifyNone(t)
	cases := map[string]fake.Step{
		"open fails":                fake.ServerError(),
		"cut after preamble":        {Text: "", NoFinish: true},
		"error after preamble":      {Text: "never seen", BreakAfter: -1},
		"panics":                    fake.Panic("boom"),
		"first token never arrives": {Text: "late", ChunkDelay: time.Hour},
	}
	for name, step := range cases {
		t.Run(name, func(t *testing.T) {
			a := fake.New("pa", fake.WithDefault(step))
			b := fake.New("pb", fake.WithDefault(fake.Reply("from b")))
			r, sink := streamRouter(t, a, b, llmrouter.WithTimeouts(llmrouter.Timeouts{FirstToken: 200 * time.Millisecond}))
			s, err := r.ChatStream(context.Background(), hello("chat"))
			require.NoError(t, err)
			assert.Equal(t, "from b", read(s), "the failed attempt's chunks never reach the caller")
			require.NoError(t, s.Err())
			s.Close()
			rec := sink.only(t)
			require.Len(t, rec.Attempts, 2)
			assert.Equal(t, "error", rec.Attempts[0].Status)
			assert.Equal(t, llmrouter.OutcomeSuccess, rec.Outcome)
		})
	}
}

func TestStreamFailureAfterContentIsTyped(t *testing.T) {
	defer goleak.VerifyNone(t)
	a := fake.New("pa", fake.WithDefault(fake.StreamCut("one two three four", 2)))
	b := fake.New("pb")
	r, sink := streamRouter(t, a, b)
	s, err := r.ChatStream(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "one two ", read(s))
	err = s.Err()
	require.ErrorIs(t, err, llmrouter.ErrStreamInterrupted)
	var se *llmrouter.StreamError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "a", se.Deployment)
	assert.True(t, se.Usage.Estimated, "no usage came, so it is estimated")
	assert.Equal(t, 2, se.Usage.OutputTokens)
	assert.Equal(t, llmrouter.KindTransport, se.Err.Kind)
	assert.Equal(t, 0, b.CallCount(), "no failover once content was sent")
	s.Close()
	rec := sink.only(t)
	assert.Equal(t, llmrouter.OutcomeInterrupted, rec.Outcome)
	assert.True(t, rec.Usage.Estimated)
}

func TestStreamWithoutFinishIsNotSilent(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.Step{Text: "half an ans", NoFinish: true}))
	r, _ := streamRouter(t, a, fake.New("pb"))
	s, err := r.ChatStream(context.Background(), hello("chat"))
	require.NoError(t, err)
	read(s)
	var se *llmrouter.StreamError
	require.ErrorAs(t, s.Err(), &se)
	assert.Equal(t, llmrouter.KindMalformed, se.Err.Kind)
}

func TestStreamIdleTimeout(t *testing.T) {
	defer goleak.VerifyNone(t)
	a := fake.New("pa", fake.WithDefault(fake.Step{Text: "one two", HangAfter: 1}))
	r, _ := streamRouter(t, a, fake.New("pb"), llmrouter.WithTimeouts(llmrouter.Timeouts{Idle: 40 * time.Millisecond}))
	s, err := r.ChatStream(context.Background(), hello("chat"))
	require.NoError(t, err)
	start := time.Now()
	assert.Equal(t, "one ", read(s))
	assert.Less(t, time.Since(start), 2*time.Second)
	var se *llmrouter.StreamError
	require.ErrorAs(t, s.Err(), &se)
	assert.Equal(t, llmrouter.KindTimeout, se.Err.Kind)
	s.Close()
}

func TestStreamIdleTimeoutSparesASlowReader(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.Reply("one two three")))
	r, _ := streamRouter(t, a, fake.New("pb"), llmrouter.WithTimeouts(llmrouter.Timeouts{Idle: 60 * time.Millisecond}))
	s, err := r.ChatStream(context.Background(), hello("chat"))
	require.NoError(t, err)
	var text string
	for s.Next() {
		text += s.Current().Text
		time.Sleep(100 * time.Millisecond) // the caller is slow, not the upstream
	}
	require.NoError(t, s.Err())
	assert.Equal(t, "one two three", text)
	s.Close()
}

func TestStreamCloseEarlyStopsUpstream(t *testing.T) {
	defer goleak.VerifyNone(t)
	a := fake.New("pa", fake.WithDefault(fake.Step{Text: "one two three four", ChunkDelay: 5 * time.Millisecond}))
	r, sink := streamRouter(t, a, fake.New("pb"))
	s, err := r.ChatStream(context.Background(), hello("chat"))
	require.NoError(t, err)
	require.True(t, s.Next())
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	assert.False(t, s.Next())
	rec := sink.only(t)
	assert.Equal(t, llmrouter.OutcomeClosed, rec.Outcome)
	assert.True(t, rec.Usage.Estimated)
}

func TestStreamCancelledByCaller(t *testing.T) {
	defer goleak.VerifyNone(t)
	a := fake.New("pa", fake.WithDefault(fake.Step{Text: "one two three", HangAfter: 1}))
	r, sink := streamRouter(t, a, fake.New("pb"))
	ctx, cancel := context.WithCancel(context.Background())
	s, err := r.ChatStream(ctx, hello("chat"))
	require.NoError(t, err)
	require.True(t, s.Next())
	time.AfterFunc(10*time.Millisecond, cancel)
	for s.Next() {
	}
	assert.True(t, errors.Is(s.Err(), context.Canceled) || errors.Is(s.Err(), llmrouter.ErrStreamInterrupted))
	s.Close()
	assert.Equal(t, llmrouter.OutcomeCanceled, sink.only(t).Outcome)
}

func TestStreamToolCallIsVisibleContent(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.Step{ToolCalls: []llmrouter.ToolCall{{ID: "c1", Name: "f", Arguments: `{"x":1}`}}}))
	r, _ := streamRouter(t, a, fake.New("pb"))
	s, err := r.ChatStream(context.Background(), hello("chat"))
	require.NoError(t, err)
	var args string
	var finish llmrouter.FinishReason
	for s.Next() {
		c := s.Current()
		for _, d := range c.ToolCalls {
			args += d.Arguments
		}
		if c.FinishReason != "" {
			finish = c.FinishReason
		}
	}
	require.NoError(t, s.Err())
	assert.Equal(t, `{"x":1}`, args)
	assert.Equal(t, llmrouter.FinishToolCalls, finish)
	s.Close()
}

func TestStreamAllFail(t *testing.T) {
	defer goleak.VerifyNone(t)
	a := fake.New("pa", fake.WithDefault(fake.ServerError()))
	b := fake.New("pb", fake.WithDefault(fake.Fail(llmrouter.KindAuth, 401)))
	r, sink := streamRouter(t, a, b)
	s, err := r.ChatStream(context.Background(), hello("chat"))
	require.ErrorIs(t, err, llmrouter.ErrNoRoute)
	assert.Nil(t, s)
	assert.Equal(t, llmrouter.OutcomeFailed, sink.only(t).Outcome)
}
