package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/redistest"
	"github.com/llmrouter/llmrouter/redisstore"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The default, FailClosed: Redis stops mid-run with slots held and
// settlements due; requests are refused (fast, once the breaker opens);
// Redis comes back with its data; the settlements land, every slot is
// free, and the limit admits exactly what it has left.
func TestRedisStoppedMidRunAndRestarted(t *testing.T) {
	srv := redistest.New(t, "--appendonly", "yes")
	o := redisstore.Options{Timeout: 100 * time.Millisecond, Breaker: redisstore.Breaker{OpenFor: 300 * time.Millisecond}}
	s := newStore(t, client(t, srv.Addr), o)
	ctx := context.Background()
	limits := []llmrouter.Limit{llmrouter.RPD(10), llmrouter.MaxConcurrent(5)}
	var held []llmrouter.Reservation
	for range 3 {
		r := res("acme", one(5), limits...)
		require.NoError(t, s.Reserve(ctx, r))
		held = append(held, r)
	}
	for range 2 {
		r := res("acme", one(5), limits...)
		require.NoError(t, s.Reserve(ctx, r))
		require.NoError(t, s.Settle(ctx, r, one(5)))
	}

	srv.Stop()
	for _, r := range held {
		err := s.Settle(ctx, r, one(5))
		require.ErrorIs(t, err, llmrouter.ErrQuotaExceeded) // an *UnavailableError; retried later
	}
	for range 10 {
		err := s.Reserve(ctx, res("acme", one(5), limits...))
		require.ErrorIs(t, err, llmrouter.ErrQuotaExceeded)
	}
	st := s.Stats()
	assert.Equal(t, "open", st.Breaker)
	// The breaker opened at the 5th failure: 3 settlements and 2
	// reservations of unknown outcome wait for Redis; the 8 reservations
	// after them were refused without being sent.
	assert.Equal(t, int64(3+2), st.Pending)
	err := s.Reserve(ctx, res("acme", one(5), limits...))
	require.ErrorIs(t, err, gobreaker.ErrOpenState, "an open breaker refuses without a round trip")

	require.NoError(t, srv.Restart())
	require.Eventually(t, func() bool { return s.Stats().Pending == 0 }, 10*time.Second, 20*time.Millisecond)
	used, inFlight, err := s.Usage(ctx, "tenant", "acme", 24*time.Hour)
	require.NoError(t, err)
	assert.Zero(t, inFlight, "no slot leaked")
	assert.Equal(t, llmrouter.Amount{Requests: 5, Tokens: 25}, used)
	admitted := 0
	for range 10 {
		r := res("acme", one(5), limits...)
		if s.Reserve(ctx, r) == nil {
			admitted++
			require.NoError(t, s.Settle(ctx, r, one(5)))
		}
	}
	assert.Equal(t, 5, admitted, "exactly what the day had left: nothing over-admitted")
}

func TestHungRedisTimesOutThenBreakerOpens(t *testing.T) {
	srv := redistest.New(t)
	o := redisstore.Options{Timeout: 50 * time.Millisecond, Breaker: redisstore.Breaker{Failures: 3, OpenFor: time.Hour}}
	s := newStore(t, client(t, srv.Addr), o)
	ctx := context.Background()
	require.NoError(t, s.Reserve(ctx, res("acme", one(1), llmrouter.RPM(100))))
	srv.Pause()
	defer srv.Resume()
	for range 3 {
		err := s.Reserve(ctx, res("acme", one(1), llmrouter.RPM(100)))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorIs(t, err, llmrouter.ErrQuotaExceeded)
	}
	err := s.Reserve(ctx, res("acme", one(1), llmrouter.RPM(100)))
	require.ErrorIs(t, err, gobreaker.ErrOpenState)
}

func TestFailLocalAdmitsThisReplicasShare(t *testing.T) {
	srv := redistest.New(t)
	o := redisstore.Options{OnFailure: redisstore.FailLocal, Replicas: 2, Timeout: 100 * time.Millisecond}
	s := newStore(t, client(t, srv.Addr), o)
	ctx := context.Background()
	srv.Kill()
	admitted := 0
	for range 10 {
		r := res("acme", one(1), llmrouter.RPD(10), llmrouter.MaxConcurrent(100))
		if err := s.Reserve(ctx, r); err == nil {
			admitted++
			require.NoError(t, s.Settle(ctx, r, one(1)))
		} else {
			var qe *llmrouter.QuotaError
			require.ErrorAs(t, err, &qe)
			assert.Equal(t, int64(5), qe.Limit.Requests, "this replica's share")
		}
	}
	assert.Equal(t, 5, admitted)
	assert.Equal(t, int64(5), s.Stats().LocalAdmits)
}

func TestBadConfigNamesTheField(t *testing.T) {
	good := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer good.Close()
	noCtx := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer noCtx.Close()
	for _, tc := range []struct {
		name  string
		c     redis.UniversalClient
		o     redisstore.Options
		field string
	}{
		{"nil client", nil, redisstore.Options{}, "redisstore.New: client"},
		{"context timeouts off", noCtx, redisstore.Options{}, "redis.Options.ContextTimeoutEnabled"},
		{"fail local without replicas", good, redisstore.Options{OnFailure: redisstore.FailLocal}, "redisstore.Options.Replicas"},
		{"short lease", good, redisstore.Options{LeaseTTL: 500 * time.Millisecond}, "redisstore.Options.LeaseTTL"},
		{"negative timeout", good, redisstore.Options{Timeout: -time.Second}, "redisstore.Options.Timeout"},
		{"unknown window mode", good, redisstore.Options{Windows: 7}, "redisstore.Options.Windows"},
		{"unknown failure mode", good, redisstore.Options{OnFailure: 9}, "redisstore.Options.OnFailure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := redisstore.New(tc.c, tc.o)
			var ce *llmrouter.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
			assert.ErrorIs(t, err, llmrouter.ErrInvalidConfig)
		})
	}
}
