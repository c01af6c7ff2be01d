package redisstore

import (
	"context"

	"github.com/llmrouter/llmrouter"
)

// fallback answers a reservation Redis could not take: refused with cause
// under FailClosed; under FailLocal, admitted or refused by the local store
// against this replica's share of each limit.
func (s *Store) fallback(ctx context.Context, r llmrouter.Reservation, token string, cause error) error {
	if s.local == nil {
		return cause
	}
	if err := s.local.Reserve(ctx, s.share(r)); err != nil {
		return err
	}
	s.stats.localAdmits.Add(1)
	s.localAt.Store(token, struct{}{})
	return nil
}

// share returns r with every limit divided by Options.Replicas, keeping at
// least one unit of each limit that was set.
func (s *Store) share(r llmrouter.Reservation) llmrouter.Reservation {
	n := int64(s.o.Replicas)
	ls := make([]llmrouter.Limit, len(r.Limits))
	for i, l := range r.Limits {
		ls[i] = llmrouter.Limit{Window: l.Window, Requests: part(l.Requests, n), Tokens: part(l.Tokens, n),
			USD: l.USD / float64(n), Concurrent: part(l.Concurrent, n)}
	}
	r.Limits = ls
	return r
}

func part(v, n int64) int64 {
	if v <= 0 {
		return v
	}
	return max(v/n, 1)
}
