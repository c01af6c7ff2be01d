package anthropic

import (
	"testing"

	"github.com/llmrouter/llmrouter/internal/wire/wiretest"
)

// hygieneAnswers are the error shapes the hygiene tests send: plain text
// from a proxy and Anthropic's JSON error object.
var hygieneAnswers = []wiretest.Answer{wiretest.Plain, wiretest.JSON(`{"type":"error","error":{"type":"api_error","message":"%s"}}`)}

// TestErrorHygiene: a credential the upstream echoes is redacted before the
// message is clipped, wherever it falls relative to the cut, however it
// was given (WithAPIKey or WithHeader); and every message is bounded to
// wire.MaxMessage.
func TestErrorHygiene(t *testing.T) {
	const key = "sk-ant-hygiene-0123456789abcdefSECRET"
	u := wiretest.NewUpstream(t)
	for name, opt := range map[string]Option{
		"api key":       WithAPIKey(key),
		"bearer header": WithHeader("Authorization", "Bearer "+key),
		"custom header": WithHeader("X-Gateway-Token", key),
	} {
		t.Run(name, func(t *testing.T) {
			wiretest.CheckStraddling(t, New(WithBaseURL(u.URL), opt), testDeployment, u, key, hygieneAnswers...)
		})
	}
	t.Run("bounded", func(t *testing.T) {
		wiretest.CheckBounded(t, New(WithBaseURL(u.URL)), testDeployment, u, hygieneAnswers...)
	})
}
