package openai

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
)

func TestTokenSource(t *testing.T) {
	var n atomic.Int32
	src := func(context.Context) (string, time.Time, error) {
		i := n.Add(1)
		if i == 3 {
			return "", time.Time{}, errors.New("entra unavailable")
		}
		return "entra-token-" + string(rune('0'+i)) + "-0123456789", time.Now().Add(-time.Second), nil // already expiring: fetched each call
	}
	var seen []string
	p, _ := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
		serveJSON(401, `{"error":{"message":"Bad token `+r.Header.Get("Authorization")[7:]+`","type":"invalid_request_error","code":"invalid_api_key"}}`)(w, r)
	}, Azure("", ""), WithTokenSource(src))

	_, err := p.Chat(ctx10s(t), testDeployment(p), simpleRequest())
	var pe *llmrouter.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, llmrouter.KindAuth, pe.Kind)
	assert.NotContains(t, pe.Error(), "entra-token-1", "the token is kept out of errors")
	_, _ = p.Chat(ctx10s(t), testDeployment(p), simpleRequest())
	assert.Equal(t, []string{"Bearer entra-token-1-0123456789", "Bearer entra-token-2-0123456789"}, seen)

	_, err = p.Chat(ctx10s(t), testDeployment(p), simpleRequest())
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, llmrouter.KindAuth, pe.Kind)
	assert.Contains(t, pe.Message, "token source: entra unavailable")
	assert.Len(t, seen, 2, "nothing sent without a token")
}
