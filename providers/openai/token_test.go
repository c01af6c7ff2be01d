package openai

import (
	"net/http"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
	"github.com/llmrouter/llmrouter/internal/wire/wiretest"
)

// TestTokenSource: each request carries the source's current token as a
// bearer token; the token stays out of errors; a failing source fails the
// call with KindAuth and sends nothing.
func TestTokenSource(t *testing.T) {
	reject := wiretest.Answer{Status: 401, ContentType: "application/json", Render: func(tok string) string {
		return `{"error":{"message":"Bad token ` + tok + `","type":"invalid_request_error","code":"invalid_api_key"}}`
	}}
	wiretest.CheckTokenSource(t, "Authorization", "Bearer ", reject, func(h http.HandlerFunc, src wire.TokenSource) (llmrouter.Provider, *llmrouter.Deployment) {
		p, _ := newTestServer(t, h, Azure("", ""), WithTokenSource(src))
		return p, testDeployment(p)
	})
}
