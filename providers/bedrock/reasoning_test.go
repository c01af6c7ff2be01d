package bedrock

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/golden"
)

const claudeModel = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"

// surfaceRequest uses reasoning (with replayed state), cache hints and
// Extra.
func surfaceRequest() *llmrouter.Request {
	return &llmrouter.Request{
		Model: "r",
		Messages: []llmrouter.Message{
			{Role: llmrouter.RoleSystem, Content: []llmrouter.Part{{Type: llmrouter.PartText, Text: "A long system prompt.", Cache: &llmrouter.CacheHint{TTL: time.Hour}}}},
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{{Type: llmrouter.PartText, Text: "A long document.", Cache: &llmrouter.CacheHint{}}, llmrouter.TextPart("Look it up.")}},
			{Role: llmrouter.RoleAssistant, ToolCalls: []llmrouter.ToolCall{{ID: "t1", Name: "lookup", Arguments: `{}`}},
				Reasoning: []llmrouter.ReasoningBlock{
					{Provider: "aws.bedrock", Text: "I should look.", Signature: "c2ln"},
					{Provider: "aws.bedrock", Redacted: "cmVk"},
					{Provider: "anthropic", Text: "foreign", Signature: "x"},
				}},
			{Role: llmrouter.RoleTool, ToolCallID: "t1", Content: []llmrouter.Part{{Type: llmrouter.PartText, Text: "found", Cache: &llmrouter.CacheHint{TTL: 5 * time.Minute}}}},
		},
		Tools:     []llmrouter.Tool{{Name: "lookup"}},
		Reasoning: &llmrouter.Reasoning{Effort: llmrouter.EffortMinimal},
		CacheKey:  "dropped",
		Extra:     map[string]map[string]any{"aws.bedrock": {"performanceConfig": map[string]any{"latency": "optimized"}}},
	}
}

// On the wire: outputConfig.effort and adaptive thinking (merged with the
// deployment's additionalModelRequestFields), reasoningContent blocks
// replayed before the tool use (the foreign one left out), cachePoint
// blocks after the parts that carry a hint, and Extra merged last.
func TestGoldenSurfaceRequest(t *testing.T) {
	d := &llmrouter.Deployment{Name: "d", Model: claudeModel, Extra: &DeploymentOptions{AdditionalModelRequestFields: []byte(`{"top_k":40}`)}}
	b, err := encodeRequest(d, surfaceRequest(), false)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, json.Indent(&out, b, "", "  "))
	out.WriteByte('\n')
	golden.Check(t, "request_surface.golden", out.Bytes())
}

func TestEncodeReasoning(t *testing.T) {
	for name, tc := range map[string]struct {
		r     *llmrouter.Reasoning
		model string
		want  string // outputConfig and additionalModelRequestFields
	}{
		"claude effort":    {&llmrouter.Reasoning{Effort: llmrouter.EffortMax}, claudeModel, `{"outputConfig":{"effort":"max"},"additionalModelRequestFields":{"thinking":{"type":"adaptive"}}}`},
		"claude budget":    {&llmrouter.Reasoning{BudgetTokens: 2048}, claudeModel, `{"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":2048}}}`},
		"claude none":      {&llmrouter.Reasoning{Effort: llmrouter.EffortNone}, claudeModel, `{"additionalModelRequestFields":{"thinking":{"type":"disabled"}}}`},
		"other model":      {&llmrouter.Reasoning{Effort: llmrouter.EffortHigh}, "amazon.nova-2-lite-v1:0", `{"outputConfig":{"effort":"high"}}`},
		"other model none": {&llmrouter.Reasoning{Effort: llmrouter.EffortNone}, "amazon.nova-2-lite-v1:0", `{}`},
	} {
		t.Run(name, func(t *testing.T) {
			req := &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("hi")}, Reasoning: tc.r}
			b, err := encodeRequest(&llmrouter.Deployment{Name: "d", Model: tc.model}, req, false)
			require.NoError(t, err)
			var got struct {
				OutputConfig json.RawMessage `json:"outputConfig,omitempty"`
				Fields       json.RawMessage `json:"additionalModelRequestFields,omitempty"`
			}
			require.NoError(t, json.Unmarshal(b, &got))
			out, _ := json.Marshal(map[string]json.RawMessage{"outputConfig": got.OutputConfig, "additionalModelRequestFields": got.Fields})
			want := map[string]json.RawMessage{}
			require.NoError(t, json.Unmarshal([]byte(tc.want), &want))
			wb, _ := json.Marshal(map[string]json.RawMessage{"outputConfig": want["outputConfig"], "additionalModelRequestFields": want["additionalModelRequestFields"]})
			assert.JSONEq(t, string(wb), string(out))
		})
	}
	req := &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("hi")}, Reasoning: &llmrouter.Reasoning{BudgetTokens: 2048}}
	_, err := encodeRequest(&llmrouter.Deployment{Name: "d", Model: "amazon.nova-2-lite-v1:0"}, req, false)
	var ce *carriedElsewhere
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Reasoning.BudgetTokens", ce.field)
}

func TestCachePointLimits(t *testing.T) {
	req := surfaceRequest()
	req.Messages[0].Content[0].Cache.TTL = 2 * time.Hour
	_, err := encodeRequest(&llmrouter.Deployment{Name: "d", Model: claudeModel}, req, false)
	require.ErrorContains(t, err, "Messages[0].Content[0].Cache.TTL")

	req = &llmrouter.Request{}
	for range 5 {
		req.Messages = append(req.Messages, llmrouter.Message{Role: llmrouter.RoleUser,
			Content: []llmrouter.Part{{Type: llmrouter.PartText, Text: "x", Cache: &llmrouter.CacheHint{}}}})
	}
	_, err = encodeRequest(&llmrouter.Deployment{Name: "d", Model: claudeModel}, req, false)
	require.ErrorContains(t, err, "at most 4")
}

// Reasoning comes back as signed blocks, whole or streamed.
func TestReasoningBlocks(t *testing.T) {
	out, pe := decodeResponse(&call{deployment: "d"}, readFixture(t, "converse_reasoning.json"))
	require.Nil(t, pe)
	assert.Equal(t, []llmrouter.ReasoningBlock{{Provider: "aws.bedrock", Text: "The user asks for the capital of France. That is Paris.",
		Signature: "EqoBCkgIARABGAIiQGz5b0RzWkBeDSU1L0AYEXAMPLE"}}, out.ReasoningBlocks)

	resp, err := llmrouter.Collect(streamOf(context.Background(), encodeMessages(t, readTranscript(t, "stream_reasoning.json"))))
	require.NoError(t, err)
	assert.Equal(t, []llmrouter.ReasoningBlock{{Provider: "aws.bedrock", Text: "The user asks for the capital of France.",
		Signature: "EqoBCkgIARABGAIiQGz5b0RzWkBeDSU1L0AYEXAMPLE"}}, resp.ReasoningBlocks)
	assert.Equal(t, "Paris.", resp.Text)
}
