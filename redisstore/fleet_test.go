package redisstore_test

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
	"github.com/llmrouter/llmrouter/internal/redistest"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/llmrouter/llmrouter/redisstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replica is one router of a simulated fleet: its own client, store and
// provider.
type replica struct {
	r     *llmrouter.Router
	store *redisstore.Store
	p     *fake.Provider
}

func newReplica(t *testing.T, addr string, o redisstore.Options, p *fake.Provider, rules ...llmrouter.QuotaRule) *replica {
	store := newStore(t, client(t, addr), o)
	r, err := llmrouter.New(llmrouter.WithDeployments(llmrouter.Deployment{Name: "a", Provider: p, Model: "m",
		Price: llmrouter.Price{InputPerMTok: 1000, OutputPerMTok: 1000}}),
		llmrouter.WithQuota(store, rules...))
	require.NoError(t, err)
	return &replica{r: r, store: store, p: p}
}

func ask(tenant string, maxOut int) *llmrouter.Request {
	return &llmrouter.Request{Model: "a", Tenant: tenant, MaxOutputTokens: maxOut,
		Messages: []llmrouter.Message{llmrouter.User("hello")}}
}

// fleet runs n requests spread over the replicas at once, and counts the
// admitted and the refused.
func fleet(reps []*replica, n int, req func(i int) *llmrouter.Request) (ok, refused int64) {
	var okN, refN atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := reps[i%len(reps)].r.Chat(context.Background(), req(i))
			switch {
			case err == nil:
				okN.Add(1)
			case errors.Is(err, llmrouter.ErrQuotaExceeded):
				refN.Add(1)
			}
		}()
	}
	wg.Wait()
	return okN.Load(), refN.Load()
}

func TestExactAcrossReplicas(t *testing.T) {
	srv := redistest.New(t)
	usage := &llmrouter.Usage{InputTokens: 7, OutputTokens: 3}
	var reps []*replica
	for range 3 {
		p := fake.New("p", fake.WithDefault(fake.Step{Usage: usage}), fake.WithCallRecording(false))
		reps = append(reps, newReplica(t, srv.Addr, redisstore.Options{}, p, llmrouter.PerTenant(llmrouter.RPD(100))))
	}
	ok, refused := fleet(reps, 1000, func(int) *llmrouter.Request { return ask("acme", 50) })
	calls := reps[0].p.CallCount() + reps[1].p.CallCount() + reps[2].p.CallCount()
	fmt.Printf("redis-quota-exactness: replicas=3 requests=1000 budget=100 admitted=%d refused=%d upstream_calls=%d\n", ok, refused, calls)
	assert.Equal(t, int64(100), ok)
	assert.Equal(t, int64(900), refused)
	assert.Equal(t, 100, calls)
	// Settlement reconciled the estimates (input + 50 out) to the actual 10 tokens.
	used, inFlight, err := reps[0].store.Usage(context.Background(), "tenant", "acme", 24*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, int64(100), used.Requests)
	assert.Equal(t, int64(100*10), used.Tokens)
	assert.Zero(t, inFlight)
}

func TestUSDBudgetAcrossReplicasWithRefunds(t *testing.T) {
	srv := redistest.New(t)
	// Each call costs (7+3) tokens × $1000/Mtok = $0.01 = 10,000 µUSD.
	usage := &llmrouter.Usage{InputTokens: 7, OutputTokens: 3}
	var calls atomic.Int64
	step := func(c fake.Call) fake.Step {
		// Every third call fails upstream: refunded, not charged.
		if calls.Add(1)%3 == 0 {
			return fake.Step{Err: &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Class: llmrouter.ClassStop, StatusCode: 400}}
		}
		return fake.Step{Usage: usage}
	}
	var reps []*replica
	for range 3 {
		p := fake.New("p", fake.WithFunc(step), fake.WithCallRecording(false))
		reps = append(reps, newReplica(t, srv.Addr, redisstore.Options{}, p,
			llmrouter.PerTenant(llmrouter.USDPerDay(1), llmrouter.MaxConcurrent(1000))))
	}
	// The estimate (6 input + 4 out) is the actual cost, so the budget of
	// $1 admits 100 successful calls; failed ones are refunded and their
	// room goes to later requests.
	for range 5 {
		fleet(reps, 200, func(int) *llmrouter.Request { return ask("acme", 4) })
	}
	used, inFlight, err := reps[0].store.Usage(context.Background(), "tenant", "acme", 24*time.Hour)
	require.NoError(t, err)
	assert.Zero(t, inFlight, "every slot returned")
	assert.LessOrEqual(t, used.MicroUSD, int64(1_000_000), "never past the budget")
	assert.Equal(t, used.Requests*10_000, used.MicroUSD, "charged actual cost, refunds for failures")
	assert.Equal(t, int64(1_000_000), used.MicroUSD, "the budget was used to the last cent")
}

func TestCancelledRequestsRefund(t *testing.T) {
	srv := redistest.New(t)
	p := fake.New("p", fake.WithDefault(fake.Step{Hang: true}))
	rep := newReplica(t, srv.Addr, redisstore.Options{}, p, llmrouter.PerTenant(llmrouter.RPM(1000), llmrouter.MaxConcurrent(5)))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = rep.r.Chat(ctx, ask("acme", 10)) }()
	}
	require.Eventually(t, func() bool { return p.CallCount() == 5 }, 5*time.Second, 5*time.Millisecond)
	_, inFlight, err := rep.store.Usage(context.Background(), "tenant", "acme", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, int64(5), inFlight)
	cancel()
	wg.Wait()
	used, inFlight, err := rep.store.Usage(context.Background(), "tenant", "acme", time.Minute)
	require.NoError(t, err)
	assert.Zero(t, inFlight)
	assert.Equal(t, llmrouter.Amount{}, used, "cancelled before any usage: fully refunded")
}

func TestDeadReplicaSlotsReturnAfterLease(t *testing.T) {
	srv := redistest.New(t)
	o := redisstore.Options{LeaseTTL: time.Second}
	rule := llmrouter.PerTenant(llmrouter.MaxConcurrent(2))
	hung := fake.New("p", fake.WithDefault(fake.Step{Hang: true}))
	dying := newReplica(t, srv.Addr, o, hung, rule)
	live := newReplica(t, srv.Addr, o, fake.New("p"), rule)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = dying.r.Chat(ctx, ask("acme", 10)) }()
	}
	require.Eventually(t, func() bool { return hung.CallCount() == 2 }, 5*time.Second, 5*time.Millisecond)
	// While the replica lives, it renews its leases past their TTL.
	time.Sleep(2500 * time.Millisecond)
	_, err := live.r.Chat(context.Background(), ask("acme", 10))
	require.ErrorIs(t, err, llmrouter.ErrQuotaExceeded, "slots held by a live replica")
	// The replica dies: its store stops renewing and its connection goes.
	require.NoError(t, dying.store.Close())
	start := time.Now()
	require.Eventually(t, func() bool {
		_, err := live.r.Chat(context.Background(), ask("acme", 10))
		return err == nil
	}, 5*time.Second, 50*time.Millisecond, "slots return after the lease")
	t.Logf("slots returned %v after the replica died (lease 1s)", time.Since(start).Round(10*time.Millisecond))
	cancel()
	wg.Wait()
}

func TestRoundTripsPerAdmissionAndSettle(t *testing.T) {
	srv := redistest.New(t)
	c := client(t, srv.Addr)
	hook := &roundTrips{}
	c.AddHook(hook)
	s := newStore(t, c, redisstore.Options{})
	ctx := context.Background()
	limits := []llmrouter.Limit{llmrouter.RPM(1000), llmrouter.TPM(1e6), llmrouter.USDPerDay(100), llmrouter.MaxConcurrent(10)}
	require.NoError(t, s.Preload(ctx))
	for i := range 20 {
		r := res("t"+strconv.Itoa(i%3), llmrouter.Amount{Requests: 1, Tokens: 100, MicroUSD: 50}, limits...)
		before := hook.n.Load()
		require.NoError(t, s.Reserve(ctx, r))
		assert.Equal(t, int64(1), hook.n.Load()-before, "one round trip per admission")
		before = hook.n.Load()
		require.NoError(t, s.Settle(ctx, r, one(10)))
		assert.Equal(t, int64(1), hook.n.Load()-before, "one round trip per settle")
	}
}
