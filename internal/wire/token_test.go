package wire

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmrouter/llmrouter"
)

func TestTokensCacheUntilExpiry(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	fetches := 0
	var fail bool
	src := func(context.Context) (string, time.Time, error) {
		if fail {
			return "", time.Time{}, errors.New("no token")
		}
		fetches++
		return "token-" + string(rune('0'+fetches)) + "-abcdefghijkl", now.Add(10 * time.Minute), nil
	}
	tk := NewTokens(src, &Secrets{}, func() time.Time { return now })
	a, err := tk.Token(context.Background())
	require.NoError(t, err)
	b, _ := tk.Token(context.Background())
	assert.Equal(t, a, b)
	assert.Equal(t, 1, fetches)

	now = now.Add(9*time.Minute + 30*time.Second) // within a minute of expiry
	c, _ := tk.Token(context.Background())
	assert.NotEqual(t, a, c)
	assert.Equal(t, 2, fetches)
	msg := tk.Secrets().Finish(&llmrouter.ProviderError{Message: "bad " + a + " and " + c}).Message
	assert.NotContains(t, msg, a)
	assert.NotContains(t, msg, c)

	now = now.Add(time.Hour)
	fail = true
	_, err = tk.Token(context.Background())
	assert.Error(t, err)
}

func TestTokensAuthorize(t *testing.T) {
	var nilTokens *Tokens
	h := http.Header{}
	require.Nil(t, nilTokens.Authorize(context.Background(), h, "Authorization", "Bearer "))
	assert.Empty(t, h, "no token source: nothing set")

	fail := errors.New("metadata server unavailable")
	src := func(ctx context.Context) (string, time.Time, error) {
		if ctx.Err() != nil {
			return "", time.Time{}, ctx.Err()
		}
		if fail != nil {
			return "", time.Time{}, fail
		}
		return "rotated-key-0123456789", time.Time{}, nil
	}
	tk := NewTokens(src, &Secrets{}, nil)
	pe := tk.Authorize(context.Background(), h, "X-Api-Key", "")
	require.NotNil(t, pe)
	assert.Equal(t, llmrouter.KindAuth, pe.Kind)
	assert.Equal(t, "credentials", pe.Code)
	assert.Equal(t, "token source: metadata server unavailable", pe.Message)
	assert.Empty(t, h, "nothing set without a token")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pe = tk.Authorize(ctx, h, "X-Api-Key", "")
	require.NotNil(t, pe)
	assert.Equal(t, llmrouter.KindCanceled, pe.Kind, "a canceled call is not an auth failure")

	fail = nil
	require.Nil(t, tk.Authorize(context.Background(), h, "Authorization", "Bearer "))
	assert.Equal(t, http.Header{"Authorization": {"Bearer rotated-key-0123456789"}}, h)
}
