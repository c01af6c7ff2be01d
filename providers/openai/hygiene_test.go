package openai

import (
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire/wiretest"
)

// hygieneAnswers are the error shapes the hygiene tests send: plain text
// from a proxy and OpenAI's JSON error object.
var hygieneAnswers = []wiretest.Answer{wiretest.Plain, wiretest.JSON(`{"error":{"message":"%s","type":"server_error"}}`)}

// TestErrorHygiene: a key the upstream echoes is redacted before the
// message is clipped, wherever it falls relative to the cut, however the
// key was given; and every message is bounded to wire.MaxMessage.
func TestErrorHygiene(t *testing.T) {
	const key = "sk-proj-hygiene-0123456789abcdefSECRET"
	u := wiretest.NewUpstream(t)
	d := &llmrouter.Deployment{Name: "dep", Model: "gpt-4o-mini"}
	for name, opts := range map[string][]Option{
		"api key":       {WithAPIKey(key)},
		"azure api key": {Azure(u.URL, ""), WithAPIKey(key)},
		"bearer header": {WithHeader("Authorization", "Bearer "+key)},
		"custom header": {WithHeader("X-Gateway-Token", key)},
	} {
		t.Run(name, func(t *testing.T) {
			p := New(append([]Option{WithBaseURL(u.URL)}, opts...)...)
			wiretest.CheckStraddling(t, p, d, u, key, hygieneAnswers...)
		})
	}
	t.Run("bounded", func(t *testing.T) {
		wiretest.CheckBounded(t, New(WithBaseURL(u.URL)), d, u, hygieneAnswers...)
	})
}
