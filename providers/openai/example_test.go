package openai_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/openai"
)

func Example() {
	// A stand-in for https://api.openai.com/v1.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Ratelimit-Remaining-Requests", "499")
		_, _ = io.WriteString(w, `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini-2024-07-18",
			"choices":[{"index":0,"message":{"role":"assistant","content":"Bonjour !"},"finish_reason":"stop"}],
			"usage":{"prompt_tokens":21,"completion_tokens":4,"total_tokens":25,"prompt_tokens_details":{"cached_tokens":0}}}`)
	}))
	defer srv.Close()

	p := openai.New(openai.WithAPIKey("sk-example"), openai.WithBaseURL(srv.URL+"/v1"))
	d := &llmrouter.Deployment{Name: "fast", Provider: p, Model: "gpt-4o-mini"}
	resp, err := p.Chat(context.Background(), d, &llmrouter.Request{
		Model:    "fast",
		Messages: []llmrouter.Message{llmrouter.System("Answer in French."), llmrouter.User("Say hello.")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Text, resp.FinishReason, resp.Usage.InputTokens, resp.Usage.OutputTokens, resp.RateLimit.RemainingRequests)
	// Output: Bonjour ! stop 21 4 499
}

// An OpenRouter deployment with routing preferences, and a LiteLLM proxy
// deployment with spend-tracking tags.
func ExampleOpenRouterPreferences() {
	openrouter := openai.New(openai.OpenRouter(), openai.WithAPIKey("sk-or-..."),
		openai.WithOpenRouterApp("https://example.com", "Example"))
	litellm := openai.New(openai.LiteLLM("http://litellm:4000"), openai.WithAPIKey("sk-litellm-..."))
	deployments := []llmrouter.Deployment{
		{Name: "llama-70b", Provider: openrouter, Model: "meta-llama/llama-3.3-70b-instruct",
			Extra: openai.OpenRouterPreferences{
				Order:          []string{"groq", "cerebras"},
				AllowFallbacks: llmrouter.Ptr(false),
				DataCollection: "deny",
				ZDR:            true,
				MaxPrice:       &openai.OpenRouterMaxPrice{Prompt: 1, Completion: 2},
			}},
		{Name: "claude-via-proxy", Provider: litellm, Model: "claude-sonnet",
			Extra: openai.LiteLLMMetadata{Tags: []string{"team:search"}, Metadata: map[string]any{"app": "indexer"}}},
	}
	for _, d := range deployments {
		fmt.Println(d.Name, d.Provider.Name())
	}
	// Output:
	// llama-70b openrouter
	// claude-via-proxy litellm
}

// A gpt-5.6 deployment that takes explicit cache breakpoints: the long
// system prompt's part carries one.
func ExampleSettings() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct {
				Content json.RawMessage `json:"content"`
			} `json:"messages"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		fmt.Println(string(body.Messages[0].Content))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"c","object":"chat.completion","model":"gpt-5.6",
			"choices":[{"index":0,"message":{"role":"assistant","content":"Done."},"finish_reason":"stop"}],
			"usage":{"prompt_tokens":2100,"completion_tokens":2,"total_tokens":2102,"prompt_tokens_details":{"cached_tokens":2048}}}`)
	}))
	defer srv.Close()

	p := openai.New(openai.WithAPIKey("sk-example"), openai.WithBaseURL(srv.URL+"/v1"))
	d := &llmrouter.Deployment{Name: "gpt", Provider: p, Model: "gpt-5.6", Extra: openai.Settings{CacheBreakpoints: true}}
	resp, err := p.Chat(context.Background(), d, &llmrouter.Request{Messages: []llmrouter.Message{
		{Role: llmrouter.RoleSystem, Content: []llmrouter.Part{{Type: llmrouter.PartText, Text: "A long manual.", Cache: &llmrouter.CacheHint{}}}},
		llmrouter.User("Summarise it."),
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Text, resp.Usage.CachedInputTokens)
	// Output:
	// [{"type":"text","text":"A long manual.","prompt_cache_breakpoint":{"mode":"explicit"}}]
	// Done. 2048
}
