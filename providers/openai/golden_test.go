package openai

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/golden"
)

// richRequest uses every part of the canonical request the adapter maps.
func richRequest() *llmrouter.Request {
	return &llmrouter.Request{
		Model: "route-name-never-sent",
		Messages: []llmrouter.Message{
			llmrouter.System("You are a weather bot.\nBe \"terse\"."),
			llmrouter.Developer("Use metric units."),
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{
				llmrouter.TextPart("What is the weather where this photo was taken? <b>&</b> é ☃"),
				llmrouter.ImagePart("https://example.com/photo.jpg"),
				{Type: llmrouter.PartImage, Image: &llmrouter.Image{Data: []byte("\x89PNG\r\n\x1a\n-fake"), MediaType: "image/png"}},
			}},
			{Role: llmrouter.RoleAssistant, ToolCalls: []llmrouter.ToolCall{
				{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`},
				{ID: "call_2", Name: "get_time"},
			}},
			llmrouter.ToolResult("call_1", `{"temp_c":18}`),
			llmrouter.ToolResult("call_2", "12:00"),
			llmrouter.Assistant("It is 18°C at noon."),
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{llmrouter.TextPart("And "), llmrouter.TextPart("tomorrow?")}},
		},
		Tools: []llmrouter.Tool{
			{Name: "get_weather", Description: "Weather in a city.", Parameters: json.RawMessage(
				` {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]} `)},
			{Name: "get_time"},
		},
		ToolChoice: llmrouter.ToolChoice{Mode: llmrouter.ToolForced, Name: "get_weather"},
		ResponseFormat: llmrouter.ResponseFormat{Type: llmrouter.FormatJSONSchema, Name: "forecast", Strict: true,
			Schema: json.RawMessage(`{"type":"object","properties":{"temp_c":{"type":"number"}},"required":["temp_c"],"additionalProperties":false}`)},
		MaxOutputTokens: 256,
		Temperature:     llmrouter.Ptr(0.2),
		TopP:            llmrouter.Ptr(0.9),
		Seed:            llmrouter.Ptr(int64(42)),
		Stop:            []string{"\n\nEND", "STOP"},
		User:            "user-1234",
		Tenant:          "acme",
	}
}

// capture records what the server receives.
type capture struct {
	method, uri string
	header      http.Header
	body        []byte
}

func (c *capture) String() string {
	var b strings.Builder
	b.WriteString(c.method + " " + c.uri + "\n")
	keys := make([]string, 0, len(c.header))
	for k := range c.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range c.header[k] {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	b.WriteString("\n")
	b.Write(c.body)
	b.WriteString("\n")
	return b.String()
}

func captureRequest(t *testing.T, stream bool, d func(p llmrouter.Provider) *llmrouter.Deployment, req *llmrouter.Request, opts ...Option) *capture {
	t.Helper()
	var got capture
	h := func(w http.ResponseWriter, r *http.Request) {
		got = capture{method: r.Method, uri: r.URL.RequestURI(), header: r.Header.Clone()}
		got.body, _ = io.ReadAll(r.Body)
		if stream {
			serveSSE(string(readFixture(t, "stream_text.sse")), nil)(w, r)
		} else {
			serveJSON(200, string(readFixture(t, "response_text.json")))(w, r)
		}
	}
	p, _ := newTestServer(t, h, opts...)
	dep := d(p)
	if stream {
		st, err := p.Stream(ctx10s(t), dep, req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := collect(t, st); err != nil {
			t.Fatal(err)
		}
	} else if _, err := p.Chat(ctx10s(t), dep, req); err != nil {
		t.Fatal(err)
	}
	return &got
}

func TestGoldenRequests(t *testing.T) {
	plain := func(p llmrouter.Provider) *llmrouter.Deployment {
		return &llmrouter.Deployment{Name: "gpt4o", Provider: p, Model: "gpt-4o-2024-08-06"}
	}
	orPrefs := func(p llmrouter.Provider) *llmrouter.Deployment {
		return &llmrouter.Deployment{Name: "llama", Provider: p, Model: "meta-llama/llama-3.3-70b-instruct",
			Extra: &OpenRouterPreferences{
				Order: []string{"groq", "together"}, Only: []string{"groq", "together", "fireworks"}, Ignore: []string{"azure"},
				AllowFallbacks: llmrouter.Ptr(false), RequireParameters: true, DataCollection: "deny", ZDR: true,
				Quantizations: []string{"fp8"}, Sort: "throughput",
				MaxPrice: &OpenRouterMaxPrice{Prompt: 0.6, Completion: 0.8},
			}}
	}
	litellm := func(p llmrouter.Provider) *llmrouter.Deployment {
		return &llmrouter.Deployment{Name: "proxy", Provider: p, Model: "claude-sonnet",
			Extra: LiteLLMMetadata{Tags: []string{"team:search", "env:prod"},
				Metadata: map[string]any{"app": "indexer", "tags": "ignored", "run": 7}}}
	}
	small := &llmrouter.Request{Model: "r", Messages: []llmrouter.Message{llmrouter.User("Hi")}, MaxOutputTokens: 100}
	cases := []struct {
		name   string
		stream bool
		d      func(llmrouter.Provider) *llmrouter.Deployment
		req    *llmrouter.Request
		opts   []Option
	}{
		{"openai_chat", false, plain, richRequest(), []Option{WithOrganization("org-123"), WithProject("proj_abc"), WithHeader("X-Custom", "1")}},
		{"openai_stream", true, plain, richRequest(), nil},
		{"azure_stream", true, plain, richRequest(), []Option{Azure("", "2024-10-21")}},
		{"openrouter_prefs", false, orPrefs, small, []Option{OpenRouter(), WithOpenRouterApp("https://example.com", "Example App")}},
		{"litellm_metadata", true, litellm, small, []Option{LiteLLM("")}},
		{"vllm_max_tokens", false, plain, small, []Option{VLLM(""), WithStreamUsage(false)}},
		{"mistral_stream", true, plain, small, []Option{Mistral()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := captureRequest(t, tc.stream, tc.d, tc.req, tc.opts...)
			if !json.Valid(got.body) {
				t.Fatalf("body is not valid JSON: %s", got.body)
			}
			if bytes.Contains(got.body, []byte("route-name-never-sent")) {
				t.Errorf("the route name was sent upstream")
			}
			golden.Check(t, tc.name+".golden", []byte(got.String()))
		})
	}
}
