package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A call that waits its whole Timeout for its turn is withdrawn unsent:
// ErrBusy, refused (FailClosed), nothing to cancel later, and the breaker
// does not count it. (A batch that never returns stands in for a long
// queue.)
func TestWaitingForATurnIsNotARedisFailure(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer c.Close()
	s, err := New(c, Options{Timeout: 20 * time.Millisecond, Breaker: Breaker{Failures: 1}})
	require.NoError(t, err)
	defer s.Close()
	s.batch.mu.Lock()
	s.batch.sending = true // a batch in flight that never returns
	s.batch.mu.Unlock()
	r := llmrouter.Reservation{ID: "x", Rule: "tenant", Key: "acme", Limits: []llmrouter.Limit{llmrouter.RPM(1)},
		Amount: llmrouter.Amount{Requests: 1}, Time: time.Now()}
	for range 3 {
		err = s.Reserve(context.Background(), r)
		assert.True(t, errors.Is(err, ErrBusy), "%v", err)
		assert.ErrorIs(t, err, llmrouter.ErrQuotaExceeded)
	}
	st := s.Stats()
	assert.Equal(t, "closed", st.Breaker)
	assert.Zero(t, st.Pending)
	assert.Empty(t, s.batch.queue, "withdrawn calls leave the queue")
}
