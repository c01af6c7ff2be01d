package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/redistest"
	"github.com/llmrouter/llmrouter/redisstore"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sleepUntil sleeps until the Redis clock is offset into a window of
// length w.
func sleepUntil(t *testing.T, c *redis.Client, w, offset time.Duration) {
	now, err := c.Time(context.Background()).Result()
	require.NoError(t, err)
	into := time.Duration(now.UnixNano() % int64(w))
	wait := offset - into
	if wait < 0 {
		wait += w
	}
	time.Sleep(wait)
}

// A burst at the end of one window and another at the start of the next:
// fixed windows admit both (twice the limit within a fraction of the
// window); sliding windows admit about the limit.
func TestSlidingWindowsRemoveTheBoundaryBurst(t *testing.T) {
	srv := redistest.New(t)
	const w = 2 * time.Second
	limit := llmrouter.Limit{Window: w, Requests: 10}
	for _, tc := range []struct {
		name     string
		mode     redisstore.WindowMode
		atMost   int
		atLeast  int
		retrySet bool
	}{
		{"fixed", redisstore.FixedWindows, 10, 10, false},
		{"sliding", redisstore.SlidingWindows, 5, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := client(t, srv.Addr)
			s := newStore(t, c, redisstore.Options{Windows: tc.mode})
			ctx := context.Background()
			sleepUntil(t, c, w, 1700*time.Millisecond)
			for range 10 {
				require.NoError(t, s.Reserve(ctx, res(tc.name, one(1), limit)))
			}
			sleepUntil(t, c, w, 200*time.Millisecond)
			admitted := 0
			var refusal *llmrouter.QuotaError
			for range 10 {
				if err := s.Reserve(ctx, res(tc.name, one(1), limit)); err == nil {
					admitted++
				} else {
					require.ErrorAs(t, err, &refusal)
				}
			}
			t.Logf("%s: %d admitted just after the boundary, after 10 just before", tc.name, admitted)
			assert.LessOrEqual(t, admitted, tc.atMost)
			assert.GreaterOrEqual(t, admitted, tc.atLeast)
			if tc.retrySet {
				require.NotNil(t, refusal)
				assert.Greater(t, refusal.RetryAfter, time.Duration(0))
				assert.LessOrEqual(t, refusal.RetryAfter, w)
			}
		})
	}
}

// Settling after the window rolled still lands in the window reserved in.
func TestSettleLandsInTheReservedWindow(t *testing.T) {
	srv := redistest.New(t)
	c := client(t, srv.Addr)
	s := newStore(t, c, redisstore.Options{Windows: redisstore.SlidingWindows})
	ctx := context.Background()
	const w = time.Second
	limit := llmrouter.Limit{Window: w, Tokens: 1000}
	sleepUntil(t, c, w, 800*time.Millisecond)
	r := res("acme", one(900), limit)
	require.NoError(t, s.Reserve(ctx, r))
	sleepUntil(t, c, w, 100*time.Millisecond)
	// The previous window's 900 tokens weigh 90%: 810, so 200 more do not fit.
	require.ErrorIs(t, s.Reserve(ctx, res("acme", one(200), limit)), llmrouter.ErrQuotaExceeded)
	// The request used only 100: settling refunds 800 in the previous window.
	require.NoError(t, s.Settle(ctx, r, one(100)))
	require.NoError(t, s.Reserve(ctx, res("acme", one(200), limit)))
}

// The counters of every window length share one hash: a short window
// rolling over must not cut the hash's life to the short window's, or a
// pause longer than that wipes the long window's counts.
func TestShortWindowRolloverKeepsLongWindowCounts(t *testing.T) {
	srv := redistest.New(t)
	c := client(t, srv.Addr)
	s := newStore(t, c, redisstore.Options{})
	ctx := context.Background()
	const short, long = 100 * time.Millisecond, 5 * time.Second
	limits := []llmrouter.Limit{{Window: short, Requests: 100}, {Window: long, Requests: 100}}
	sleepUntil(t, c, long, 100*time.Millisecond)
	require.NoError(t, s.Reserve(ctx, res("pause", one(1), limits...)))
	time.Sleep(150 * time.Millisecond) // the short window rolls over
	require.NoError(t, s.Reserve(ctx, res("pause", one(1), limits...)))
	time.Sleep(1500 * time.Millisecond) // idle past the short window's key life, within the long window
	used, _, err := s.Usage(ctx, "tenant", "pause", long)
	require.NoError(t, err)
	assert.Equal(t, int64(2), used.Requests, "the long window still counts both requests")
}
