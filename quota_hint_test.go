package llmrouter_test

import (
	"context"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/require"
)

// A request goes straight to the bucket its pooled call reserved in last
// time; these check the shortcut never counts in a bucket the store has
// dropped, nor in another store's.

// chatAsTenant sends one request of tenant to deployment a.
func chatAsTenant(t *testing.T, r *llmrouter.Router, tenant string) {
	t.Helper()
	req := hello("a")
	req.Tenant = tenant
	_, err := r.Chat(context.Background(), req)
	require.NoError(t, err)
}

// After a sweep removed a tenant's bucket, the tenant's next requests count
// in a new bucket the store holds.
func TestQuotaAfterSweepCountsInTheStore(t *testing.T) {
	clk := newClock()
	store := llmrouter.NewMemoryQuotaStore()
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p"))), llmrouter.WithClock(clk.Now),
		llmrouter.WithQuota(store, llmrouter.PerTenant(llmrouter.RPM(100))))
	require.NoError(t, err)
	chat := func() { chatAsTenant(t, r, "acme") }
	for range 3 {
		chat()
	}
	used, _ := store.Usage("tenant", "acme", time.Minute, clk.Now())
	require.EqualValues(t, 3, used.Requests)
	for round := range 5 {
		clk.Advance(2 * time.Minute) // the window ends: the bucket is idle
		store.Sweep(clk.Now())
		for range 4 {
			chat()
		}
		used, _ := store.Usage("tenant", "acme", time.Minute, clk.Now())
		require.EqualValues(t, 4, used.Requests, "round %d: counted in the store's bucket", round)
	}
}

// After Apply gives the router a new store, requests count there and
// nothing more in the old one.
func TestQuotaAfterApplyCountsInTheNewStore(t *testing.T) {
	clk := newClock()
	old, fresh := llmrouter.NewMemoryQuotaStore(), llmrouter.NewMemoryQuotaStore()
	opts := func(s *llmrouter.MemoryQuotaStore) []llmrouter.Option {
		return []llmrouter.Option{llmrouter.WithDeployments(dep("a", fake.New("p"))),
			llmrouter.WithQuota(s, llmrouter.PerTenant(llmrouter.RPM(100)))}
	}
	r, err := llmrouter.New(append(opts(old), llmrouter.WithClock(clk.Now))...)
	require.NoError(t, err)
	chat := func() { chatAsTenant(t, r, "acme") }
	for range 3 {
		chat()
	}
	_, err = r.Apply(opts(fresh)...)
	require.NoError(t, err)
	for range 5 {
		chat()
	}
	usedOld, _ := old.Usage("tenant", "acme", time.Minute, clk.Now())
	usedNew, _ := fresh.Usage("tenant", "acme", time.Minute, clk.Now())
	require.EqualValues(t, 3, usedOld.Requests, "nothing more in the old store")
	require.EqualValues(t, 5, usedNew.Requests, "every later request in the new one")
}

// Tenants taking turns on one goroutine each count in their own bucket.
func TestQuotaAlternatingTenantsCountApart(t *testing.T) {
	clk := newClock()
	store := llmrouter.NewMemoryQuotaStore()
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p"))), llmrouter.WithClock(clk.Now),
		llmrouter.WithQuota(store, llmrouter.PerTenant(llmrouter.RPM(100)), llmrouter.PerUser(llmrouter.RPM(100))))
	require.NoError(t, err)
	for i := range 30 {
		req := hello("a")
		req.Tenant, req.User = []string{"x", "y", "z"}[i%3], []string{"u", "v"}[i%2]
		_, err := r.Chat(context.Background(), req)
		require.NoError(t, err)
	}
	for _, tenant := range []string{"x", "y", "z"} {
		used, _ := store.Usage("tenant", tenant, time.Minute, clk.Now())
		require.EqualValues(t, 10, used.Requests, "tenant %s", tenant)
	}
	for _, user := range []string{"u", "v"} {
		used, _ := store.Usage("user", user, time.Minute, clk.Now())
		require.EqualValues(t, 15, used.Requests, "user %s", user)
	}
}
