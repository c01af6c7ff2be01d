package gemini

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/golden"
)

// The canonical reasoning control becomes thinkingLevel on Gemini 3 and
// thinkingBudget on Gemini 2.5; cache hints and the cache key are not
// sent (Gemini caches implicitly); Extra is merged into the body.
func TestGoldenReasoningRequest(t *testing.T) {
	p, reqs := recordingProvider(t)
	req := &llmrouter.Request{
		Model: "r",
		Messages: []llmrouter.Message{
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{{Type: llmrouter.PartText, Text: "Hi", Cache: &llmrouter.CacheHint{TTL: time.Hour}}}},
		},
		Reasoning: &llmrouter.Reasoning{Effort: llmrouter.EffortXHigh},
		CacheKey:  "dropped",
		Extra: map[string]map[string]any{
			"gcp.gemini": {"generationConfig": map[string]any{"mediaResolution": "MEDIA_RESOLUTION_LOW"}},
			"openai":     {"never": true},
		},
	}
	_, err := p.Chat(context.Background(), deployment(p, "gemini-3-pro-preview"), req)
	require.NoError(t, err)
	golden.Check(t, "request_reasoning.golden", (*reqs)[0].golden(t))
}

func TestThinkingConfig(t *testing.T) {
	dep := &ThinkingConfig{ThinkingLevel: "low", IncludeThoughts: false}
	for name, tc := range map[string]struct {
		r     *llmrouter.Reasoning
		model string
		dep   *ThinkingConfig
		want  string
	}{
		"nil keeps the deployment's": {nil, "gemini-3-pro", dep, `{"thinkingLevel":"low"}`},
		"3: effort as level":         {&llmrouter.Reasoning{Effort: llmrouter.EffortMax}, "gemini-3-pro", dep, `{"includeThoughts":true,"thinkingLevel":"high"}`},
		"3: none as minimal":         {&llmrouter.Reasoning{Effort: llmrouter.EffortNone}, "gemini-3-flash", nil, `{"thinkingLevel":"minimal"}`},
		"3: budget alone":            {&llmrouter.Reasoning{BudgetTokens: 4000}, "gemini-3-pro", dep, `{"includeThoughts":true,"thinkingBudget":4000}`},
		"2.5: budget wins":           {&llmrouter.Reasoning{Effort: llmrouter.EffortLow, BudgetTokens: 3000}, "gemini-2.5-flash", nil, `{"includeThoughts":true,"thinkingBudget":3000}`},
		"2.5: effort as budget":      {&llmrouter.Reasoning{Effort: llmrouter.EffortMedium}, "models/gemini-2.5-pro", nil, `{"includeThoughts":true,"thinkingBudget":8192}`},
		"2.5: none is zero":          {&llmrouter.Reasoning{Effort: llmrouter.EffortNone}, "gemini-2.5-flash", nil, `{"thinkingBudget":0}`},
		"2.5 Pro: none is its least": {&llmrouter.Reasoning{Effort: llmrouter.EffortNone}, "models/gemini-2.5-pro", nil, `{"thinkingBudget":128}`},
		"2.5: minimal":               {&llmrouter.Reasoning{Effort: llmrouter.EffortMinimal}, "gemini-2.5-flash-lite", nil, `{"includeThoughts":true,"thinkingBudget":512}`},
		"2.5: low":                   {&llmrouter.Reasoning{Effort: llmrouter.EffortLow}, "gemini-2.5-flash", nil, `{"includeThoughts":true,"thinkingBudget":1024}`},
		"2.5: high":                  {&llmrouter.Reasoning{Effort: llmrouter.EffortHigh}, "gemini-2.5-flash", nil, `{"includeThoughts":true,"thinkingBudget":24576}`},
		"2.5: max within Flash":      {&llmrouter.Reasoning{Effort: llmrouter.EffortMax}, "gemini-2.5-flash", nil, `{"includeThoughts":true,"thinkingBudget":24576}`},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(thinkingConfig(tc.dep, tc.r, tc.model))
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(b))
		})
	}
}
