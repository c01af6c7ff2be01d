package bedrock

import (
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire/wiretest"
)

// hygieneAnswers are the error shapes the hygiene tests send: plain text
// from a proxy and Bedrock's JSON error body.
var hygieneAnswers = []wiretest.Answer{wiretest.Plain, wiretest.JSON(`{"message":"%s"}`)}

// TestErrorHygiene: a credential the upstream echoes (API key, secret
// access key, session token, access key id) is redacted before the message
// is clipped, wherever it falls relative to the cut; and every message is
// bounded to wire.MaxMessage.
func TestErrorHygiene(t *testing.T) {
	const key = "bedrock-hygiene-0123456789abcdefSECRET"
	u := wiretest.NewUpstream(t)
	d := &llmrouter.Deployment{Name: "dep", Model: "m", Region: "us-east-1"}
	for name, opt := range map[string]Option{
		"api key":       WithAPIKey(key),
		"secret key":    WithStaticCredentials(testAccessKey, key, testSession),
		"session token": WithStaticCredentials(testAccessKey, testSecret, key),
		"access key id": WithStaticCredentials(key, testSecret, testSession),
	} {
		t.Run(name, func(t *testing.T) {
			wiretest.CheckStraddling(t, New(WithBaseURL(u.URL), opt), d, u, key, hygieneAnswers...)
		})
	}
	t.Run("bounded", func(t *testing.T) {
		wiretest.CheckBounded(t, New(WithBaseURL(u.URL), WithAPIKey(key)), d, u, hygieneAnswers...)
	})
}
