package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/llmrouter/llmrouter"
)

// Usage returns what bucket (rule, key) holds in the current window of
// length window (by the Redis server's clock), and its leases in flight.
// Under SlidingWindows it is the current window's own count, without the
// previous window's share. It takes three round trips; it is meant for
// dashboards and tests, not for the request path.
func (s *Store) Usage(ctx context.Context, rule, key string, window time.Duration) (used llmrouter.Amount, inFlight int64, err error) {
	c := s.newCall(&llmrouter.Reservation{Rule: rule, Key: key, Limits: []llmrouter.Limit{{Window: window}}})
	now, err := s.c.Time(ctx).Result()
	if err != nil {
		return used, 0, err
	}
	inFlight, err = s.c.ZCount(ctx, c.keys[1], strconv.FormatInt(now.UnixMilli()+1, 10), "+inf").Result()
	if err != nil {
		return used, 0, err
	}
	l := strconv.FormatInt(c.lens[0], 10)
	h, err := s.c.HMGet(ctx, c.keys[2], l+"i", l+"r", l+"t", l+"u").Result()
	if err != nil {
		return used, inFlight, err
	}
	if num(h[0]) != now.UnixMilli()/c.lens[0] {
		return used, inFlight, nil
	}
	return llmrouter.Amount{Requests: num(h[1]), Tokens: num(h[2]), MicroUSD: num(h[3])}, inFlight, nil
}

func num(v any) int64 {
	s, _ := v.(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
