package openai

import (
	"errors"
	"net/http"
	"testing"

	"github.com/llmrouter/llmrouter"
)

// TestPromptBlockedAzure: Azure's 400 content_filter (innererror
// ResponsibleAIPolicyViolation) is the canonical blocked-prompt event,
// whole and streamed: KindContentPolicy with Code "prompt_blocked".
func TestPromptBlockedAzure(t *testing.T) {
	body := readFixture(t, "error_azure_content_filter.json")
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(body)
	}
	p, _ := newTestServer(t, h, Azure("", "2024-10-21"))
	check := func(what string, err error) {
		t.Helper()
		var pe *llmrouter.ProviderError
		if !errors.As(err, &pe) {
			t.Fatalf("%s: err = %v; want a *ProviderError", what, err)
		}
		if pe.Kind != llmrouter.KindContentPolicy || pe.Code != "prompt_blocked" || pe.StatusCode != 400 ||
			pe.EffectiveClass() != llmrouter.ClassStop || pe.Provider != "azure.ai.openai" {
			t.Errorf("%s: err = %+v; want KindContentPolicy, Code prompt_blocked, 400, ClassStop", what, pe)
		}
	}
	_, err := p.Chat(ctx10s(t), testDeployment(p), simpleRequest())
	check("Chat", err)
	st, err := p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
	if err == nil {
		_, err = collect(t, st)
	}
	check("Stream", err)
}

// TestAnswerFilteredStaysAnswer: a completion Azure filters after
// generation (200, finish_reason content_filter) is an answer, not the
// blocked-prompt error.
func TestAnswerFilteredStaysAnswer(t *testing.T) {
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"c1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Once upon"},"finish_reason":"content_filter"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`))
	}
	p, _ := newTestServer(t, h, Azure("", "2024-10-21"))
	resp, err := p.Chat(ctx10s(t), testDeployment(p), simpleRequest())
	if err != nil {
		t.Fatal(err)
	}
	if resp.FinishReason != llmrouter.FinishContentFilter {
		t.Errorf("finish = %q; want content_filter", resp.FinishReason)
	}
}
