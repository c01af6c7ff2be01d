package bedrock

import (
	"context"
	"errors"
	"testing"

	"github.com/llmrouter/llmrouter"
)

// inputBlockedTrace is a guardrail trace (guardrailConfig.trace enabled)
// whose input assessment blocked the prompt.
const inputBlockedTrace = `"trace":{"guardrail":{"inputAssessment":{"gr-1":{"contentPolicy":{"filters":[{"type":"VIOLENCE","confidence":"HIGH","action":"BLOCKED"}]}}}}}`

func wantBlocked(t *testing.T, what string, err error) {
	t.Helper()
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("%s: err = %v; want a *ProviderError", what, err)
	}
	if pe.Kind != llmrouter.KindContentPolicy || pe.Code != "prompt_blocked" || pe.EffectiveClass() != llmrouter.ClassStop || pe.Provider != ProviderName {
		t.Errorf("%s: err = %+v; want KindContentPolicy, Code prompt_blocked", what, pe)
	}
}

// TestPromptBlocked: a guardrail (or a model's filter) that refused the
// prompt, so that no answer was generated, is the canonical blocked-prompt
// error, whole and streamed; a filtered answer stays an answer.
func TestPromptBlocked(t *testing.T) {
	d := &llmrouter.Deployment{Name: "d", Model: "m", Region: "us-east-1"}
	req := &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")}}
	whole := []struct {
		name, body string
		blocked    bool
	}{
		{"guardrail fixture (no tokens)", string(readFixture(t, "converse_guardrail.json")), true},
		{"empty, content_filtered", `{"output":{"message":{"role":"assistant","content":[]}},"stopReason":"content_filtered","usage":{"inputTokens":3,"outputTokens":0}}`, true},
		{"trace says input blocked", `{"output":{"message":{"role":"assistant","content":[{"text":"Blocked."}]}},"stopReason":"guardrail_intervened","usage":{"inputTokens":3,"outputTokens":4},` + inputBlockedTrace + `}`, true},
		{"answer filtered", `{"output":{"message":{"role":"assistant","content":[{"text":"Sorry."}]}},"stopReason":"guardrail_intervened","usage":{"inputTokens":3,"outputTokens":12}}`, false},
	}
	for _, tc := range whole {
		t.Run("Converse "+tc.name, func(t *testing.T) {
			r, err := goldenProvider(&capture{body: []byte(tc.body)}).Chat(context.Background(), d, req)
			if !tc.blocked {
				if err != nil || r.FinishReason != llmrouter.FinishContentFilter || r.Refusal == "" {
					t.Fatalf("resp %+v err %v; want a content_filter answer", r, err)
				}
				return
			}
			if r != nil {
				t.Errorf("resp = %+v; want none", r)
			}
			wantBlocked(t, "Converse", err)
		})
	}
	start := ev("messageStart", `{"role":"assistant"}`)
	streams := []struct {
		name    string
		msgs    []wireMessage
		blocked bool
	}{
		{"no output tokens", []wireMessage{start, ev("messageStop", `{"stopReason":"guardrail_intervened"}`),
			ev("metadata", `{"usage":{"inputTokens":3,"outputTokens":0}}`)}, true},
		{"trace says input blocked", []wireMessage{start, ev("messageStop", `{"stopReason":"content_filtered"}`),
			ev("metadata", `{"usage":{"inputTokens":3,"outputTokens":5},`+inputBlockedTrace+`}`)}, true},
		{"answer filtered", []wireMessage{start, ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Once"}}`),
			ev("messageStop", `{"stopReason":"guardrail_intervened"}`), ev("metadata", `{"usage":{"inputTokens":3,"outputTokens":0}}`)}, false},
	}
	for _, tc := range streams {
		t.Run("ConverseStream "+tc.name, func(t *testing.T) {
			_, _, _, finish, _, n, err := drainStream(streamOf(context.Background(), encodeMessages(t, tc.msgs)))
			if !tc.blocked {
				if err != nil || finish != llmrouter.FinishContentFilter {
					t.Fatalf("finish %q err %v; want content_filter", finish, err)
				}
				return
			}
			if n != 0 {
				t.Errorf("%d chunks before the error; want none", n)
			}
			wantBlocked(t, "ConverseStream", err)
		})
	}
}
