package gemini

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

// TestPromptBlocked: promptFeedback.blockReason with no candidates is the
// canonical blocked-prompt event, whole and streamed: a *ProviderError of
// KindContentPolicy with Code "prompt_blocked" (ClassStop unless the route
// falls back on refusals), never an answer.
func TestPromptBlocked(t *testing.T) {
	tests := []struct {
		name, fixture string
		stream        bool
		msg           string
	}{
		{"whole", "response_blocked_prompt.json", false, "prompt blocked: SAFETY"},
		{"streamed", "stream_blocked.sse", true, "prompt blocked: PROHIBITED_CONTENT"},
		{"whole with message", `{"promptFeedback":{"blockReason":"OTHER","blockReasonMessage":"The prompt was blocked."},"usageMetadata":{"promptTokenCount":3}}`, false, "The prompt was blocked."},
		{"streamed, usage after", "data: {\"promptFeedback\":{\"blockReason\":\"JAILBREAK\"}}\n\ndata: {\"usageMetadata\":{\"promptTokenCount\":3}}\n\n", true, "prompt blocked: JAILBREAK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.fixture
			if len(body) > 0 && body[0] != '{' && body[0] != 'd' {
				body = readFixture(t, tt.fixture)
			}
			p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.stream {
					writeRaw(w, body)
					return
				}
				writeJSON(w, 200, body)
			})
			d := deployment(p, "gemini-2.5-flash")
			var err error
			if tt.stream {
				st, serr := p.Stream(context.Background(), d, providertest.Request(providertest.StreamText))
				if serr != nil {
					t.Fatalf("Stream: %v", serr)
				}
				var got streamed
				got, err = collect(t, st)
				if got.Chunks != 0 {
					t.Errorf("%d chunks before the error; want none", got.Chunks)
				}
			} else {
				var resp *llmrouter.Response
				resp, err = p.Chat(context.Background(), d, providertest.Request(providertest.StreamText))
				if resp != nil {
					t.Errorf("resp = %+v; want none", resp)
				}
			}
			var pe *llmrouter.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v; want a *ProviderError", err)
			}
			if pe.Kind != llmrouter.KindContentPolicy || pe.Code != "prompt_blocked" || pe.EffectiveClass() != llmrouter.ClassStop ||
				pe.Provider != Name || pe.Deployment != "gemini-test" || pe.Message != tt.msg {
				t.Errorf("err = %+v; want KindContentPolicy, Code prompt_blocked, message %q", pe, tt.msg)
			}
		})
	}
}
