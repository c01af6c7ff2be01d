package gemini

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
	"github.com/llmrouter/llmrouter/internal/wire/wiretest"
)

// TestTokenSource: each request carries the source's current token as a
// bearer token and no API key; the token stays out of errors; a failing
// source fails the call with KindAuth and sends nothing.
func TestTokenSource(t *testing.T) {
	reject := wiretest.Answer{Status: 401, ContentType: "application/json", Render: func(tok string) string {
		return `{"error":{"code":401,"message":"Request had invalid authentication credentials: ` + tok + `","status":"UNAUTHENTICATED"}}`
	}}
	sent := wiretest.CheckTokenSource(t, "Authorization", "Bearer ", reject, func(h http.HandlerFunc, src wire.TokenSource) (llmrouter.Provider, *llmrouter.Deployment) {
		p := newTestProvider(t, h, WithTokenSource(src))
		return p, deployment(p, "gemini-2.5-flash")
	})
	for i, h := range sent {
		assert.Empty(t, h.Get("X-Goog-Api-Key"), "request %d: no API key beside the token", i+1)
	}
}

// TestTokenSourceEmbed: embeddings take the token too.
func TestTokenSourceEmbed(t *testing.T) {
	var auth string
	p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		writeJSON(w, 200, `{"embeddings":[{"values":[0.5]}]}`)
	}, WithTokenSource(func(context.Context) (string, time.Time, error) { return "ya29.embed", time.Time{}, nil }))
	_, err := p.Embed(context.Background(), deployment(p, "gemini-embedding-001"), &llmrouter.EmbedRequest{Inputs: []string{"a"}})
	require.NoError(t, err)
	assert.Equal(t, "Bearer ya29.embed", auth)
}

func TestCheckConfigTokenSource(t *testing.T) {
	assert.Error(t, New().CheckConfig(), "Google's API without a credential")
	assert.NoError(t, New(WithTokenSource(func(context.Context) (string, time.Time, error) { return "t", time.Time{}, nil })).CheckConfig())
}
