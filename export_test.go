package llmrouter

import (
	"context"
	"time"
)

// SetSleep replaces how r sleeps between retries and while waiting for a
// cooldown, so tests can record waits and move a fake clock instead.
func SetSleep(r *Router, f func(ctx context.Context, d time.Duration) error) { r.sleep = f }

// FillQuotaStore creates one bucket per key under rule in s, each holding
// amount in the windows of limits at now, without going through Reserve (so
// that filling a million buckets does not itself trigger sweeps).
func FillQuotaStore(s *MemoryQuotaStore, rule string, keys []string, limits []Limit, amount Amount, now time.Time) {
	for _, k := range keys {
		sh, h := s.locate(k)
		b := sh.bucket(h, bucketKey{rule, k}, now)
		_, _ = b.reserve(limits, amount, now)
		b.inFlight = 0
	}
}

// QuotaBuckets returns how many buckets s holds, after checking that each
// shard's map and list hold the same live buckets.
func QuotaBuckets(s *MemoryQuotaStore) int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		inMap := 0
		for h, b := range sh.buckets {
			for ; b != nil; b = b.next {
				if b.dead || b.hash != h || sh.lookup(h, b.key) != b {
					panic("quota shard map holds a dead or misfiled bucket")
				}
				inMap++
			}
		}
		for _, b := range sh.list {
			if b.dead || sh.lookup(b.hash, b.key) != b {
				panic("quota shard list holds a bucket its map does not")
			}
		}
		if inMap != len(sh.list) {
			panic("quota shard map and list disagree")
		}
		n += len(sh.list)
		sh.mu.RUnlock()
	}
	return n
}

// QuotaSweepBound is the most buckets one Reserve may sweep.
const QuotaSweepBound = sweepBatch + sweepOnAdd
