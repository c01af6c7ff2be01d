package anthropic

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
)

// The fixtures are the examples of Anthropic's documentation (Messages API,
// tool use, extended thinking, prompt caching, streaming, errors), with ids
// and counts as published, plus a transcript from anthropic-sdk-go's tests.

func TestResponseFixtures(t *testing.T) {
	tests := []struct {
		file string
		want llmrouter.Response
	}{
		{"message.json", llmrouter.Response{ID: "msg_013Zva2CMHLNnXjNJJKqJ2EF", Model: "claude-3-7-sonnet-20250219",
			Text: "Hi! My name is Claude.", FinishReason: llmrouter.FinishStop,
			Usage: llmrouter.Usage{InputTokens: 2095, OutputTokens: 503}}},
		{"message_tool_use.json", llmrouter.Response{ID: "msg_01Aq9w938a90dw8q", Model: "claude-opus-4-1-20250805",
			Text: "I'll check the current weather in San Francisco for you.",
			ToolCalls: []llmrouter.ToolCall{{ID: "toolu_01A09q90qw90lq917835lq9", Name: "get_weather",
				Arguments: `{"location":"San Francisco, CA","unit":"celsius"}`}},
			FinishReason: llmrouter.FinishToolCalls}},
		{"message_thinking.json", llmrouter.Response{ID: "msg_01ThinkingExample", Model: "claude-sonnet-4-5",
			Text: "Based on my analysis...", Reasoning: "Let me analyze this step by step...", FinishReason: llmrouter.FinishStop,
			ReasoningBlocks: []llmrouter.ReasoningBlock{
				{Provider: "anthropic", Text: "Let me analyze this step by step...",
					Signature: "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL...."},
				{Provider: "anthropic", Redacted: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj2pabTxTwdPGZHUCGXx..."},
			},
			Usage: llmrouter.Usage{InputTokens: 45, OutputTokens: 530, ReasoningTokens: 480}}},
		{"message_cache.json", llmrouter.Response{ID: "msg_01CacheExample", Model: "claude-sonnet-4-5",
			Text:         "Pride and Prejudice explores the themes of love, class and reputation.",
			FinishReason: llmrouter.FinishLength,
			Usage:        llmrouter.Usage{InputTokens: 21 + 188086, OutputTokens: 393, CacheWriteTokens: 188086}}},
		{"message_cache_1h.json", llmrouter.Response{ID: "msg_01Cache1h", Model: "claude-opus-4-5", Text: "Cached.",
			FinishReason: llmrouter.FinishStop,
			Usage:        llmrouter.Usage{InputTokens: 21 + 3000 + 500, OutputTokens: 12, CachedInputTokens: 500, CacheWriteTokens: 3000, CacheWrite1hTokens: 2000}}},
		{"message_refusal.json", llmrouter.Response{ID: "msg_01RefusalExample", Model: "claude-sonnet-4-5",
			Text: "I can't help with that.", Refusal: "I can't help with that.", FinishReason: llmrouter.FinishContentFilter,
			Usage: llmrouter.Usage{InputTokens: 18 + 2048, OutputTokens: 9, CachedInputTokens: 2048}}},
		{"message_pause_turn.json", llmrouter.Response{ID: "msg_01PauseExample", Model: "claude-sonnet-4-5",
			FinishReason: llmrouter.FinishOther, Usage: llmrouter.Usage{InputTokens: 120, OutputTokens: 30}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := serve(t, jsonBody(200, fixture(t, tt.file)))
			got, err := p.Chat(ctxT(t), testDeployment, userRequest())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestStreamFixtures(t *testing.T) {
	tests := []struct {
		file string
		want llmrouter.Response
	}{
		{"stream_text.sse", llmrouter.Response{Text: "Hello!", FinishReason: llmrouter.FinishStop,
			Usage: llmrouter.Usage{InputTokens: 25, OutputTokens: 15}}},
		{"stream_tool_use.sse", llmrouter.Response{Text: "Okay, let's check the weather for San Francisco, CA:",
			ToolCalls: []llmrouter.ToolCall{{ID: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", Name: "get_weather",
				Arguments: `{"location": "San Francisco, CA", "unit": "fahrenheit"}`}},
			FinishReason: llmrouter.FinishToolCalls, Usage: llmrouter.Usage{InputTokens: 472, OutputTokens: 89}}},
		{"stream_thinking.sse", llmrouter.Response{
			Reasoning: "I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147" +
				"\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21",
			Text: "The greatest common divisor of 1071 and 462 is **21**.", FinishReason: llmrouter.FinishStop,
			Usage: llmrouter.Usage{InputTokens: 40 + 1024, OutputTokens: 260, CachedInputTokens: 1024, ReasoningTokens: 230}}},
		{"stream_sdk_tool_use.sse", llmrouter.Response{
			ToolCalls:    []llmrouter.ToolCall{{ID: "toolu_echo_1", Name: "echo", Arguments: `{"text": "hello"}`}},
			FinishReason: llmrouter.FinishToolCalls, Usage: llmrouter.Usage{InputTokens: 31, OutputTokens: 40}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := serve(t, sseBody(fixture(t, tt.file)))
			st, err := p.Stream(ctxT(t), testDeployment, userRequest())
			if err != nil {
				t.Fatal(err)
			}
			c := drainStream(st)
			if c.err != nil {
				t.Fatal(c.err)
			}
			if c.finishes != 1 || c.usage == nil {
				t.Fatalf("%d finish reasons, usage %v; want one finish reason and usage", c.finishes, c.usage)
			}
			c.resp.Usage = *c.usage
			if !reflect.DeepEqual(c.resp, tt.want) {
				t.Errorf("got  %+v\nwant %+v", c.resp, tt.want)
			}
		})
	}
}

func TestErrorFixtures(t *testing.T) {
	tests := []struct {
		file   string
		status int
		kind   llmrouter.Kind
	}{
		{"error_invalid_request.json", 400, llmrouter.KindBadRequest},
		{"error_prompt_too_long.json", 400, llmrouter.KindContextLength},
		{"error_credit_balance.json", 400, llmrouter.KindBilling},
		{"error_authentication.json", 401, llmrouter.KindAuth},
		{"error_billing.json", 402, llmrouter.KindBilling},
		{"error_permission.json", 403, llmrouter.KindAuth},
		{"error_not_found.json", 404, llmrouter.KindNotFound},
		{"error_request_too_large.json", 413, llmrouter.KindContextLength},
		{"error_rate_limit.json", 429, llmrouter.KindRateLimited},
		{"error_spend_limit.json", 429, llmrouter.KindBilling},
		{"error_api.json", 500, llmrouter.KindServer},
		{"error_timeout.json", 504, llmrouter.KindTimeout},
		{"error_overloaded.json", 529, llmrouter.KindServer},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := fixture(t, tt.file)
			p := serve(t, jsonBody(tt.status, body))
			for _, op := range []string{"Chat", "Stream"} {
				var err error
				if op == "Chat" {
					_, err = p.Chat(ctxT(t), testDeployment, userRequest())
				} else {
					_, err = p.Stream(ctxT(t), testDeployment, userRequest())
				}
				var pe *llmrouter.ProviderError
				if !errors.As(err, &pe) {
					t.Fatalf("%s: %v; want a *ProviderError", op, err)
				}
				if pe.Kind != tt.kind || pe.StatusCode != tt.status || pe.Provider != "anthropic" ||
					pe.Deployment != "claude" || pe.Code == "" || pe.Message == "" || len(pe.RequestID) < 10 {
					t.Errorf("%s: %+v; want kind %v, status %d, code, message and request id", op, pe, tt.kind, tt.status)
				}
			}
		})
	}
}

func TestStreamErrorFixture(t *testing.T) {
	p := serve(t, sseBody(fixture(t, "stream_error.sse"), "Request-Id", "req_stream_overloaded"))
	st, err := p.Stream(ctxT(t), testDeployment, userRequest())
	if err != nil {
		t.Fatal(err)
	}
	c := drainStream(st)
	var pe *llmrouter.ProviderError
	if !errors.As(c.err, &pe) {
		t.Fatalf("stream ended with %v; want a *ProviderError", c.err)
	}
	want := llmrouter.ProviderError{Provider: "anthropic", Deployment: "claude", Kind: llmrouter.KindServer,
		Code: "overloaded_error", Message: "Overloaded", RequestID: "req_stream_overloaded"}
	if *pe != want {
		t.Errorf("error = %+v; want %+v", *pe, want)
	}
	if pe.EffectiveClass() != llmrouter.ClassRetry {
		t.Errorf("class = %v; want retry", pe.EffectiveClass())
	}
	if c.chunks != 0 || c.finishes != 0 {
		t.Errorf("%d chunks before the error; want none", c.chunks)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	now := time.Date(2025, 8, 21, 12, 40, 0, 0, time.UTC)
	defer func(f func() time.Time) { nowFunc = f }(nowFunc)
	nowFunc = func() time.Time { return now }
	h := []string{
		"Anthropic-Ratelimit-Requests-Limit", "50",
		"Anthropic-Ratelimit-Requests-Remaining", "49",
		"Anthropic-Ratelimit-Requests-Reset", "2025-08-21T12:40:01Z",
		"Anthropic-Ratelimit-Tokens-Limit", "60000",
		"Anthropic-Ratelimit-Tokens-Remaining", "59000",
		"Anthropic-Ratelimit-Tokens-Reset", "2025-08-21T12:40:59Z",
		"Anthropic-Ratelimit-Input-Tokens-Reset", "2025-08-21T12:40:59Z",
		"Request-Id", "req_011CSHoEeqs5C35K2UUqR7Fy",
	}
	want := &llmrouter.RateLimit{RemainingRequests: 49, RemainingTokens: 59000, ResetRequests: time.Second, ResetTokens: 59 * time.Second}
	p := serve(t, jsonBody(200, fixture(t, "message.json"), h...))
	resp, err := p.Chat(ctxT(t), testDeployment, userRequest())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(resp.RateLimit, want) {
		t.Errorf("Chat RateLimit = %+v; want %+v", resp.RateLimit, want)
	}
	p = serve(t, sseBody(fixture(t, "stream_text.sse"), h...))
	st, err := p.Stream(ctxT(t), testDeployment, userRequest())
	if err != nil {
		t.Fatal(err)
	}
	c := drainStream(st)
	if c.err != nil {
		t.Fatal(c.err)
	}
	if !reflect.DeepEqual(c.rl, want) {
		t.Errorf("Stream RateLimit = %+v; want %+v", c.rl, want)
	}

	// Only input and output token limits announced; requests unknown.
	p = serve(t, jsonBody(200, fixture(t, "message.json"),
		"Anthropic-Ratelimit-Input-Tokens-Remaining", "30000", "Anthropic-Ratelimit-Output-Tokens-Remaining", "8000"))
	resp, err = p.Chat(ctxT(t), testDeployment, userRequest())
	if err != nil {
		t.Fatal(err)
	}
	if want := (&llmrouter.RateLimit{RemainingRequests: -1, RemainingTokens: 8000}); !reflect.DeepEqual(resp.RateLimit, want) {
		t.Errorf("RateLimit = %+v; want %+v", resp.RateLimit, want)
	}
	// None announced.
	p = serve(t, jsonBody(200, fixture(t, "message.json")))
	if resp, err = p.Chat(ctxT(t), testDeployment, userRequest()); err != nil || resp.RateLimit != nil {
		t.Errorf("RateLimit = %+v, %v; want nil", resp.RateLimit, err)
	}
}
