package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/redistest"
	"github.com/llmrouter/llmrouter/redisstore"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Through Sentinel: the store takes a failover client (a UniversalClient
// with MasterName), admits against the master, and after the master dies
// and the sentinel promotes its replica, admits against the new master,
// with what was replicated still counted: the day's limit admits exactly
// what it had left.
func TestSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a master, a replica and a sentinel, and waits for a failover")
	}
	st := redistest.NewSentinel(t)
	c := redis.NewUniversalClient(&redis.UniversalOptions{MasterName: st.Name, Addrs: []string{st.Addr},
		ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	s := newStore(t, c, redisstore.Options{Breaker: redisstore.Breaker{OpenFor: 200 * time.Millisecond}})
	ctx := context.Background()
	require.NoError(t, s.Preload(ctx))
	limits := []llmrouter.Limit{llmrouter.RPD(10), llmrouter.MaxConcurrent(5)}
	for range 4 {
		r := res("acme", one(5), limits...)
		require.NoError(t, s.Reserve(ctx, r))
		require.NoError(t, s.Settle(ctx, r, one(5)))
	}
	// Replication is asynchronous: wait until the replica has it all, or a
	// failover could lose the last writes (and over-admit by as many).
	acked, err := c.Do(ctx, "WAIT", 1, 5000).Int()
	require.NoError(t, err)
	require.Equal(t, 1, acked, "the replica acknowledged the writes")

	st.Master.Kill()
	start := time.Now()
	after := 0
	require.Eventually(t, func() bool {
		r := res("acme", one(5), limits...)
		if s.Reserve(ctx, r) != nil {
			return false
		}
		after++
		return s.Settle(ctx, r, one(5)) == nil
	}, 30*time.Second, 100*time.Millisecond, "admits again once the replica is promoted")
	t.Logf("admitting again %v after the master died", time.Since(start).Round(10*time.Millisecond))
	master := redistest.SentinelCmd(st.Addr, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", st.Name)
	assert.Contains(t, master, st.Replica.Addr[strings.LastIndex(st.Replica.Addr, ":")+1:], "the replica is the master now")
	// Reservations whose outcome was unknown during the failover are
	// cancelled in the background; then count what is left.
	require.Eventually(t, func() bool { return s.Stats().Pending == 0 }, 10*time.Second, 20*time.Millisecond)
	for range 10 {
		r := res("acme", one(5), limits...)
		if s.Reserve(ctx, r) == nil {
			after++
			require.NoError(t, s.Settle(ctx, r, one(5)))
		}
	}
	assert.Equal(t, 10-4, after, "the new master knew the 4 admitted before: exactly 10 in the day")
	_, inFlight, err := s.Usage(ctx, "tenant", "acme", 24*time.Hour)
	require.NoError(t, err)
	assert.Zero(t, inFlight, "no slot leaked")
}
