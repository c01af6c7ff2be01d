package openai

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/golden"
)

// surfaceRequest asks for reasoning, a cache key, and body fields of its
// own for OpenAI and DeepSeek.
func surfaceRequest(r *llmrouter.Reasoning) *llmrouter.Request {
	return &llmrouter.Request{
		Model: "r",
		Messages: []llmrouter.Message{
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{{Type: llmrouter.PartText, Text: "Hi", Cache: &llmrouter.CacheHint{}}}},
		},
		MaxOutputTokens: 100,
		Reasoning:       r,
		CacheKey:        "tenant-42",
		Extra: map[string]map[string]any{
			"openai":   {"service_tier": "flex", "verbosity": "low"},
			"deepseek": {"stream_options": nil},
		},
	}
}

// The reasoning controls and the cache key in each dialect, with Extra
// merged into the body of the named provider only.
func TestGoldenReasoningRequests(t *testing.T) {
	plain := func(p llmrouter.Provider) *llmrouter.Deployment {
		return &llmrouter.Deployment{Name: "d", Provider: p, Model: "m"}
	}
	high := &llmrouter.Reasoning{Effort: llmrouter.EffortXHigh}
	cases := []struct {
		name   string
		stream bool
		req    *llmrouter.Request
		opts   []Option
	}{
		{"reasoning_openai", false, surfaceRequest(high), nil},
		{"reasoning_openrouter_effort", false, surfaceRequest(high), []Option{OpenRouter()}},
		{"reasoning_openrouter_budget", false, surfaceRequest(&llmrouter.Reasoning{BudgetTokens: 2048}), []Option{OpenRouter()}},
		{"reasoning_deepseek_stream", true, surfaceRequest(high), []Option{DeepSeek()}},
		{"reasoning_deepseek_off", false, surfaceRequest(&llmrouter.Reasoning{Effort: llmrouter.EffortNone}), []Option{DeepSeek()}},
		{"reasoning_vllm", false, surfaceRequest(&llmrouter.Reasoning{Effort: llmrouter.EffortLow}), []Option{VLLM("")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := captureRequest(t, tc.stream, plain, tc.req, tc.opts...)
			require.True(t, json.Valid(got.body), "%s", got.body)
			golden.Check(t, tc.name+".golden", got.body)
		})
	}
}

func TestReasoningBudgetRefused(t *testing.T) {
	p, _ := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { t.Error("sent") })
	_, err := p.Chat(ctx10s(t), testDeployment(p), surfaceRequest(&llmrouter.Reasoning{BudgetTokens: 2048}))
	var pe *llmrouter.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, llmrouter.KindBadRequest, pe.Kind)
	assert.Equal(t, llmrouter.ClassFailover, pe.Class)
	assert.Equal(t, "openai", pe.Provider)
	assert.Contains(t, pe.Message, "Reasoning.BudgetTokens")
}

// DeepSeek's reasoning_content of a tool-call turn is kept and sent back;
// reasoning another provider issued is not.
func TestDeepSeekReplaysReasoningContent(t *testing.T) {
	var bodies [][]byte
	answer := `{"id":"x","model":"deepseek-reasoner","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,` +
		`"reasoning_content":"Need the weather.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"weather","arguments":"{}"}}]}}]}`
	p, _ := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, b)
		serveJSON(200, answer)(w, r)
	}, DeepSeek())
	req := &llmrouter.Request{Model: "r", Messages: []llmrouter.Message{llmrouter.User("Weather?")},
		Tools: []llmrouter.Tool{{Name: "weather"}}}
	first, err := p.Chat(ctx10s(t), testDeployment(p), req)
	require.NoError(t, err)
	assert.Equal(t, []llmrouter.ReasoningBlock{{Provider: "deepseek", Text: "Need the weather."}}, first.ReasoningBlocks)
	m := first.Message()
	m.Reasoning = append(m.Reasoning, llmrouter.ReasoningBlock{Provider: "anthropic", Text: "foreign", Signature: "s"})
	req.Messages = append(req.Messages, m, llmrouter.ToolResult("call_1", "sunny"))
	second, err := p.Chat(ctx10s(t), testDeployment(p), req)
	require.NoError(t, err)
	assert.Equal(t, 1, second.ReasoningDropped)
	var sent struct {
		Messages []map[string]any `json:"messages"`
	}
	require.NoError(t, json.Unmarshal(bodies[1], &sent))
	assert.Equal(t, "Need the weather.", sent.Messages[1]["reasoning_content"])
	assert.NotContains(t, string(bodies[1]), "foreign")

	// The stream keeps it too, as a block on its finishing chunk.
	sse := "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Need \"}}]}\n\n" +
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"the weather.\"}}]}\n\n" +
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Sunny.\"},\"finish_reason\":\"stop\"}]}\n\n" +
		"data: [DONE]\n\n"
	ps, _ := newTestServer(t, serveSSE(sse, nil), DeepSeek())
	st, err := ps.Stream(ctx10s(t), testDeployment(ps), simpleRequest())
	require.NoError(t, err)
	resp, err := llmrouter.Collect(st)
	require.NoError(t, err)
	assert.Equal(t, "Need the weather.", resp.Reasoning)
	assert.Equal(t, []llmrouter.ReasoningBlock{{Provider: "deepseek", Text: "Need the weather."}}, resp.ReasoningBlocks)
}

func TestLiteLLMServedBy(t *testing.T) {
	p, _ := newTestServer(t, serveJSON(200, string(readFixture(t, "response_text.json")), "X-Litellm-Model-Id", "7c9f2a1b"), LiteLLM(""))
	resp, err := p.Chat(ctx10s(t), testDeployment(p), simpleRequest())
	require.NoError(t, err)
	assert.Equal(t, "7c9f2a1b", resp.ServedBy)

	ps, _ := newTestServer(t, serveSSE(string(readFixture(t, "stream_text.sse")), nil, "X-Litellm-Model-Id", "7c9f2a1b"), LiteLLM(""))
	st, err := ps.Stream(ctx10s(t), testDeployment(ps), simpleRequest())
	require.NoError(t, err)
	chunks, err := collect(t, st)
	require.NoError(t, err)
	assert.Equal(t, "7c9f2a1b", chunks[0].ServedBy)

	// Only the LiteLLM preset reads the header.
	po, _ := newTestServer(t, serveJSON(200, string(readFixture(t, "response_text.json")), "X-Litellm-Model-Id", "7c9f2a1b"))
	resp, err = po.Chat(ctx10s(t), testDeployment(po), simpleRequest())
	require.NoError(t, err)
	assert.Empty(t, resp.ServedBy)
}
