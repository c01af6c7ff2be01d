package redisstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// Store is a llmrouter.QuotaStore kept in Redis, shared by every replica
// whose Store points at the same Redis (standalone, Sentinel or Cluster)
// with the same Prefix. It is safe for concurrent use. Call Close when done:
// it stops the one goroutine the store runs (lease renewals and retried
// settlements).
//
// Each Reserve is one Lua script (one round trip) that checks every limit
// of the reservation and charges all of them or none; each Settle or
// Cancel is one more, applied once per reservation however often it is
// retried. Windows follow the Redis server's clock, not Reservation.Time.
type Store struct {
	c  redis.UniversalClient
	o  Options
	cb *gobreaker.CircuitBreaker[any]

	local   *llmrouter.MemoryQuotaStore // FailLocal's store; nil otherwise
	localAt sync.Map                    // tokens of reservations admitted locally

	mu      sync.Mutex
	leases  map[string]map[string]struct{} // lease set key -> tokens this store holds
	pending map[string]pendingSettle       // token -> settlement to retry
	closed  bool

	stats counters
	stop  chan struct{}
	done  chan struct{}
}

// New returns a store over c. c must have ContextTimeoutEnabled set (for
// *redis.Client and *redis.ClusterClient; it is checked), or no deadline
// would cut a Redis read short. Bad options give a *llmrouter.ConfigError
// naming the field. New does not talk to Redis; Preload does.
func New(c redis.UniversalClient, o Options) (*Store, error) {
	if c == nil {
		return nil, &llmrouter.ConfigError{Field: "redisstore.New: client", Reason: "is nil"}
	}
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	if err := checkClient(c); err != nil {
		return nil, err
	}
	s := &Store{c: c, o: o, leases: map[string]map[string]struct{}{},
		pending: map[string]pendingSettle{}, stop: make(chan struct{}), done: make(chan struct{})}
	if s.o.OnFailure == FailLocal {
		s.local = llmrouter.NewMemoryQuotaStore()
	}
	s.cb = gobreaker.NewCircuitBreaker[any](gobreaker.Settings{
		Name:        "redisstore",
		MaxRequests: 1,
		Timeout:     s.o.Breaker.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= s.o.Breaker.Failures },
		IsExcluded:  func(err error) bool { return errors.Is(err, errCallerGone) },
	})
	go s.maintain()
	return s, nil
}

func checkClient(c redis.UniversalClient) error {
	on := true
	switch c := c.(type) {
	case *redis.Client:
		on = c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		on = c.Options().ContextTimeoutEnabled
	}
	if !on {
		return &llmrouter.ConfigError{Field: "redis.Options.ContextTimeoutEnabled",
			Reason: "must be true, or redisstore.Options.Timeout cannot bound a Redis call"}
	}
	return nil
}

// Preload loads the store's scripts into Redis (every shard of a Cluster),
// so that no admission pays a second round trip to load them. Optional: a
// script Redis lacks (after a restart or failover) is sent in full once.
func (s *Store) Preload(ctx context.Context) error {
	for _, sc := range []*redis.Script{reserveScript, settleScript, renewScript} {
		if err := sc.Load(ctx, s.c).Err(); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the store's goroutine and waits for it. Leases still held
// lapse within LeaseTTL; settlements still waiting for Redis are dropped
// (their estimates stay charged). It does not close the client. Calls
// after Close fail as if Redis were down.
func (s *Store) Close() error {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if !already {
		close(s.stop)
	}
	<-s.done
	return nil
}

var errCallerGone = errors.New("redisstore: the caller's context ended")

// do runs op on Redis through the breaker, within Timeout. An error the
// caller caused (its context ended) does not count against the breaker.
func (s *Store) do(ctx context.Context, op func(context.Context) (any, error)) (any, error) {
	return s.cb.Execute(func() (any, error) {
		octx, cancel := context.WithTimeout(ctx, s.o.Timeout)
		defer cancel()
		v, err := op(octx)
		if err != nil && ctx.Err() != nil {
			err = errors.Join(errCallerGone, err)
		}
		return v, err
	})
}

// Reserve implements llmrouter.QuotaStore. r.ID must be set (the router
// sets it). A refusal is a *llmrouter.QuotaError; a Redis failure is an
// *UnavailableError under FailClosed, or an admission or refusal by the
// local store under FailLocal.
func (s *Store) Reserve(ctx context.Context, r llmrouter.Reservation) error {
	if r.ID == "" {
		return &llmrouter.ConfigError{Field: "Reservation.ID", Reason: "is empty; redisstore needs a request id to settle exactly once"}
	}
	c := s.newCall(&r)
	args := s.reserveArgs(&c, &r)
	v, err := s.do(ctx, func(ctx context.Context) (any, error) {
		return reserveScript.Run(ctx, s.c, c.keys, args...).Int64Slice()
	})
	if err != nil {
		s.stats.failures.Add(1)
		if sent(err) {
			// Unknown outcome: Redis may have admitted it. Cancel it in
			// the background; a cancel of what was never reserved is a
			// no-op.
			s.enqueue(c, r.Amount, llmrouter.Amount{})
		}
		return s.fallback(ctx, r, c.token, &UnavailableError{Op: "reserve", Err: err})
	}
	res := v.([]int64)
	if res[0] == 1 {
		s.stats.admitted.Add(1)
		if hasConcurrency(r.Limits) {
			s.hold(c.keys[1], c.token)
		}
		return nil
	}
	s.stats.refused.Add(1)
	return &llmrouter.QuotaError{Rule: r.Rule, Key: r.Key, Limit: r.Limits[res[1]-1],
		RetryAfter: time.Duration(res[2]) * time.Millisecond, TooLarge: res[3] == 1}
}

// sent reports whether an operation that failed with err may have reached
// Redis: anything but a refusal by the open breaker.
func sent(err error) bool {
	return !errors.Is(err, gobreaker.ErrOpenState) && !errors.Is(err, gobreaker.ErrTooManyRequests)
}

func (s *Store) reserveArgs(c *call, r *llmrouter.Reservation) []any {
	sliding := "0"
	if s.o.Windows == SlidingWindows {
		sliding = "1"
	}
	args := make([]any, 0, 9+len(c.lens)+1+5*len(r.Limits))
	args = append(args, c.token, sliding, s.o.LeaseTTL.Milliseconds(), s.o.MaxRequestTime.Milliseconds(),
		itoa(clamp(r.Amount.Requests)), itoa(clamp(r.Amount.Tokens)), itoa(clamp(r.Amount.MicroUSD)), len(c.lens))
	for _, l := range c.lens {
		args = append(args, l)
	}
	args = append(args, len(r.Limits))
	for _, l := range r.Limits {
		w := 0
		if l.Window > 0 {
			w = c.window(l.Window)
		}
		usd := int64(0)
		if l.USD > 0 {
			usd = max(microUSD(l.USD), 1)
		}
		args = append(args, w, clamp(l.Requests), clamp(l.Tokens), usd, clamp(l.Concurrent))
	}
	return args
}

func hasConcurrency(ls []llmrouter.Limit) bool {
	for _, l := range ls {
		if l.Concurrent > 0 {
			return true
		}
	}
	return false
}

// Settle implements llmrouter.QuotaStore: it charges actual in place of
// the reserved amount, in the windows the reservation was made in, and
// releases its concurrency slot. It is applied once, however often it is
// called. When Redis fails, the settlement is retried in the background
// until it succeeds or MaxRequestTime has passed, and Settle returns an
// *UnavailableError.
func (s *Store) Settle(ctx context.Context, r llmrouter.Reservation, actual llmrouter.Amount) error {
	if r.ID == "" {
		return &llmrouter.ConfigError{Field: "Reservation.ID", Reason: "is empty"}
	}
	c := s.newCall(&r)
	if _, ok := s.localAt.LoadAndDelete(c.token); ok {
		return s.local.Settle(ctx, s.share(r), actual)
	}
	if hasConcurrency(r.Limits) {
		s.release(c.keys[1], c.token)
	}
	if err := s.settle(ctx, c, r.Amount, actual); err != nil {
		s.stats.failures.Add(1)
		s.enqueue(c, r.Amount, actual)
		return &UnavailableError{Op: "settle", Err: err}
	}
	return nil
}

// Cancel implements llmrouter.QuotaStore: Settle with nothing used.
func (s *Store) Cancel(ctx context.Context, r llmrouter.Reservation) error {
	return s.Settle(ctx, r, llmrouter.Amount{})
}

func (s *Store) settle(ctx context.Context, c call, reserved, actual llmrouter.Amount) error {
	args := make([]any, 0, 6+len(c.lens))
	args = append(args, c.token, settledTTL.Milliseconds(),
		itoa(clamp(actual.Requests)-clamp(reserved.Requests)),
		itoa(clamp(actual.Tokens)-clamp(reserved.Tokens)),
		itoa(clamp(actual.MicroUSD)-clamp(reserved.MicroUSD)), len(c.lens))
	for _, l := range c.lens {
		args = append(args, l)
	}
	_, err := s.do(ctx, func(ctx context.Context) (any, error) {
		return nil, settleScript.Run(ctx, s.c, c.keys, args...).Err()
	})
	return err
}

// settledTTL is how long a settled reservation's record stays, so that a
// settlement retried within it is recognised and ignored.
const settledTTL = 10 * time.Minute

// counters are the store's statistics.
type counters struct {
	admitted, refused, failures, localAdmits, leasesLost, retried, dropped atomic.Int64
}

// Stats are counts since the store was created.
type Stats struct {
	// Admitted and Refused count Reserve's answers from Redis.
	Admitted, Refused int64
	// Failures counts operations that failed (timeouts, connection
	// errors, an open breaker).
	Failures int64
	// LocalAdmits counts reservations admitted by the local store
	// (FailLocal) while Redis was out.
	LocalAdmits int64
	// LeasesLost counts concurrency leases found expired at renewal: their
	// requests ran on without a slot.
	LeasesLost int64
	// Retried counts settlements (and cancellations of reservations whose
	// outcome was unknown) applied in the background after a failure;
	// Pending those still waiting; Dropped those given up.
	Retried, Pending, Dropped int64
	// Breaker is the state of the breaker around Redis: "closed",
	// "half-open" or "open".
	Breaker string
}

// Stats returns the store's counts.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	pending := len(s.pending)
	s.mu.Unlock()
	return Stats{Admitted: s.stats.admitted.Load(), Refused: s.stats.refused.Load(),
		Failures: s.stats.failures.Load(), LocalAdmits: s.stats.localAdmits.Load(),
		LeasesLost: s.stats.leasesLost.Load(), Retried: s.stats.retried.Load(),
		Pending: int64(pending), Dropped: s.stats.dropped.Load(), Breaker: s.cb.State().String()}
}
