package anthropic

import (
	"net/http"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
	"github.com/llmrouter/llmrouter/internal/wire/wiretest"
)

// TestTokenSource: each request carries the source's current key as
// x-api-key; the key stays out of errors; a failing source fails the call
// with KindAuth and sends nothing.
func TestTokenSource(t *testing.T) {
	reject := wiretest.Answer{Status: 401, ContentType: "application/json", Render: func(key string) string {
		return `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key ` + key + `"}}`
	}}
	wiretest.CheckTokenSource(t, "X-Api-Key", "", reject, func(h http.HandlerFunc, src wire.TokenSource) (llmrouter.Provider, *llmrouter.Deployment) {
		return serve(t, h, WithTokenSource(src)), testDeployment
	})
}
