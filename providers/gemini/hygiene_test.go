package gemini

import (
	"testing"

	"github.com/llmrouter/llmrouter/internal/wire/wiretest"
)

// hygieneAnswers are the error shapes the hygiene tests send: plain text
// from a proxy and a google.rpc.Status.
var hygieneAnswers = []wiretest.Answer{wiretest.Plain, wiretest.JSON(`{"error":{"code":500,"message":"%s","status":"INTERNAL"}}`)}

// TestErrorHygiene: a credential the upstream echoes is redacted before the
// message is clipped, wherever it falls relative to the cut, however it
// was given (WithAPIKey or WithHeader); and every message is bounded to
// wire.MaxMessage.
func TestErrorHygiene(t *testing.T) {
	const key = "AIzaHygiene-0123456789abcdefSECRET"
	u := wiretest.NewUpstream(t)
	for name, opt := range map[string]Option{
		"api key":       WithAPIKey(key),
		"bearer header": WithHeader("Authorization", "Bearer "+key),
		"custom header": WithHeader("X-Goog-User-Token", key),
	} {
		t.Run(name, func(t *testing.T) {
			p := New(WithBaseURL(u.URL), opt)
			wiretest.CheckStraddling(t, p, deployment(p, "gemini-2.5-flash"), u, key, hygieneAnswers...)
		})
	}
	t.Run("bounded", func(t *testing.T) {
		p := New(WithBaseURL(u.URL))
		wiretest.CheckBounded(t, p, deployment(p, "gemini-2.5-flash"), u, hygieneAnswers...)
	})
}
