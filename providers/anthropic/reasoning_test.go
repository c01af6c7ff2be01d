package anthropic

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/golden"
)

// The signed thinking block of a tool-call turn goes back unchanged, before
// the tool_use, in the next request; a block another provider issued does
// not, and is counted.
func TestReplayThinkingWithToolCall(t *testing.T) {
	var bodies [][]byte
	answers := []string{fixture(t, "message_thinking_tool_use.json"), fixture(t, "message.json")}
	p := serve(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, b)
		jsonBody(200, answers[len(bodies)-1])(w, r)
	})
	req := &llmrouter.Request{
		Model:     "r",
		Messages:  []llmrouter.Message{llmrouter.User("Weather in Paris?")},
		Tools:     []llmrouter.Tool{{Name: "get_weather", Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}}}`)}},
		Reasoning: &llmrouter.Reasoning{Effort: llmrouter.EffortHigh},
	}
	first, err := p.Chat(ctxT(t), testDeployment, req)
	require.NoError(t, err)
	require.Len(t, first.ReasoningBlocks, 1)
	assert.Equal(t, llmrouter.FinishToolCalls, first.FinishReason)

	msg := first.Message()
	msg.Reasoning = append([]llmrouter.ReasoningBlock{{Provider: "aws.bedrock", Text: "foreign", Signature: "x"}}, msg.Reasoning...)
	req.Messages = append(req.Messages, msg, llmrouter.ToolResult("toolu_01ParisWeather", `{"celsius":18}`))
	second, err := p.Chat(ctxT(t), testDeployment, req)
	require.NoError(t, err)
	assert.Equal(t, 1, second.ReasoningDropped)

	var sent struct {
		Messages []struct {
			Role    string            `json:"role"`
			Content []json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	require.NoError(t, json.Unmarshal(bodies[1], &sent))
	require.Len(t, sent.Messages, 3)
	asst := sent.Messages[1]
	require.Equal(t, "assistant", asst.Role)
	require.Len(t, asst.Content, 2)

	var issued struct {
		Content []json.RawMessage `json:"content"`
	}
	require.NoError(t, json.Unmarshal([]byte(fixture(t, "message_thinking_tool_use.json")), &issued))
	assert.JSONEq(t, string(issued.Content[0]), string(asst.Content[0]), "the signed block goes back as issued")
	assert.JSONEq(t, `{"type":"tool_use","id":"toolu_01ParisWeather","name":"get_weather","input":{"city":"Paris"}}`, string(asst.Content[1]))
	assert.NotContains(t, string(bodies[1]), "foreign")
}

func TestStreamThinkingSignature(t *testing.T) {
	p := serve(t, sseBody(fixture(t, "stream_thinking.sse")))
	s, err := p.Stream(ctxT(t), testDeployment, userRequest())
	require.NoError(t, err)
	resp, err := llmrouter.Collect(s)
	require.NoError(t, err)
	want := "I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147" +
		"\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21"
	assert.Equal(t, want, resp.Reasoning)
	assert.Equal(t, []llmrouter.ReasoningBlock{{Provider: "anthropic", Text: want,
		Signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."}}, resp.ReasoningBlocks)
	assert.Equal(t, 230, resp.Usage.ReasoningTokens)
	assert.Equal(t, "The greatest common divisor of 1071 and 462 is **21**.", resp.Text)
}

func TestEncodeReasoning(t *testing.T) {
	for name, tc := range map[string]struct {
		r      *llmrouter.Reasoning
		manual bool
		max    int
		want   string // thinking and output_config, as JSON
	}{
		"effort":         {r: &llmrouter.Reasoning{Effort: llmrouter.EffortMax}, want: `{"thinking":{"type":"adaptive"},"output_config":{"effort":"max"}}`},
		"minimal is low": {r: &llmrouter.Reasoning{Effort: llmrouter.EffortMinimal}, want: `{"thinking":{"type":"adaptive"},"output_config":{"effort":"low"}}`},
		"none":           {r: &llmrouter.Reasoning{Effort: llmrouter.EffortNone}, want: `{"thinking":{"type":"disabled"}}`},
		"budget":         {r: &llmrouter.Reasoning{BudgetTokens: 2000}, max: 4000, want: `{"thinking":{"type":"enabled","budget_tokens":2000}}`},
		"manual effort":  {r: &llmrouter.Reasoning{Effort: llmrouter.EffortMedium}, manual: true, max: 4000, want: `{"thinking":{"type":"enabled","budget_tokens":2048}}`},
		"nil":            {want: `{}`},
		// Without a max_tokens of the caller's, the default is raised above
		// the budget (max_tokens is checked in TestEffortBudgetRaisesDefaultMax).
		"manual max, default max_tokens": {r: &llmrouter.Reasoning{Effort: llmrouter.EffortMax}, manual: true, want: `{"thinking":{"type":"enabled","budget_tokens":16384}}`},
		"budget, default max_tokens":     {r: &llmrouter.Reasoning{BudgetTokens: 8000}, want: `{"thinking":{"type":"enabled","budget_tokens":8000}}`},
	} {
		t.Run(name, func(t *testing.T) {
			req := userRequest()
			req.Reasoning, req.MaxOutputTokens = tc.r, tc.max
			b, perr := encodeRequest(req, testDeployment, &Settings{ManualThinking: tc.manual}, DefaultMaxTokens, false)
			require.Nil(t, perr)
			var got struct {
				Thinking     json.RawMessage `json:"thinking,omitempty"`
				OutputConfig json.RawMessage `json:"output_config,omitempty"`
			}
			require.NoError(t, json.Unmarshal(b, &got))
			out, _ := json.Marshal(got)
			assert.JSONEq(t, tc.want, string(out))
		})
	}
	for name, r := range map[string]*llmrouter.Reasoning{
		"budget below 1024":       {BudgetTokens: 512},
		"budget not below max":    {BudgetTokens: 4096},
		"manual effort above max": {Effort: llmrouter.EffortMax},
	} {
		t.Run(name, func(t *testing.T) {
			req := userRequest()
			req.Reasoning, req.MaxOutputTokens = r, 4096
			_, perr := encodeRequest(req, testDeployment, &Settings{ManualThinking: r.Effort != ""}, DefaultMaxTokens, false)
			require.NotNil(t, perr)
			assert.Equal(t, llmrouter.KindBadRequest, perr.Kind)
			assert.Contains(t, perr.Message, "Reasoning.BudgetTokens")
		})
	}
}

// The effort table: each level's budget is sent; with the default
// max_tokens, max_tokens becomes the budget plus the default, so every
// level is accepted without a MaxOutputTokens; a deployment's
// MaxOutputTokens is the caller's and is kept.
func TestEffortBudgetRaisesDefaultMax(t *testing.T) {
	for e, budget := range map[llmrouter.Effort]int{
		llmrouter.EffortMinimal: 1024, llmrouter.EffortLow: 1024, llmrouter.EffortMedium: 2048,
		llmrouter.EffortHigh: 4096, llmrouter.EffortXHigh: 8192, llmrouter.EffortMax: 16384,
	} {
		t.Run(string(e), func(t *testing.T) {
			req := userRequest()
			req.Reasoning = &llmrouter.Reasoning{Effort: e}
			b, perr := encodeRequest(req, testDeployment, &Settings{ManualThinking: true}, DefaultMaxTokens, false)
			require.Nil(t, perr)
			var got struct {
				MaxTokens int `json:"max_tokens"`
				Thinking  struct {
					BudgetTokens int `json:"budget_tokens"`
				} `json:"thinking"`
			}
			require.NoError(t, json.Unmarshal(b, &got))
			assert.Equal(t, budget, got.Thinking.BudgetTokens)
			want := DefaultMaxTokens
			if budget >= DefaultMaxTokens {
				want = DefaultMaxTokens + budget
			}
			assert.Equal(t, want, got.MaxTokens)
		})
	}
	req := userRequest()
	req.Reasoning = &llmrouter.Reasoning{Effort: llmrouter.EffortMax}
	d := *testDeployment
	d.MaxOutputTokens = 8000
	_, perr := encodeRequest(req, &d, &Settings{ManualThinking: true}, DefaultMaxTokens, false)
	require.NotNil(t, perr, "a deployment's max_tokens is kept")
	assert.Contains(t, perr.Message, "raise MaxOutputTokens")
}

// surfaceRequest uses reasoning, cache hints and Extra.
func surfaceRequest() *llmrouter.Request {
	hour := &llmrouter.CacheHint{TTL: time.Hour}
	return &llmrouter.Request{
		Model: "r",
		Messages: []llmrouter.Message{
			{Role: llmrouter.RoleSystem, Content: []llmrouter.Part{{Type: llmrouter.PartText, Text: "A long system prompt.", Cache: hour}}},
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{
				{Type: llmrouter.PartText, Text: "A long document.", Cache: &llmrouter.CacheHint{}},
				llmrouter.TextPart("What does it say?"),
			}},
			{Role: llmrouter.RoleAssistant, Content: []llmrouter.Part{llmrouter.TextPart("Let me check.")},
				ToolCalls: []llmrouter.ToolCall{{ID: "toolu_1", Name: "lookup", Arguments: `{"q":"it"}`}},
				Reasoning: []llmrouter.ReasoningBlock{
					{Provider: "anthropic", Text: "I should look it up.", Signature: "c2lnbmF0dXJl"},
					{Provider: "anthropic", Redacted: "cmVkYWN0ZWQ="},
					{Provider: "gcp.gemini", Signature: "Z2VtaW5p"},
				}},
			{Role: llmrouter.RoleTool, ToolCallID: "toolu_1", Content: []llmrouter.Part{{Type: llmrouter.PartText, Text: "It says hello.", Cache: &llmrouter.CacheHint{TTL: 5 * time.Minute}}}},
		},
		Tools:           []llmrouter.Tool{{Name: "lookup"}},
		MaxOutputTokens: 16000,
		Reasoning:       &llmrouter.Reasoning{Effort: llmrouter.EffortXHigh},
		CacheKey:        "not-sent-to-anthropic",
		Extra: map[string]map[string]any{
			"anthropic": {"thinking": map[string]any{"display": "omitted"}, "service_tier": "auto"},
			"openai":    {"never": true},
		},
	}
}

// The request surface on the wire: adaptive thinking with effort, the
// replayed blocks before the assistant's text, cache_control with TTLs on
// system, user and tool_result blocks, and Extra merged last.
func TestGoldenSurfaceRequest(t *testing.T) {
	var c capture
	p := serve(t, c.handler)
	if _, err := p.Chat(ctxT(t), testDeployment, surfaceRequest()); err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	require.NoError(t, json.Indent(&body, c.body, "", "  "))
	body.WriteByte('\n')
	golden.Check(t, "request_surface.golden", body.Bytes())
}

func TestCacheBreakpointLimits(t *testing.T) {
	req := surfaceRequest()
	req.Messages[0].Content[0].Cache.TTL = 2 * time.Hour
	_, perr := encodeRequest(req, testDeployment, nil, DefaultMaxTokens, false)
	require.NotNil(t, perr)
	assert.Contains(t, perr.Message, "Messages[0].Cache.TTL")

	req = userRequest()
	for range 5 {
		req.Messages = append(req.Messages, llmrouter.Message{Role: llmrouter.RoleUser,
			Content: []llmrouter.Part{{Type: llmrouter.PartText, Text: "x", Cache: &llmrouter.CacheHint{}}}})
	}
	_, perr = encodeRequest(req, testDeployment, nil, DefaultMaxTokens, false)
	require.NotNil(t, perr)
	assert.Contains(t, perr.Message, "at most 4")
}
