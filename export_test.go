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
		b := &bucket{}
		_, _ = b.reserve(limits, amount, now)
		b.inFlight = 0
		s.buckets.Store(bucketKey{rule, k}, b)
	}
}
