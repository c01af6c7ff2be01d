package redisstore_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/redistest"
	"github.com/llmrouter/llmrouter/redisstore"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// On a 3-node Redis Cluster every key of a bucket shares its hash tag, so
// each admission is one script on one node (no CROSSSLOT), and tenants
// spread over the nodes.
func TestClusterHashTags(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	addrs := redistest.NewCluster(t, 3)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	s := newStore(t, c, redisstore.Options{})
	ctx := context.Background()
	require.NoError(t, s.Preload(ctx))
	limits := []llmrouter.Limit{llmrouter.RPM(1000), llmrouter.TPM(1e6), llmrouter.USDPerDay(10), llmrouter.MaxConcurrent(50)}
	for i := range 30 {
		r := res("tenant-{"+strconv.Itoa(i)+"}", llmrouter.Amount{Requests: 1, Tokens: 10, MicroUSD: 5}, limits...)
		require.NoError(t, s.Reserve(ctx, r))
		require.NoError(t, s.Settle(ctx, r, one(3)))
	}
	// Exact on a cluster too: 200 at once against 100.
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.Reserve(ctx, res("busy", one(1), llmrouter.RPD(100))) == nil {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(100), ok.Load())

	var mu sync.Mutex
	slots := map[string]map[int64]bool{} // tag -> slots of its keys
	nodes := map[string]bool{}           // tag -> node holding it
	require.NoError(t, c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		keys, err := n.Keys(ctx, "llmr:*").Result()
		if err != nil {
			return err
		}
		for _, k := range keys {
			tag := k[strings.Index(k, "{"):strings.Index(k, "}")]
			slot, err := n.ClusterKeySlot(ctx, k).Result()
			if err != nil {
				return err
			}
			mu.Lock()
			if slots[tag] == nil {
				slots[tag] = map[int64]bool{}
			}
			slots[tag][slot] = true
			nodes[n.Options().Addr] = true
			mu.Unlock()
		}
		return nil
	}))
	assert.Len(t, slots, 31)
	for tag, ss := range slots {
		assert.Len(t, ss, 1, "every key of %s in one slot", tag)
	}
	assert.Len(t, nodes, 3, "buckets spread over every node")
}
