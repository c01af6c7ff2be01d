package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/redistest"
	"github.com/llmrouter/llmrouter/redisstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReserveIsAllOrNothing(t *testing.T) {
	srv := redistest.New(t)
	s := newStore(t, client(t, srv.Addr), redisstore.Options{})
	ctx := context.Background()
	limits := []llmrouter.Limit{llmrouter.RPM(3), llmrouter.TPM(100), llmrouter.MaxConcurrent(5)}
	require.NoError(t, s.Reserve(ctx, res("acme", one(60), limits...)))
	err := s.Reserve(ctx, res("acme", one(60), limits...))
	var qe *llmrouter.QuotaError
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, llmrouter.TPM(100), qe.Limit)
	assert.Equal(t, "acme", qe.Key)
	assert.Greater(t, qe.RetryAfter, time.Duration(0))
	assert.LessOrEqual(t, qe.RetryAfter, time.Minute)
	// The refusal charged nothing: requests, tokens and leases are as after one.
	used, inFlight, err := s.Usage(ctx, "tenant", "acme", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, llmrouter.Amount{Requests: 1, Tokens: 60}, used)
	assert.Equal(t, int64(1), inFlight)
	require.NoError(t, s.Reserve(ctx, res("acme", one(10), limits...)))
	require.NoError(t, s.Reserve(ctx, res("acme", one(10), limits...)))
	err = s.Reserve(ctx, res("acme", one(10), limits...))
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, llmrouter.RPM(3), qe.Limit)
	// Another tenant is untouched.
	require.NoError(t, s.Reserve(ctx, res("globex", one(60), limits...)))
}

func TestRequestAloneTooLarge(t *testing.T) {
	srv := redistest.New(t)
	s := newStore(t, client(t, srv.Addr), redisstore.Options{})
	err := s.Reserve(context.Background(), res("acme", one(1000), llmrouter.TPM(100)))
	var qe *llmrouter.QuotaError
	require.ErrorAs(t, err, &qe)
	assert.True(t, qe.TooLarge)
	assert.Zero(t, qe.RetryAfter)
}

func TestConcurrencyLimit(t *testing.T) {
	srv := redistest.New(t)
	s := newStore(t, client(t, srv.Addr), redisstore.Options{})
	ctx := context.Background()
	a := res("acme", one(1), llmrouter.MaxConcurrent(2))
	b := res("acme", one(1), llmrouter.MaxConcurrent(2))
	require.NoError(t, s.Reserve(ctx, a))
	require.NoError(t, s.Reserve(ctx, b))
	err := s.Reserve(ctx, res("acme", one(1), llmrouter.MaxConcurrent(2)))
	var qe *llmrouter.QuotaError
	require.ErrorAs(t, err, &qe)
	assert.Zero(t, qe.RetryAfter)
	require.NoError(t, s.Settle(ctx, a, one(1)))
	require.NoError(t, s.Reserve(ctx, res("acme", one(1), llmrouter.MaxConcurrent(2))))
}

func TestSettleAndCancelApplyOnce(t *testing.T) {
	srv := redistest.New(t)
	s := newStore(t, client(t, srv.Addr), redisstore.Options{})
	ctx := context.Background()
	usd := llmrouter.Limit{Window: time.Minute, Requests: 100, Tokens: 10_000, USD: 1}
	r := res("acme", llmrouter.Amount{Requests: 1, Tokens: 500, MicroUSD: 9000}, usd, llmrouter.MaxConcurrent(1))
	require.NoError(t, s.Reserve(ctx, r))
	// A replayed reservation (a retry after an unknown outcome) charges nothing more.
	require.NoError(t, s.Reserve(ctx, r))
	actual := llmrouter.Amount{Requests: 1, Tokens: 120, MicroUSD: 2500}
	for range 3 {
		require.NoError(t, s.Settle(ctx, r, actual))
	}
	used, inFlight, err := s.Usage(ctx, "tenant", "acme", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, actual, used)
	assert.Zero(t, inFlight)

	c := res("acme", llmrouter.Amount{Requests: 1, Tokens: 300, MicroUSD: 4000}, usd, llmrouter.MaxConcurrent(1))
	require.NoError(t, s.Reserve(ctx, c))
	require.NoError(t, s.Cancel(ctx, c))
	require.NoError(t, s.Cancel(ctx, c))
	require.NoError(t, s.Settle(ctx, c, actual)) // too late: already cancelled
	used, inFlight, err = s.Usage(ctx, "tenant", "acme", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, actual, used)
	assert.Zero(t, inFlight)
}

func TestMissingIDIsRefused(t *testing.T) {
	srv := redistest.New(t)
	s := newStore(t, client(t, srv.Addr), redisstore.Options{})
	r := res("acme", one(1), llmrouter.RPM(1))
	r.ID = ""
	var ce *llmrouter.ConfigError
	require.ErrorAs(t, s.Reserve(context.Background(), r), &ce)
	assert.Equal(t, "Reservation.ID", ce.Field)
}

func TestRefusalWhenRedisIsDown(t *testing.T) {
	srv := redistest.New(t)
	s := newStore(t, client(t, srv.Addr), redisstore.Options{})
	srv.Kill()
	err := s.Reserve(context.Background(), res("acme", one(1), llmrouter.RPM(1)))
	require.ErrorIs(t, err, llmrouter.ErrQuotaExceeded)
	var ue *redisstore.UnavailableError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "reserve", ue.Op)
	assert.False(t, errors.Is(err, context.Canceled))
}

func TestClosedStoreSendsNothing(t *testing.T) {
	srv := redistest.New(t)
	c := client(t, srv.Addr)
	hook := &roundTrips{}
	c.AddHook(hook)
	s, err := redisstore.New(c, redisstore.Options{})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	err = s.Reserve(context.Background(), res("acme", one(1), llmrouter.RPM(1)))
	require.ErrorIs(t, err, redisstore.ErrClosed)
	require.ErrorIs(t, err, llmrouter.ErrQuotaExceeded)
	assert.Zero(t, hook.n.Load())
	assert.Zero(t, s.Stats().Pending)
}

// A reservation whose outcome was unknown is cancelled in the background;
// if Redis runs the reservation only after that cancellation (a delayed
// retry), it charges nothing.
func TestReservationAfterItsCancellationChargesNothing(t *testing.T) {
	srv := redistest.New(t)
	s := newStore(t, client(t, srv.Addr), redisstore.Options{})
	ctx := context.Background()
	r := res("acme", one(40), llmrouter.RPM(10), llmrouter.MaxConcurrent(3))
	require.NoError(t, s.Cancel(ctx, r))
	require.NoError(t, s.Reserve(ctx, r))
	used, inFlight, err := s.Usage(ctx, "tenant", "acme", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, llmrouter.Amount{}, used)
	assert.Zero(t, inFlight)
}
