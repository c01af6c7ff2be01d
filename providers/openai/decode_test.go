package openai

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
)

func TestChatFixtures(t *testing.T) {
	rlHeaders := []string{"X-Ratelimit-Limit-Requests", "10000", "X-Ratelimit-Remaining-Requests", "9999",
		"X-Ratelimit-Remaining-Tokens", "149984", "X-Ratelimit-Reset-Requests", "6m0s", "X-Ratelimit-Reset-Tokens", "20ms",
		"X-Request-Id", "req_abc"}
	cases := []struct {
		fixture string
		headers []string
		want    llmrouter.Response
	}{
		{"response_text.json", rlHeaders, llmrouter.Response{
			ID: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", Model: "gpt-4.1-2025-04-14",
			Text: "Hello! How can I assist you today?", FinishReason: llmrouter.FinishStop,
			Usage:     llmrouter.Usage{InputTokens: 1117, OutputTokens: 46, CachedInputTokens: 1024, ReasoningTokens: 32},
			RateLimit: &llmrouter.RateLimit{RemainingRequests: 9999, RemainingTokens: 149984, ResetRequests: 6 * time.Minute, ResetTokens: 20 * time.Millisecond},
		}},
		{"response_tool_call.json", nil, llmrouter.Response{
			ID: "chatcmpl-abc123", Model: "gpt-4o-mini", FinishReason: llmrouter.FinishToolCalls,
			ToolCalls: []llmrouter.ToolCall{{ID: "call_abc123", Name: "get_current_weather", Arguments: "{\n\"location\": \"Boston, MA\"\n}"}},
			Usage:     llmrouter.Usage{InputTokens: 82, OutputTokens: 17},
		}},
		{"response_refusal.json", nil, llmrouter.Response{
			ID: "chatcmpl-refuse1", Model: "gpt-4o-2024-08-06", FinishReason: llmrouter.FinishContentFilter,
			Refusal: "I'm sorry, I cannot assist with that request.",
			Usage:   llmrouter.Usage{InputTokens: 81, OutputTokens: 11},
		}},
		{"response_deepseek_reasoner.json", nil, llmrouter.Response{
			ID: "930c60df-bf64-41c9-a88e-3ec75f81e00e", Model: "deepseek-reasoner", FinishReason: llmrouter.FinishStop,
			Text: "9.11 is smaller than 9.8.", Reasoning: "Compare the decimals: 0.11 < 0.80.",
			Usage: llmrouter.Usage{InputTokens: 16, OutputTokens: 58, ReasoningTokens: 44},
		}},
		{"response_openrouter.json", nil, llmrouter.Response{
			ID: "gen-1747320000-abcdEFGHijklMNOP", Model: "meta-llama/llama-3.3-70b-instruct", ServedBy: "Groq",
			Text: "The capital of France is", FinishReason: llmrouter.FinishLength,
			Usage: llmrouter.Usage{InputTokens: 14, OutputTokens: 5},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			p, _ := newTestServer(t, serveJSON(200, string(readFixture(t, tc.fixture)), tc.headers...))
			got, err := p.Chat(ctx10s(t), testDeployment(p), simpleRequest())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tc.want)
			}
			// The same body served to a stream request comes back as one chunk.
			st, err := p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
			if err != nil {
				t.Fatal(err)
			}
			chunks, err := collect(t, st)
			if err != nil || len(chunks) != 1 {
				t.Fatalf("JSON answer to a stream: %v, %d chunks", err, len(chunks))
			}
			c := chunks[0]
			if c.FinishReason != tc.want.FinishReason || c.Usage == nil || *c.Usage != tc.want.Usage || len(c.ToolCalls) != len(tc.want.ToolCalls) {
				t.Errorf("one-chunk stream = %+v", c)
			}
		})
	}
}

func TestDecodeEdgeCases(t *testing.T) {
	cases := []struct {
		name, body string
		want       llmrouter.Response
		malformed  bool
	}{
		{name: "content parts", body: `{"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"thinking","thinking":"x"},{"type":"text","text":"b"}]},"finish_reason":"eos"}]}`,
			want: llmrouter.Response{Text: "ab", FinishReason: llmrouter.FinishStop}},
		{name: "object arguments", body: `{"choices":[{"message":{"tool_calls":[{"id":"c","function":{"name":"f","arguments":{"a":1}}}]},"finish_reason":"function_call"}]}`,
			want: llmrouter.Response{ToolCalls: []llmrouter.ToolCall{{ID: "c", Name: "f", Arguments: `{"a":1}`}}, FinishReason: llmrouter.FinishToolCalls}},
		{name: "escapes", body: `{"choices":[{"message":{"content":"\u00e9\ud83d\ude00\n\"\\\/"},"finish_reason":"weird"}]}`,
			want: llmrouter.Response{Text: "é😀\n\"\\/", FinishReason: llmrouter.FinishOther}},
		{name: "lone surrogate", body: `{"choices":[{"message":{"content":"a\ud800b"}}]}`,
			want: llmrouter.Response{Text: "a\ufffdb"}},
		{name: "openrouter reasoning", body: `{"choices":[{"message":{"content":"4","reasoning":"2+2"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":9,"completion_tokens_details":{"reasoning_tokens":8},"prompt_tokens_details":{"cached_tokens":1,"cache_write_tokens":2}}}`,
			want: llmrouter.Response{Text: "4", Reasoning: "2+2", FinishReason: llmrouter.FinishStop,
				Usage: llmrouter.Usage{InputTokens: 3, OutputTokens: 9, ReasoningTokens: 8, CachedInputTokens: 1, CacheWriteTokens: 2}}},
		{name: "deepseek cache hits", body: `{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":100,"completion_tokens":1,"prompt_cache_hit_tokens":64}}`,
			want: llmrouter.Response{Text: "x", Usage: llmrouter.Usage{InputTokens: 100, OutputTokens: 1, CachedInputTokens: 64}}},
		{name: "float counts", body: `{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1e2,"completion_tokens":3.0}}`,
			want: llmrouter.Response{Text: "x", Usage: llmrouter.Usage{InputTokens: 100, OutputTokens: 3}}},
		{name: "second choice ignored", body: `{"choices":[{"message":{"content":"one"}},{"message":{"content":"two"}}]}`,
			want: llmrouter.Response{Text: "one"}},
		{name: "no choices", body: `{"id":"x","choices":[]}`, malformed: true},
		{name: "truncated", body: `{"choices":[{"message":{"content":"x"`, malformed: true},
		{name: "trailing garbage", body: `{"choices":[{"message":{"content":"x"}}]} x`, malformed: true},
		{name: "wrong type", body: `{"choices":[{"message":{"content":5}}]}`, malformed: true},
		{name: "null", body: `null`, malformed: true},
		{name: "html", body: `<html>oops</html>`, malformed: true},
		{name: "trailing comma", body: `{"choices":[{"message":{"content":"x"}},]}`, malformed: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := newTestServer(t, serveJSON(200, tc.body))
			got, err := p.Chat(ctx10s(t), testDeployment(p), simpleRequest())
			if tc.malformed {
				var pe *llmrouter.ProviderError
				if !asProviderError(err, &pe) || pe.Kind != llmrouter.KindMalformed {
					t.Fatalf("err = %v; want malformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

// TestScannerMatchesEncodingJSON checks the string decoder against
// encoding/json on tricky strings.
func TestScannerMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `"quoted"`, "\\", "\x00\x1f", "é☃😀", "\u2028\u2029", "<>&", "\ufffd", "a\tb\r\nc"} {
		raw, _ := json.Marshal(s)
		var sc scanner
		sc.reset(raw)
		if got := sc.string(); got != s || sc.end() != nil {
			t.Errorf("scanner read %s as %q (%v); want %q", raw, got, sc.err, s)
		}
		// And the encoder: our escaping reads back the same.
		var back string
		if err := json.Unmarshal(appendString(nil, s), &back); err != nil || back != s {
			t.Errorf("appendString(%q) = %s: %v", s, appendString(nil, s), err)
		}
	}
	var back string
	_ = json.Unmarshal(appendString(nil, "a\xffb"), &back)
	if back != "a\ufffdb" {
		t.Errorf("invalid UTF-8 encoded as %q", back)
	}
}

func TestAppendFloat(t *testing.T) {
	for _, f := range []float64{0, 1, 0.2, 0.7, 1.5, 2, 1e-7, 123456789, 1e21, -0.5} {
		want, _ := json.Marshal(f)
		if got := appendFloat(nil, f); string(got) != string(want) {
			t.Errorf("appendFloat(%v) = %s; want %s", f, got, want)
		}
	}
}

func TestDeveloperAsSystem(t *testing.T) {
	req := &llmrouter.Request{Model: "r", Messages: []llmrouter.Message{llmrouter.Developer("d"), llmrouter.User("u")}}
	d := &llmrouter.Deployment{Name: "m"}
	body, _ := New(VLLM("")).appendBody(nil, d, req, false)
	if !strings.Contains(string(body), `{"role":"system","content":"d"}`) {
		t.Errorf("vLLM body %s: developer not sent as system", body)
	}
	body, _ = New().appendBody(nil, d, req, false)
	if !strings.Contains(string(body), `{"role":"developer","content":"d"}`) {
		t.Errorf("OpenAI body %s: developer role lost", body)
	}
}

func TestPresets(t *testing.T) {
	cases := []struct {
		p         *Provider
		name, url string
		maxTokens string
	}{
		{New(), "openai", "https://api.openai.com/v1/chat/completions", "max_completion_tokens"},
		{New(Azure("https://res.openai.azure.com/", "")), "azure.ai.openai",
			"https://res.openai.azure.com/openai/deployments/my%20dep/chat/completions?api-version=" + DefaultAzureAPIVersion, "max_completion_tokens"},
		{New(AzureV1("https://res.openai.azure.com")), "azure.ai.openai", "https://res.openai.azure.com/openai/v1/chat/completions", "max_completion_tokens"},
		{New(OpenRouter()), "openrouter", "https://openrouter.ai/api/v1/chat/completions", "max_tokens"},
		{New(Groq()), "groq", "https://api.groq.com/openai/v1/chat/completions", "max_completion_tokens"},
		{New(Together()), "together", "https://api.together.xyz/v1/chat/completions", "max_tokens"},
		{New(Mistral()), "mistral_ai", "https://api.mistral.ai/v1/chat/completions", "max_tokens"},
		{New(DeepSeek()), "deepseek", "https://api.deepseek.com/v1/chat/completions", "max_tokens"},
		{New(VLLM("")), "vllm", "http://localhost:8000/v1/chat/completions", "max_tokens"},
		{New(Ollama("")), "ollama", "http://localhost:11434/v1/chat/completions", "max_tokens"},
		{New(LiteLLM("")), "litellm", "http://localhost:4000/chat/completions", "max_completion_tokens"},
		{New(VLLM("http://gpu:8000/v1/"), WithName("vllm-eu"), WithMaxTokensField()), "vllm-eu", "http://gpu:8000/v1/chat/completions", "max_tokens"},
	}
	for _, tc := range cases {
		if tc.p.Name() != tc.name || tc.p.urlFor("my dep") != tc.url || tc.p.maxTokens != tc.maxTokens {
			t.Errorf("%s: name %q url %q field %q; want %q %q %q", tc.name, tc.p.Name(), tc.p.urlFor("my dep"), tc.p.maxTokens, tc.name, tc.url, tc.maxTokens)
		}
	}
	p := New(AzureV1("https://res.openai.azure.com"), WithAPIKey("azure-key-0123456789"))
	found := false
	for _, h := range p.headers {
		if h.key == "Authorization" {
			t.Errorf("Azure sends Authorization")
		}
		found = found || h.key == "Api-Key" && h.val[0] == "azure-key-0123456789"
	}
	if !found || p.omitModel {
		t.Errorf("AzureV1: api-key header %v, model omitted %v", found, p.omitModel)
	}
}

func TestGroqStreamUsage(t *testing.T) {
	p, _ := newTestServer(t, serveSSE(`data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}`+"\n\n"+
		`data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"x_groq":{"id":"req_1","usage":{"prompt_tokens":5,"completion_tokens":1}}}`+"\n\n"+
		"data: [DONE]\n\n", nil), Groq())
	st, err := p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := collect(t, st)
	if err != nil || len(chunks) != 2 || chunks[1].Usage == nil || *chunks[1].Usage != (llmrouter.Usage{InputTokens: 5, OutputTokens: 1}) {
		t.Errorf("chunks %+v, %v", chunks, err)
	}
}
