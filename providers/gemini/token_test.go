package gemini

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

// TestTokenSource: each request carries the source's current token as a
// bearer token and no API key; the token stays out of errors; a failing
// source fails the call with KindAuth and sends nothing.
func TestTokenSource(t *testing.T) {
	var n atomic.Int32
	src := func(context.Context) (string, time.Time, error) {
		i := n.Add(1)
		if i == 3 {
			return "", time.Time{}, errors.New("metadata server unavailable")
		}
		return "ya29.oauth-token-" + string(rune('0'+i)) + "-0123456789", time.Now().Add(-time.Second), nil // already expiring: fetched each call
	}
	var seen, keys []string
	p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
		keys = append(keys, r.Header.Get("X-Goog-Api-Key"))
		writeJSON(w, 401, `{"error":{"code":401,"message":"Request had invalid authentication credentials: `+
			r.Header.Get("Authorization")[7:]+`","status":"UNAUTHENTICATED"}}`)
	}, WithTokenSource(src))
	d := deployment(p, "gemini-2.5-flash")

	_, err := p.Chat(context.Background(), d, providertest.Request(providertest.Text))
	var pe *llmrouter.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, llmrouter.KindAuth, pe.Kind)
	assert.NotContains(t, pe.Error(), "ya29.oauth-token-1", "the token is kept out of errors")
	_, _ = p.Chat(context.Background(), d, providertest.Request(providertest.Text))
	assert.Equal(t, []string{"Bearer ya29.oauth-token-1-0123456789", "Bearer ya29.oauth-token-2-0123456789"}, seen)
	assert.Equal(t, []string{"", ""}, keys, "no API key beside the token")

	_, err = p.Chat(context.Background(), d, providertest.Request(providertest.Text))
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, llmrouter.KindAuth, pe.Kind)
	assert.Contains(t, pe.Message, "token source: metadata server unavailable")
	assert.Len(t, seen, 2, "nothing sent without a token")
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
