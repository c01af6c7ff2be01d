package wire

import (
	"context"
	"errors"
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
