package llmrouter_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limitedFleet builds n routers, each with its own providers for a (RPM
// 50) and b (no limits) on one route, a first; opts are added to each.
func limitedFleet(t *testing.T, n int, opts ...llmrouter.Option) (routers []*llmrouter.Router, a []*fake.Provider, rec *recorder) {
	t.Helper()
	rec = &recorder{}
	for range n {
		pa, pb := fake.New("p", fake.WithCallRecording(false)), fake.New("q", fake.WithCallRecording(false))
		da := dep("a", pa)
		da.RPM = 50
		r, err := llmrouter.New(append([]llmrouter.Option{llmrouter.WithDeployments(da, dep("b", pb)),
			llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
			llmrouter.WithLineage(rec)}, opts...)...)
		require.NoError(t, err)
		routers, a = append(routers, r), append(a, pa)
	}
	return routers, a, rec
}

// burstOver sends n requests at once, spread over routers, and fails the
// test on any error.
func burstOver(t *testing.T, routers []*llmrouter.Router, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := routers[i%len(routers)].Chat(context.Background(), hello("chat")); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func callsTo(ps []*fake.Provider) (n int) {
	for _, p := range ps {
		n += p.CallCount()
	}
	return n
}

// Three routers sharing one store (here the memory store; redisstore in its
// own tests) send a deployment its RPM between them, not 3× it; the rest
// fail over, and lineage says why.
func TestSharedDeploymentLimitsAcrossRouters(t *testing.T) {
	clk := newClock()
	store := llmrouter.NewMemoryQuotaStore()
	routers, a, rec := limitedFleet(t, 3, llmrouter.WithClock(clk.Now), llmrouter.WithSharedDeploymentLimits(store, 3))
	burstOver(t, routers, 200)
	assert.Equal(t, 50, callsTo(a), "exactly the RPM reached a, fleet-wide")
	onA, onB := 0, 0
	for _, r := range rec.all() {
		switch r.Deployment {
		case "a":
			onA++
		case "b":
			onB++
			assert.Equal(t, llmrouter.CandidateSkipped, r.Candidates[0].Status)
			assert.Equal(t, "at its 50 requests per 1m0s limit", r.Candidates[0].Reason)
		}
	}
	assert.Equal(t, 50, onA)
	assert.Equal(t, 150, onB, "the rest failed over to b")
	used, _ := store.Usage("llmrouter.deployment", "a", llmrouter.RPM(1).Window, clk.Now())
	assert.Equal(t, int64(50), used.Requests)

	// The next window admits again.
	clk.Advance(llmrouter.RPM(1).Window)
	burstOver(t, routers, 10)
	assert.Equal(t, 60, callsTo(a))
}

// Without the option, each router counts alone: 3× the RPM passes.
func TestDeploymentLimitsAreLocalByDefault(t *testing.T) {
	routers, a, _ := limitedFleet(t, 3, llmrouter.WithClock(newClock().Now))
	burstOver(t, routers, 200)
	assert.Equal(t, 150, callsTo(a))
}

// downStore fails every call, as a store whose Redis is down would.
type downStore struct {
	mu      sync.Mutex
	settled int
}

var errStoreDown = errors.New("store down")

func (*downStore) Reserve(context.Context, llmrouter.Reservation) error { return errStoreDown }
func (s *downStore) Settle(context.Context, llmrouter.Reservation, llmrouter.Amount) error {
	s.mu.Lock()
	s.settled++
	s.mu.Unlock()
	return errStoreDown
}
func (s *downStore) Cancel(ctx context.Context, r llmrouter.Reservation) error {
	return s.Settle(ctx, r, llmrouter.Amount{})
}

// While the store is out, each router counts its share of the limit (RPM
// 50 over 3 replicas: 16 each), so the fleet stays under the provider's
// limit rather than refusing every call or sending blind.
func TestSharedDeploymentLimitsFallBackToLocalShare(t *testing.T) {
	store := &downStore{}
	routers, a, rec := limitedFleet(t, 3, llmrouter.WithClock(newClock().Now), llmrouter.WithSharedDeploymentLimits(store, 3))
	burstOver(t, routers, 200)
	for i, p := range a {
		assert.Equal(t, 16, p.CallCount(), "router %d counted its share", i)
	}
	assert.Len(t, rec.all(), 200, "every request answered, one record each")
	assert.Zero(t, store.settled, "locally counted calls settle locally")
}

func TestSharedDeploymentLimitsConfig(t *testing.T) {
	for name, opt := range map[string]llmrouter.Option{
		"nil store":  llmrouter.WithSharedDeploymentLimits(nil, 3),
		"0 replicas": llmrouter.WithSharedDeploymentLimits(llmrouter.NewMemoryQuotaStore(), 0),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p"))), opt)
			var ce *llmrouter.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "WithSharedDeploymentLimits", ce.Field)
		})
	}
}

// A new configuration version (Apply) counts against the same shared
// counters: the window's RPM is not granted again.
func TestSharedDeploymentLimitsAcrossVersions(t *testing.T) {
	clk := newClock()
	store := llmrouter.NewMemoryQuotaStore()
	pa, pb := fake.New("p", fake.WithCallRecording(false)), fake.New("q", fake.WithCallRecording(false))
	da := dep("a", pa)
	da.RPM = 50
	opts := []llmrouter.Option{llmrouter.WithDeployments(da, dep("b", pb)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		llmrouter.WithSharedDeploymentLimits(store, 3)}
	r, err := llmrouter.New(append(opts, llmrouter.WithClock(clk.Now))...)
	require.NoError(t, err)
	burstOver(t, []*llmrouter.Router{r}, 30)
	_, err = r.Apply(opts...)
	require.NoError(t, err)
	burstOver(t, []*llmrouter.Router{r}, 30)
	assert.Equal(t, 50, pa.CallCount())
	assert.Equal(t, 10, pb.CallCount())
}
