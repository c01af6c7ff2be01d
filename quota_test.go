package llmrouter_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func tenantReq(model, tenant string) *llmrouter.Request {
	r := hello(model)
	r.Tenant = tenant
	return r
}

func TestQuotaRefusesWithRetryAfterAndWindowsRoll(t *testing.T) {
	clk := newClock()
	clk.Advance(15 * time.Second) // 15s into a minute
	p := fake.New("p")
	sink := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)), llmrouter.WithClock(clk.Now),
		llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(llmrouter.RPM(2))),
		llmrouter.WithLineage(sink))
	require.NoError(t, err)
	for range 2 {
		_, err := r.Chat(context.Background(), tenantReq("a", "acme"))
		require.NoError(t, err)
	}
	_, err = r.Chat(context.Background(), tenantReq("a", "acme"))
	require.ErrorIs(t, err, llmrouter.ErrQuotaExceeded)
	var qe *llmrouter.QuotaError
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, "tenant", qe.Rule)
	assert.Equal(t, "acme", qe.Key)
	assert.Equal(t, 45*time.Second, qe.RetryAfter)
	assert.Equal(t, 2, p.CallCount(), "a refused request is not sent")
	assert.Equal(t, llmrouter.OutcomeQuotaExceeded, sink.all()[2].Outcome)

	_, err = r.Chat(context.Background(), tenantReq("a", "other"))
	require.NoError(t, err, "tenants are counted apart")
	_, err = r.Chat(context.Background(), hello("a"))
	require.NoError(t, err, "no tenant, no tenant quota")

	clk.Advance(45 * time.Second)
	_, err = r.Chat(context.Background(), tenantReq("a", "acme"))
	require.NoError(t, err, "a new window admits again")
}

func TestQuotaSettlesActualTokens(t *testing.T) {
	store := llmrouter.NewMemoryQuotaStore()
	clk := newClock()
	p := fake.New("p", fake.WithDefault(fake.Step{Text: "hi", Usage: &llmrouter.Usage{InputTokens: 30, OutputTokens: 12}}))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)), llmrouter.WithClock(clk.Now),
		llmrouter.WithQuota(store, llmrouter.PerTenant(llmrouter.TPM(10_000))))
	require.NoError(t, err)
	req := tenantReq("a", "acme")
	req.MaxOutputTokens = 500
	_, err = r.Chat(context.Background(), req)
	require.NoError(t, err)
	used, inFlight := store.Usage("tenant", "acme", time.Minute, clk.Now())
	assert.Equal(t, int64(42), used.Tokens, "the 500-token reservation settles to the 42 used")
	assert.Equal(t, int64(1), used.Requests)
	assert.Zero(t, inFlight)
}

func TestQuotaRefundsFailuresAndCancels(t *testing.T) {
	store := llmrouter.NewMemoryQuotaStore()
	clk := newClock()
	p := fake.New("p", fake.WithDefault(fake.Fail(llmrouter.KindAuth, 401)))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)), llmrouter.WithClock(clk.Now),
		llmrouter.WithQuota(store, llmrouter.PerTenant(llmrouter.RPM(1), llmrouter.TPM(100_000))))
	require.NoError(t, err)
	for range 3 {
		_, err = r.Chat(context.Background(), tenantReq("a", "acme"))
		require.ErrorIs(t, err, llmrouter.ErrNoRoute, "failed requests are refunded, so RPM(1) never refuses")
	}
	used, _ := store.Usage("tenant", "acme", time.Minute, clk.Now())
	assert.Equal(t, llmrouter.Amount{}, used)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = r.Chat(ctx, tenantReq("a", "acme"))
	require.Error(t, err)
	used, _ = store.Usage("tenant", "acme", time.Minute, clk.Now())
	assert.Equal(t, llmrouter.Amount{}, used)
}

func TestQuotaUSDBudget(t *testing.T) {
	store := llmrouter.NewMemoryQuotaStore()
	p := fake.New("p", fake.WithDefault(fake.Step{Text: "x", Usage: &llmrouter.Usage{InputTokens: 1_000_000, OutputTokens: 0}}))
	d := dep("a", p)
	d.Price = llmrouter.Price{InputPerMTok: 2, OutputPerMTok: 8}
	r, err := llmrouter.New(llmrouter.WithDeployments(d),
		llmrouter.WithQuota(store, llmrouter.PerTenant(llmrouter.USDPerDay(5))))
	require.NoError(t, err)
	req := tenantReq("a", "acme")
	req.MaxOutputTokens = 10
	for range 2 {
		resp, err := r.Chat(context.Background(), req)
		require.NoError(t, err)
		assert.InDelta(t, 2.0, resp.Cost, 1e-9)
	}
	_, err = r.Chat(context.Background(), req)
	require.NoError(t, err, "$4 spent, the third estimate fits")
	_, err = r.Chat(context.Background(), req)
	require.ErrorIs(t, err, llmrouter.ErrQuotaExceeded, "$6 spent: over the $5 budget")
}

func TestQuotaConcurrencyLimit(t *testing.T) {
	p := fake.New("p", fake.WithDefault(fake.Step{Text: "slow", Latency: 500 * time.Millisecond}))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)),
		llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(llmrouter.MaxConcurrent(1))))
	require.NoError(t, err)
	done := make(chan error)
	go func() {
		_, err := r.Chat(context.Background(), tenantReq("a", "acme"))
		done <- err
	}()
	require.Eventually(t, func() bool { return p.CallCount() == 1 }, time.Second, time.Millisecond)
	_, err = r.Chat(context.Background(), tenantReq("a", "acme"))
	require.ErrorIs(t, err, llmrouter.ErrQuotaExceeded)
	require.NoError(t, <-done)
	_, err = r.Chat(context.Background(), tenantReq("a", "acme"))
	require.NoError(t, err, "the slot is released when the request ends")
}

func TestQuotaExactUnderConcurrency(t *testing.T) {
	store := llmrouter.NewMemoryQuotaStore()
	p := fake.New("p", fake.WithCallRecording(false))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)),
		llmrouter.WithQuota(store, llmrouter.PerTenant(llmrouter.RPD(100))))
	require.NoError(t, err)
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.Chat(context.Background(), tenantReq("a", "acme"))
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, llmrouter.ErrQuotaExceeded):
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("quota-exactness: requests=1000 budget=100 admitted=%d refused=%d upstream_calls=%d\n", ok.Load(), refused.Load(), p.CallCount())
	assert.Equal(t, int64(100), ok.Load())
	assert.Equal(t, int64(900), refused.Load())
	assert.Equal(t, 100, p.CallCount())
}

func TestQuotaRequestTooLargeForLimit(t *testing.T) {
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p"))),
		llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(llmrouter.TPM(100))))
	require.NoError(t, err)
	req := tenantReq("a", "acme")
	req.MaxOutputTokens = 1000
	_, err = r.Chat(context.Background(), req)
	var qe *llmrouter.QuotaError
	require.ErrorAs(t, err, &qe)
	assert.True(t, qe.TooLarge)
	assert.Contains(t, err.Error(), "the request alone exceeds the limit")
}

type failingStore struct{ llmrouter.QuotaStore }

func (failingStore) Reserve(context.Context, llmrouter.Reservation) error {
	return errors.New("redis: connection refused")
}

func TestQuotaStoreFailureFailsClosed(t *testing.T) {
	p := fake.New("p")
	sink := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)),
		llmrouter.WithQuota(failingStore{}, llmrouter.PerTenant(llmrouter.RPM(10))), llmrouter.WithLineage(sink))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), tenantReq("a", "acme"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connection refused")
	assert.Equal(t, 0, p.CallCount())
	assert.Len(t, sink.all(), 1)
}

func TestMemoryQuotaStoreSweepsIdleBuckets(t *testing.T) {
	s := llmrouter.NewMemoryQuotaStore()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	res := llmrouter.Reservation{Rule: "r", Key: "k", Limits: []llmrouter.Limit{llmrouter.RPM(1)}, Amount: llmrouter.Amount{Requests: 1}, Time: now}
	require.NoError(t, s.Reserve(context.Background(), res))
	require.ErrorIs(t, s.Reserve(context.Background(), res), llmrouter.ErrQuotaExceeded)
	require.NoError(t, s.Settle(context.Background(), res, llmrouter.Amount{Requests: 1}))
	s.Sweep(now.Add(2 * time.Minute))
	used, _ := s.Usage("r", "k", time.Minute, now)
	assert.Equal(t, llmrouter.Amount{}, used, "the idle bucket is gone")
	res.Time = now.Add(2 * time.Minute)
	require.NoError(t, s.Reserve(context.Background(), res))
}

// idleBuckets fills s with n buckets whose only window ends a minute after
// now, with nothing in flight.
func idleBuckets(t *testing.T, s *llmrouter.MemoryQuotaStore, n int, now time.Time) {
	t.Helper()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "idle-" + strconv.Itoa(i)
	}
	llmrouter.FillQuotaStore(s, "tenant", keys, []llmrouter.Limit{llmrouter.RPM(10)}, llmrouter.Amount{Requests: 1}, now)
	require.Equal(t, n, llmrouter.QuotaBuckets(s))
}

// Reservations sweep idle buckets a few at a time: none of them walks the
// whole store (it used to, about one reservation in 4,096, on the caller's
// goroutine: 50-100 ms with 100k buckets).
func TestReserveSweepsBoundedWork(t *testing.T) {
	const idle, reserves, every = 50_000, 50_000, 500
	s := llmrouter.NewMemoryQuotaStore()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	idleBuckets(t, s, idle, t0)
	res := llmrouter.Reservation{Rule: "tenant", Key: "busy", Limits: []llmrouter.Limit{llmrouter.RPM(1 << 40)},
		Amount: llmrouter.Amount{Requests: 1}, Time: t0.Add(2 * time.Minute)}
	before := llmrouter.QuotaBuckets(s)
	for i := 1; i <= reserves; i++ {
		require.NoError(t, s.Reserve(context.Background(), res))
		require.NoError(t, s.Cancel(context.Background(), res))
		if i%every == 0 {
			after := llmrouter.QuotaBuckets(s)
			require.LessOrEqual(t, before-after, every*llmrouter.QuotaSweepBound,
				"reservations %d-%d swept %d buckets", i-every+1, i, before-after)
			before = after
		}
	}
	s.Sweep(res.Time.Add(2 * time.Minute))
	assert.Zero(t, llmrouter.QuotaBuckets(s), "Sweep still removes every idle bucket")
}

// Idle buckets are reclaimed as new ones come, without calling Sweep.
func TestIdleBucketsGoAsNewOnesCome(t *testing.T) {
	const n = 10_000
	s := llmrouter.NewMemoryQuotaStore()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	idleBuckets(t, s, n, t0)
	for i := range n {
		res := llmrouter.Reservation{Rule: "tenant", Key: "new-" + strconv.Itoa(i), Limits: []llmrouter.Limit{llmrouter.RPM(10)},
			Amount: llmrouter.Amount{Requests: 1}, Time: t0.Add(2 * time.Minute)}
		require.NoError(t, s.Reserve(context.Background(), res))
	}
	assert.LessOrEqual(t, llmrouter.QuotaBuckets(s), n+n/10, "at most a tenth of the idle buckets are left")
	used, inFlight := s.Usage("tenant", "new-7", time.Minute, t0.Add(2*time.Minute))
	assert.Equal(t, int64(1), used.Requests, "live buckets stay")
	assert.Equal(t, int64(1), inFlight)
}

// Buckets of one key under different rules are counted apart, and sweeping
// one leaves the other.
func TestSameKeyUnderTwoRules(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, idleRule := range []string{"first", "second"} {
		t.Run("idle "+idleRule, func(t *testing.T) {
			s := llmrouter.NewMemoryQuotaStore()
			for _, rule := range []string{"first", "second"} {
				limit := llmrouter.RPD(5)
				if rule == idleRule {
					limit = llmrouter.RPM(5)
				}
				res := llmrouter.Reservation{Rule: rule, Key: "acme", Limits: []llmrouter.Limit{limit}, Amount: llmrouter.Amount{Requests: 1}, Time: t0}
				require.NoError(t, s.Reserve(ctx, res))
				require.NoError(t, s.Settle(ctx, res, llmrouter.Amount{Requests: 1}))
			}
			require.Equal(t, 2, llmrouter.QuotaBuckets(s))
			s.Sweep(t0.Add(2 * time.Minute))
			require.Equal(t, 1, llmrouter.QuotaBuckets(s))
			live := map[string]string{"first": "second", "second": "first"}[idleRule]
			used, _ := s.Usage(live, "acme", 24*time.Hour, t0)
			assert.Equal(t, int64(1), used.Requests)
			used, _ = s.Usage(idleRule, "acme", time.Minute, t0)
			assert.Zero(t, used.Requests)
		})
	}
}
