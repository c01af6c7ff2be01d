package redisstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/redistest"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/llmrouter/llmrouter/redisstore"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// records is a lineage sink keeping each request's deployment and what the
// router said of deployment a.
type records struct {
	mu   sync.Mutex
	recs []*llmrouter.Record
}

func (r *records) Write(_ context.Context, rec *llmrouter.Record) {
	r.mu.Lock()
	r.recs = append(r.recs, rec.Clone())
	r.mu.Unlock()
}

// limitedReplica is one router of a fleet with deployments a (RPM 50,
// counted in store) and b (no limits) on route "chat", a first.
type limitedReplica struct {
	r    *llmrouter.Router
	a, b *fake.Provider
}

func newLimitedReplica(t *testing.T, store llmrouter.QuotaStore, rec *records) *limitedReplica {
	a, b := fake.New("p", fake.WithCallRecording(false)), fake.New("q", fake.WithCallRecording(false))
	r, err := llmrouter.New(
		llmrouter.WithDeployments(llmrouter.Deployment{Name: "a", Provider: a, Model: "m", RPM: 50},
			llmrouter.Deployment{Name: "b", Provider: b, Model: "m"}),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		llmrouter.WithSharedDeploymentLimits(store, 3),
		llmrouter.WithLineage(rec))
	require.NoError(t, err)
	return &limitedReplica{r: r, a: a, b: b}
}

// chatBurst sends n requests at once over the replicas; every one must be
// answered (by a or by b).
func chatBurst(t *testing.T, reps []*limitedReplica, n int) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := reps[i%len(reps)].r.Chat(context.Background(), &llmrouter.Request{Model: "chat",
				Messages: []llmrouter.Message{llmrouter.User("hello")}})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
}

// awayFromMinuteEnd waits, if needed, so that the next few seconds stay in
// one minute of the Redis server's clock (the RPM window).
func awayFromMinuteEnd(t *testing.T, c redis.UniversalClient) {
	now, err := c.Time(context.Background()).Result()
	require.NoError(t, err)
	if left := now.Truncate(time.Minute).Add(time.Minute).Sub(now); left < 8*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
}

// Three routers, each with its own client and store, against one Redis: a
// deployment with RPM 50 gets exactly 50 of 200 concurrent requests, and
// the other 150 fail over to b, lineage saying why.
func TestSharedDeploymentRPMAcrossRouters(t *testing.T) {
	srv := redistest.New(t)
	rec := &records{}
	var reps []*limitedReplica
	for range 3 {
		reps = append(reps, newLimitedReplica(t, newStore(t, client(t, srv.Addr), burst), rec))
	}
	awayFromMinuteEnd(t, client(t, srv.Addr))
	chatBurst(t, reps, 200)
	onA, onB := 0, 0
	for _, r := range reps {
		onA += r.a.CallCount()
		onB += r.b.CallCount()
	}
	fmt.Printf("redis-deployment-rpm: routers=3 requests=200 rpm=50 reached_a=%d failed_over_to_b=%d\n", onA, onB)
	assert.Equal(t, 50, onA, "exactly the RPM reached a, fleet-wide")
	assert.Equal(t, 150, onB)
	require.Len(t, rec.recs, 200, "one record per request")
	viaB := 0
	for _, r := range rec.recs {
		if r.Deployment == "b" {
			viaB++
			assert.Equal(t, llmrouter.CandidateSkipped, r.Candidates[0].Status)
			assert.Equal(t, "at its 50 requests per 1m0s limit", r.Candidates[0].Reason)
		}
	}
	assert.Equal(t, 150, viaB, "lineage: the rest failed over to b")
	store := newStore(t, client(t, srv.Addr), redisstore.Options{})
	used, _, err := store.Usage(context.Background(), "llmrouter.deployment", "a", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, int64(50), used.Requests, "settled: 50 requests counted in Redis")
}

// Redis down: each router counts its share (RPM 50 over 3 replicas, 16
// each) and no request fails for it; Redis back: the fleet shares again.
func TestSharedDeploymentRPMWhenRedisIsDown(t *testing.T) {
	srv := redistest.New(t)
	o := redisstore.Options{Timeout: 100 * time.Millisecond, Breaker: redisstore.Breaker{OpenFor: 200 * time.Millisecond}}
	rec := &records{}
	var reps []*limitedReplica
	var stores []*redisstore.Store
	for range 3 {
		s := newStore(t, client(t, srv.Addr), o)
		stores = append(stores, s)
		reps = append(reps, newLimitedReplica(t, s, rec))
	}
	srv.Stop()
	chatBurst(t, reps, 200)
	for i, r := range reps {
		assert.Equal(t, 16, r.a.CallCount(), "router %d sent a its share", i)
		assert.Positive(t, stores[i].Stats().Failures)
	}
	require.NoError(t, srv.Restart())
	awayFromMinuteEnd(t, client(t, srv.Addr))
	require.Eventually(t, func() bool {
		chatBurst(t, reps, 3) // probes close the breakers
		return stores[0].Stats().Breaker == "closed" && stores[1].Stats().Breaker == "closed" &&
			stores[2].Stats().Breaker == "closed"
	}, 5*time.Second, 50*time.Millisecond)
	chatBurst(t, reps, 200)
	used, _, err := stores[0].Usage(context.Background(), "llmrouter.deployment", "a", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, int64(50), used.Requests, "back on Redis: the fleet shares the RPM again")
}
