package redisstore

import (
	"context"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/redis/go-redis/v9"
)

// The store's one goroutine renews the concurrency leases its requests hold
// and retries settlements that failed. Requests never wait for it.

// maxPending bounds the settlements kept for retry; past it new ones are
// dropped (their estimates stay charged, their leases lapse).
const maxPending = 100_000

// pendingSettle is a settlement (or a cancellation of a reservation whose
// outcome was unknown) waiting for Redis.
type pendingSettle struct {
	c                call
	reserved, actual llmrouter.Amount
	until            time.Time // given up after
}

// tick is how often the goroutine wakes: often enough to retry settlements
// within a second of Redis coming back, and to renew leases every third of
// their TTL.
func (s *Store) tick() time.Duration { return min(time.Second, s.o.LeaseTTL/3) }

func (s *Store) maintain() {
	defer close(s.done)
	t := time.NewTicker(s.tick())
	defer t.Stop()
	lastRenew := time.Now()
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			if now.Sub(lastRenew) >= s.o.LeaseTTL/3-s.tick()/2 {
				s.renew()
				lastRenew = now
			}
			s.retry(now)
		}
	}
}

// hold records a lease this store must renew.
func (s *Store) hold(key, token string) {
	s.mu.Lock()
	m := s.leases[key]
	if m == nil {
		m = map[string]struct{}{}
		s.leases[key] = m
	}
	m[token] = struct{}{}
	s.mu.Unlock()
}

// release stops renewing a lease.
func (s *Store) release(key, token string) {
	s.mu.Lock()
	if m := s.leases[key]; m != nil {
		delete(m, token)
		if len(m) == 0 {
			delete(s.leases, key)
		}
	}
	s.mu.Unlock()
}

// renew extends every lease held, one script per lease set, all in one
// pipeline (one round trip per Cluster node).
func (s *Store) renew() {
	s.mu.Lock()
	keys := make([]string, 0, len(s.leases))
	argv := make([][]any, 0, len(s.leases))
	for k, m := range s.leases {
		a := make([]any, 0, 1+len(m))
		a = append(a, s.o.LeaseTTL.Milliseconds())
		for tok := range m {
			a = append(a, tok)
		}
		keys, argv = append(keys, k), append(argv, a)
	}
	s.mu.Unlock()
	if len(keys) == 0 {
		return
	}
	_, err := s.do(context.Background(), func(ctx context.Context) (any, error) {
		cmds, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				renewScript.EvalSha(ctx, p, []string{k}, argv[i]...)
			}
			return nil
		})
		if err != nil && !redis.HasErrorPrefix(err, "NOSCRIPT") {
			return nil, err
		}
		for i, cmd := range cmds {
			n, err := cmd.(*redis.Cmd).Int64()
			if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
				// Redis lost its scripts (a restart, a failover): Run
				// sends this one in full.
				n, err = renewScript.Run(ctx, s.c, []string{keys[i]}, argv[i]...).Int64()
			}
			if err != nil {
				return nil, err
			}
			s.stats.leasesLost.Add(int64(len(argv[i])-1) - n)
		}
		return nil, nil
	})
	if err != nil {
		s.stats.failures.Add(1)
	}
}

// enqueue keeps a failed settlement for retry.
func (s *Store) enqueue(c call, reserved, actual llmrouter.Amount) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) >= maxPending {
		s.stats.dropped.Add(1)
		return
	}
	s.pending[c.token] = pendingSettle{c: c, reserved: reserved, actual: actual,
		until: time.Now().Add(s.o.MaxRequestTime)}
}

// retry applies pending settlements, oldest first in no particular order,
// stopping at the first failure (Redis is still out).
func (s *Store) retry(now time.Time) {
	s.mu.Lock()
	batch := make([]pendingSettle, 0, min(len(s.pending), 256))
	for _, p := range s.pending {
		if len(batch) == cap(batch) {
			break
		}
		batch = append(batch, p)
	}
	s.mu.Unlock()
	for _, p := range batch {
		if now.After(p.until) {
			s.forget(p.c.token)
			s.stats.dropped.Add(1)
			continue
		}
		if err := s.settle(context.Background(), p.c, p.reserved, p.actual); err != nil {
			return
		}
		s.forget(p.c.token)
		s.stats.retried.Add(1)
	}
}

func (s *Store) forget(token string) {
	s.mu.Lock()
	delete(s.pending, token)
	s.mu.Unlock()
}
