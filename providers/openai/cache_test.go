package openai

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/golden"
)

// cachedRequest marks a breakpoint on a part of every kind of message.
func cachedRequest(ttl time.Duration) *llmrouter.Request {
	hint := &llmrouter.CacheHint{TTL: ttl}
	return &llmrouter.Request{
		Model: "r",
		Messages: []llmrouter.Message{
			{Role: llmrouter.RoleSystem, Content: []llmrouter.Part{{Type: llmrouter.PartText, Text: "Long instructions.", Cache: hint}}},
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{
				llmrouter.TextPart("Look:"),
				{Type: llmrouter.PartImage, Image: &llmrouter.Image{URL: "https://example.com/a.png"}, Cache: hint},
			}},
			{Role: llmrouter.RoleAssistant, Content: []llmrouter.Part{{Type: llmrouter.PartText, Text: "A cat.", Cache: hint}}},
			{Role: llmrouter.RoleTool, ToolCallID: "call_1", Content: []llmrouter.Part{{Type: llmrouter.PartText, Text: "42", Cache: hint}}},
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{llmrouter.TextPart("More "), {Type: llmrouter.PartText, Text: "please.", Cache: hint}}},
			llmrouter.User("Unmarked."),
		},
		MaxOutputTokens: 100,
		CacheKey:        "tenant-42",
	}
}

// With Settings.CacheBreakpoints every hinted part carries an explicit
// prompt_cache_breakpoint (the message's content sent as parts); without
// it, the hints are dropped and the body is as before.
func TestGoldenCacheBreakpoints(t *testing.T) {
	for name, d := range map[string]func(p llmrouter.Provider) *llmrouter.Deployment{
		"openai_cache_breakpoints": func(p llmrouter.Provider) *llmrouter.Deployment {
			return &llmrouter.Deployment{Name: "d", Provider: p, Model: "gpt-5.6", Extra: Settings{CacheBreakpoints: true}}
		},
		"openai_cache_dropped": func(p llmrouter.Provider) *llmrouter.Deployment {
			return &llmrouter.Deployment{Name: "d", Provider: p, Model: "gpt-4.1"}
		},
	} {
		t.Run(name, func(t *testing.T) {
			got := captureRequest(t, false, d, cachedRequest(30*time.Minute))
			require.True(t, json.Valid(got.body), "%s", got.body)
			golden.Check(t, name+".golden", got.body)
		})
	}
}

func TestCacheBreakpointTTLRefused(t *testing.T) {
	p, _ := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { t.Error("sent") })
	d := &llmrouter.Deployment{Name: "d", Provider: p, Model: "gpt-5.6", Extra: &Settings{CacheBreakpoints: true}}
	_, err := p.Chat(ctx10s(t), d, cachedRequest(time.Hour))
	var pe *llmrouter.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, llmrouter.KindBadRequest, pe.Kind)
	assert.Equal(t, llmrouter.ClassFailover, pe.Class)
	assert.Contains(t, pe.Message, "Messages[0].Content[0].Cache.TTL")
}

// Settings carries the OpenRouter and LiteLLM objects too, so a deployment
// can have them and breakpoints at once.
func TestSettingsCombine(t *testing.T) {
	d := func(p llmrouter.Provider) *llmrouter.Deployment {
		return &llmrouter.Deployment{Name: "d", Provider: p, Model: "openai/gpt-5.6", Extra: &Settings{CacheBreakpoints: true,
			OpenRouter: &OpenRouterPreferences{Only: []string{"openai"}}, LiteLLM: &LiteLLMMetadata{Tags: []string{"t"}}}}
	}
	got := captureRequest(t, false, d, cachedRequest(0), OpenRouter())
	var body map[string]any
	require.NoError(t, json.Unmarshal(got.body, &body))
	assert.Equal(t, map[string]any{"only": []any{"openai"}}, body["provider"])
	assert.Equal(t, map[string]any{"tags": []any{"t"}}, body["metadata"])
	assert.Contains(t, string(got.body), `"prompt_cache_breakpoint":{"mode":"explicit"}`)
}
