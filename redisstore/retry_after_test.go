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

// The retry-after of a refusal, pinned to the reserve script's arithmetic:
// the test reads Redis's clock just before and just after the refused
// Reserve, and the script's answer must lie between the waits those two
// instants give (the wait shrinks as the window elapses).
func TestRetryAfterArithmetic(t *testing.T) {
	srv := redistest.New(t)
	const w = 2 * time.Second
	limit := llmrouter.Limit{Window: w, Tokens: 1000}
	ms := w.Milliseconds()
	for _, tc := range []struct {
		name string
		mode redisstore.WindowMode
		// prev is charged late in one window, cur early in the next, then
		// ask is refused at about offset into that window.
		prev, cur, ask int64
		offset         time.Duration
		wait           func(elapsed int64) int64 // ms, as of elapsed ms into the window
	}{
		{"fixed: the window's end", redisstore.FixedWindows, 0, 900, 200, 300 * time.Millisecond,
			func(e int64) int64 { return ms - e }},
		{"sliding: the previous window's share decays until it fits", redisstore.SlidingWindows, 1000, 0, 200, 200 * time.Millisecond,
			// room 800 of 1000: the previous window's 1000 must weigh 800
			func(e int64) int64 { return ceilDiv(ms*200, 1000) - e }},
		{"sliding: the next window, this one's count decaying", redisstore.SlidingWindows, 0, 600, 500, 300 * time.Millisecond,
			// 600 must weigh 500: 1/6 of the next window
			func(e int64) int64 { return ms - e + ceilDiv(ms*100, 600) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := client(t, srv.Addr)
			s := newStore(t, c, redisstore.Options{Windows: tc.mode})
			ctx := context.Background()
			tenant := tc.name
			if tc.prev > 0 {
				sleepUntil(t, c, w, 1600*time.Millisecond)
				require.NoError(t, s.Reserve(ctx, res(tenant, one(tc.prev), limit)))
			}
			sleepUntil(t, c, w, tc.offset)
			if tc.cur > 0 {
				require.NoError(t, s.Reserve(ctx, res(tenant, one(tc.cur), limit)))
			}
			e0 := elapsedMS(t, c, w)
			err := s.Reserve(ctx, res(tenant, one(tc.ask), limit))
			e1 := elapsedMS(t, c, w)
			require.Less(t, e0, e1+1, "the window rolled over during the test; rerun")
			var q *llmrouter.QuotaError
			require.ErrorAs(t, err, &q)
			assert.False(t, q.TooLarge)
			got := q.RetryAfter.Milliseconds()
			assert.GreaterOrEqual(t, got, max(tc.wait(e1), 1))
			assert.LessOrEqual(t, got, max(tc.wait(e0), 1))
		})
	}
	t.Run("too large: no wait helps", func(t *testing.T) {
		s := newStore(t, client(t, srv.Addr), redisstore.Options{Windows: redisstore.SlidingWindows})
		err := s.Reserve(context.Background(), res("big", one(1001), limit))
		var q *llmrouter.QuotaError
		require.ErrorAs(t, err, &q)
		assert.True(t, q.TooLarge)
		assert.Zero(t, q.RetryAfter)
	})
}

// elapsedMS is how far Redis's clock is into the current window of length w.
func elapsedMS(t *testing.T, c *redis.Client, w time.Duration) int64 {
	now, err := c.Time(context.Background()).Result()
	require.NoError(t, err)
	return now.UnixMilli() % w.Milliseconds()
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
