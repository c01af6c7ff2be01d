package gemini

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return string(b)
}

func TestDecodeResponseFixtures(t *testing.T) {
	tests := []struct {
		file string
		want llmrouter.Response
	}{
		{"response_text.json", llmrouter.Response{
			ID: "mb2XaM3hBqGEz7IPh5D8mQU", Model: "gemini-2.0-flash",
			Text:         "AI learns patterns from data to make predictions or decisions.\n",
			FinishReason: llmrouter.FinishStop,
			Usage:        llmrouter.Usage{InputTokens: 5, OutputTokens: 13},
		}},
		{"response_thinking.json", llmrouter.Response{
			ID: "9Lm3aLWUG5G7nvgP0ZqM2AM", Model: "gemini-2.5-flash",
			Text:         "There are 4 prime numbers below 10: 2, 3, 5 and 7.",
			Reasoning:    "**Counting the primes**\n\nI need the primes below 10: 2, 3, 5 and 7.\n",
			FinishReason: llmrouter.FinishStop,
			// promptTokenCount includes the cached 2048; thoughts are added
			// to candidatesTokenCount.
			Usage: llmrouter.Usage{InputTokens: 2110, OutputTokens: 24 + 396, CachedInputTokens: 2048, ReasoningTokens: 396},
		}},
		{"response_function_call.json", llmrouter.Response{
			ID: "Xh2maKWDMLCp1dkP7MnX8Ac", Model: "gemini-3-pro-preview",
			ToolCalls: []llmrouter.ToolCall{
				{ID: "call_0", Name: "set_light_values", Arguments: `{"brightness":25,"color_temp":"warm"}`,
					Signature: "CpkCAdHtim9mnmfKxTrg3EZ2LRXXRh1tJ5YQ3mJt2cpbOnXQzcRsAlH2q4pl"},
				{ID: "call_1", Name: "get_current_temperature", Arguments: `{"location":"London"}`},
			},
			FinishReason: llmrouter.FinishToolCalls,
			Usage:        llmrouter.Usage{InputTokens: 96 + 20, OutputTokens: 38 + 100, ReasoningTokens: 100},
		}},
		{"response_safety_finish.json", llmrouter.Response{
			Model:        "gemini-1.5-flash",
			FinishReason: llmrouter.FinishContentFilter,
			Refusal:      "answer blocked: SAFETY",
			Usage:        llmrouter.Usage{InputTokens: 12},
		}},
		{"response_max_tokens.json", llmrouter.Response{
			ID: "a1b2c3", Model: "gemini-2.0-flash-001",
			Text:         "Once upon a time, in a land far",
			FinishReason: llmrouter.FinishLength,
			Usage:        llmrouter.Usage{InputTokens: 7, OutputTokens: 10},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := decodeResponse([]byte(readFixture(t, tt.file)))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got.Text != tt.want.Text || got.Reasoning != tt.want.Reasoning {
				t.Errorf("text/reasoning = %q / %q; want %q / %q", got.Text, got.Reasoning, tt.want.Text, tt.want.Reasoning)
			}
			// Compare the arguments as JSON text after compaction.
			if !reflect.DeepEqual(got, &tt.want) {
				t.Errorf("response =\n%+v\nwant\n%+v", *got, tt.want)
			}
		})
	}
}

func TestFinishReasons(t *testing.T) {
	tests := []struct {
		raw   string
		tools bool
		want  llmrouter.FinishReason
	}{
		{"STOP", false, llmrouter.FinishStop},
		{"STOP", true, llmrouter.FinishToolCalls},
		{"MAX_TOKENS", false, llmrouter.FinishLength},
		{"MAX_TOKENS", true, llmrouter.FinishLength},
		{"SAFETY", false, llmrouter.FinishContentFilter},
		{"RECITATION", false, llmrouter.FinishContentFilter},
		{"BLOCKLIST", false, llmrouter.FinishContentFilter},
		{"PROHIBITED_CONTENT", false, llmrouter.FinishContentFilter},
		{"SPII", false, llmrouter.FinishContentFilter},
		{"IMAGE_SAFETY", false, llmrouter.FinishContentFilter},
		{"MALFORMED_FUNCTION_CALL", false, llmrouter.FinishOther},
		{"OTHER", false, llmrouter.FinishOther},
		{"LANGUAGE", false, llmrouter.FinishOther},
		{"SOMETHING_NEW", false, llmrouter.FinishOther},
	}
	for _, tt := range tests {
		if got := finishReason(tt.raw, tt.tools); got != tt.want {
			t.Errorf("finishReason(%s, %v) = %s; want %s", tt.raw, tt.tools, got, tt.want)
		}
	}
}

func TestEmptyCandidatesIsServerError(t *testing.T) {
	_, err := decodeResponse([]byte(readFixture(t, "response_empty.json")))
	if err == nil || err.Kind != llmrouter.KindServer {
		t.Fatalf("err = %v; want a server error", err)
	}
}

func TestChatFixtureOverHTTP(t *testing.T) {
	p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
		if _, ok := checkCall(t, r, "gemini-3-pro-preview"); !ok {
			writeJSON(w, 404, readFixture(t, "error_not_found.json"))
			return
		}
		writeJSON(w, 200, readFixture(t, "response_function_call.json"))
	})
	resp, err := p.Chat(context.Background(), deployment(p, "models/gemini-3-pro-preview"), providertest.Request(providertest.ToolCall))
	if err != nil {
		t.Fatal(err)
	}
	if resp.FinishReason != llmrouter.FinishToolCalls || len(resp.ToolCalls) != 2 || resp.RateLimit != nil {
		t.Errorf("resp = %+v", resp)
	}
}
