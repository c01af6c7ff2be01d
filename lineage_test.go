package llmrouter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOneRecordPerRequestOnEveryPath runs a request down each path and
// checks that exactly one record comes out, with the right outcome.
func TestOneRecordPerRequestOnEveryPath(t *testing.T) {
	cases := []struct {
		name    string
		step    fake.Step
		req     func() *llmrouter.Request
		ctx     func() context.Context
		outcome llmrouter.Outcome
	}{
		{"success", fake.Reply("ok"), nil, nil, llmrouter.OutcomeSuccess},
		{"all fail", fake.ServerError(), nil, nil, llmrouter.OutcomeFailed},
		{"panic", fake.Panic("adapter bug"), nil, nil, llmrouter.OutcomeFailed},
		{"invalid", fake.Reply("ok"), func() *llmrouter.Request { return &llmrouter.Request{Model: "chat"} }, nil, llmrouter.OutcomeInvalid},
		{"unknown route", fake.Reply("ok"), func() *llmrouter.Request { return hello("nope") }, nil, llmrouter.OutcomeInvalid},
		{"policy denied", fake.Reply("ok"), func() *llmrouter.Request {
			r := hello("chat")
			r.Policies = []llmrouter.Policy{llmrouter.RegionIn("mars-*")}
			return r
		}, nil, llmrouter.OutcomePolicyDenied},
		{"quota", fake.Reply("ok"), func() *llmrouter.Request {
			r := hello("chat")
			r.Tenant, r.MaxOutputTokens = "acme", 1_000_000
			return r
		}, nil, llmrouter.OutcomeQuotaExceeded},
		{"canceled", fake.Hang(), nil, func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(10*time.Millisecond, cancel)
			return ctx
		}, llmrouter.OutcomeCanceled},
	}
	for _, c := range cases {
		for _, stream := range []bool{false, true} {
			name := c.name
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				p := fake.New("p", fake.WithDefault(c.step))
				sink := &recorder{}
				r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p), dep("b", p)),
					llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
					llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(llmrouter.TPM(1000))),
					llmrouter.WithLineage(sink), fastRetry)
				require.NoError(t, err)
				req := hello("chat")
				if c.req != nil {
					req = c.req()
				}
				ctx := context.Background()
				if c.ctx != nil {
					ctx = c.ctx()
				}
				if stream {
					s, err := r.ChatStream(ctx, req)
					if err == nil {
						read(s)
						s.Close()
					}
				} else {
					_, _ = r.Chat(ctx, req)
				}
				rec := sink.only(t)
				assert.Equal(t, c.outcome, rec.Outcome)
				assert.NotEmpty(t, rec.RequestID)
				assert.Equal(t, stream, rec.Stream)
				if c.outcome != llmrouter.OutcomeSuccess {
					assert.NotEmpty(t, rec.Error)
				}
			})
		}
	}
}

func TestServedByReachesLineage(t *testing.T) {
	sink := &recorder{}
	p := fake.New("openrouter", fake.WithDefault(fake.Step{Text: "hi", ServedBy: "DeepInfra"}))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)), llmrouter.WithLineage(sink))
	require.NoError(t, err)
	resp, err := r.Chat(context.Background(), hello("a"))
	require.NoError(t, err)
	assert.Equal(t, "DeepInfra", resp.ServedBy)
	s, err := r.ChatStream(context.Background(), hello("a"))
	require.NoError(t, err)
	read(s)
	s.Close()
	for _, rec := range sink.all() {
		assert.Equal(t, "DeepInfra", rec.ServedBy)
		assert.Contains(t, string(rec.AppendJSON(nil)), `"served_by":"DeepInfra"`)
	}
}

func TestPanicIsRecoveredIntoTypedError(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.Panic("nil map")))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a)))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("a"))
	var pe *llmrouter.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, llmrouter.KindPanic, pe.Kind)
	var panicErr *llmrouter.PanicError
	require.ErrorAs(t, err, &panicErr)
	assert.Equal(t, "nil map", panicErr.Value)
	assert.NotEmpty(t, panicErr.Stack)
}

func TestRecordHoldsNoPromptTextByDefault(t *testing.T) {
	var buf bytes.Buffer
	sink := llmrouter.NewJSONLSink(&buf)
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p", fake.WithDefault(fake.Reply("the secret answer"))))),
		llmrouter.WithLineage(sink))
	require.NoError(t, err)
	req := &llmrouter.Request{Model: "a", Tenant: "acme", Labels: map[string]string{"team": "search", "env": "prod"},
		Messages: []llmrouter.Message{llmrouter.System("be brief"), llmrouter.User("my account number is 12345")}}
	_, err = r.Chat(context.Background(), req)
	require.NoError(t, err)
	line := buf.String()
	assert.NotContains(t, line, "12345")
	assert.NotContains(t, line, "secret answer")
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &got), line)
	assert.Equal(t, "acme", got["tenant"])
	prompt := got["prompt"].(map[string]any)
	assert.Equal(t, llmrouter.HashPrompt(req.Messages).String(), prompt["hash"])
	assert.EqualValues(t, 2, prompt["messages"])
	assert.EqualValues(t, len("be brief")+len("my account number is 12345"), prompt["bytes"])
	assert.Equal(t, map[string]any{"env": "prod", "team": "search"}, got["labels"])
	assert.True(t, strings.HasSuffix(line, "}\n"))
	require.NoError(t, sink.Err())
}

func TestContentCaptureWhenAsked(t *testing.T) {
	sink := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p", fake.WithDefault(fake.Reply("the answer"))))),
		llmrouter.WithLineage(sink), llmrouter.WithContentCapture(true))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("a"))
	require.NoError(t, err)
	rec := sink.only(t)
	require.NotNil(t, rec.Content)
	assert.Equal(t, "Hello", rec.Content.Messages[0].Text())
	assert.Equal(t, "the answer", rec.Content.Output)

	s, err := r.ChatStream(context.Background(), hello("a"))
	require.NoError(t, err)
	read(s)
	s.Close()
	assert.Equal(t, "the answer", sink.all()[1].Content.Output)
}

func TestRecordJSONMatchesEncodingJSON(t *testing.T) {
	rec := &llmrouter.Record{RequestID: "r1", Route: "chat", Tenant: "t\"<&>\u2028\x01", Start: time.Unix(1700000000, 5).UTC(),
		Duration: 1500 * time.Microsecond, Policies: []string{"p"},
		Candidates: []llmrouter.CandidateRecord{{Deployment: "a", Provider: "x", Status: llmrouter.CandidateTried, Reason: "server"}},
		Attempts: []llmrouter.AttemptRecord{{Deployment: "a", Status: "error", Class: llmrouter.ClassRetry, Kind: llmrouter.KindServer,
			StatusCode: 500, RetryAfter: time.Second, Error: "bad\ngateway \xff"}},
		Outcome: llmrouter.OutcomeFailed, Usage: llmrouter.Usage{InputTokens: 3, CachedInputTokens: 1, Estimated: true}, Cost: 0.25}
	b, err := json.Marshal(rec)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got), string(b))
	assert.Equal(t, "t\"<&>\u2028\x01", got["tenant"])
	assert.Equal(t, 1.5, got["duration_ms"])
	assert.Equal(t, "2023-11-14T22:13:20.000000005Z", got["start"])
	att := got["attempts"].([]any)[0].(map[string]any)
	assert.Equal(t, "retry", att["class"])
	assert.Equal(t, "server", att["kind"])
	assert.EqualValues(t, 1000, att["retry_after_ms"])
	assert.Equal(t, "bad\ngateway \ufffd", att["error"])
	assert.Equal(t, map[string]any{"input_tokens": 3.0, "output_tokens": 0.0, "cached_input_tokens": 1.0, "estimated": true}, got["usage"])
}

func TestSlogSink(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p"))), llmrouter.WithLineage(llmrouter.NewSlogSink(logger)))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("a"))
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
	assert.Equal(t, "llmrouter request", got["msg"])
	assert.Equal(t, "INFO", got["level"])
	assert.Equal(t, "success", got["outcome"])
	assert.Equal(t, "a", got["deployment"])
}

func TestSinkPanicDoesNotBreakTheRequest(t *testing.T) {
	after := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p"))),
		llmrouter.WithLineage(llmrouter.SinkFunc(func(context.Context, *llmrouter.Record) { panic("sink bug") }), after))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("a"))
	require.NoError(t, err)
	after.only(t)
}

func TestCostFromPriceAndUsage(t *testing.T) {
	p := llmrouter.Price{InputPerMTok: 3, OutputPerMTok: 15, CachedInputPerMTok: 0.3, CacheWritePerMTok: 3.75}
	u := llmrouter.Usage{InputTokens: 1_000_000, CachedInputTokens: 400_000, CacheWriteTokens: 100_000, OutputTokens: 200_000, ReasoningTokens: 50_000}
	// 500k uncached × $3 + 400k × $0.3 + 100k × $3.75 + 200k × $15
	assert.InDelta(t, 1.5+0.12+0.375+3.0, p.Cost(u), 1e-9)
	assert.InDelta(t, 1.0, llmrouter.Price{InputPerMTok: 2}.Cost(llmrouter.Usage{InputTokens: 500_000, CachedInputTokens: 500_000}), 1e-9,
		"cache reads default to the input price")
}
