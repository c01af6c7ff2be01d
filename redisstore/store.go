package redisstore

import (
	"context"
	"errors"
	"runtime"
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

	closed atomic.Bool
	slots  chan struct{} // one per operation in flight (MaxInFlight)
	batch  batcher
	stats  counters
	stop   chan struct{}
	done   chan struct{}
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
	if o.MaxInFlight == 0 {
		o.MaxInFlight = poolSize(c)
	}
	s := &Store{c: c, o: o, slots: make(chan struct{}, o.MaxInFlight), leases: map[string]map[string]struct{}{},
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

func poolSize(c redis.UniversalClient) int {
	switch c := c.(type) {
	case *redis.Client:
		if n := c.Options().PoolSize; n > 0 {
			return n
		}
	case *redis.ClusterClient:
		if n := c.Options().PoolSize; n > 0 {
			return n
		}
	}
	return 10 * runtime.GOMAXPROCS(0)
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
// after Close fail with ErrClosed (wrapped as under a Redis failure) and
// send nothing.
func (s *Store) Close() error {
	if s.closed.CompareAndSwap(false, true) {
		close(s.stop)
	}
	<-s.done
	return nil
}

var errCallerGone = errors.New("redisstore: the caller's context ended")

// ErrClosed reports an operation on a closed store; nothing was sent.
var ErrClosed = errors.New("redisstore: store closed")

// ErrBusy reports an operation that waited its whole Timeout for its turn
// (a batch to join, or one of the store's MaxInFlight slots), and was never
// sent.
var ErrBusy = errors.New("redisstore: too many operations in flight (Options.MaxInFlight)")

// do runs op on Redis through the breaker, within Timeout, once one of the
// MaxInFlight slots is free (waiting Timeout at most for it). An error the caller caused (its context
// ended), or a wait for a slot, does not count against the breaker.
func (s *Store) do(ctx context.Context, op func(context.Context) (any, error)) (any, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	select {
	case s.slots <- struct{}{}:
	default:
		wait := time.NewTimer(s.o.Timeout)
		select {
		case s.slots <- struct{}{}:
			wait.Stop()
		case <-wait.C:
			return nil, ErrBusy
		case <-ctx.Done():
			wait.Stop()
			return nil, errors.Join(ErrBusy, ctx.Err())
		}
	}
	defer func() { <-s.slots }()
	octx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	return s.cb.Execute(func() (any, error) {
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
	cmd, err := s.eval(ctx, reserveScript, c.keys[:], args)
	var res []int64
	if err == nil {
		res, err = cmd.Int64Slice()
	}
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
	if res[0] == 1 {
		s.stats.admitted.Add(1)
		if c.lease {
			s.hold(c.keys[1], c.token)
		}
		return nil
	}
	s.stats.refused.Add(1)
	return &llmrouter.QuotaError{Rule: r.Rule, Key: r.Key, Limit: refusedBy(&c, r.Limits, res[1], res[2]),
		RetryAfter: time.Duration(res[3]) * time.Millisecond, TooLarge: res[4] == 1}
}

// sent reports whether an operation that failed with err may have reached
// Redis: anything but a refusal by the open breaker or a wait for a slot.
func sent(err error) bool {
	return !errors.Is(err, gobreaker.ErrOpenState) && !errors.Is(err, gobreaker.ErrTooManyRequests) &&
		!errors.Is(err, ErrBusy) && !errors.Is(err, errWithdrawn) && !errors.Is(err, ErrClosed)
}

// reserveArgs are the reserve script's ARGV: the limits of each window
// length merged into the tightest of each (a limit of 0 is none), and the
// tightest concurrency limit.
func (s *Store) reserveArgs(c *call, r *llmrouter.Reservation) []any {
	conc := int64(0)
	for _, l := range r.Limits {
		if l.Concurrent > 0 {
			conc = tighter(conc, clamp(l.Concurrent))
		}
	}
	args := make([]any, 8+4*len(c.lens))
	args[0], args[1], args[2], args[3] = c.token, s.slidingArg(), s.o.LeaseTTL.Milliseconds(), s.o.MaxRequestTime.Milliseconds()
	args[4], args[5], args[6], args[7] = clamp(r.Amount.Requests), clamp(r.Amount.Tokens), clamp(r.Amount.MicroUSD), conc
	for w, ms := range c.lens {
		lim := tightestOf(r.Limits, ms)
		args[8+4*w], args[9+4*w], args[10+4*w], args[11+4*w] = ms, lim[0], lim[1], lim[2]
	}
	return args
}

// tightestOf merges the limits of window length ms (in ls) into the
// tightest of each dimension: requests, tokens, micro-USD (0 for none).
func tightestOf(ls []llmrouter.Limit, ms int64) [3]int64 {
	var lim [3]int64
	for _, l := range ls {
		if l.Window > 0 && windowMS(l.Window) == ms {
			v := limitValues(l)
			for k := range lim {
				lim[k] = tighter(lim[k], v[k])
			}
		}
	}
	return lim
}

// slidingArg is the scripts' sliding flag: "1" with SlidingWindows.
func (s *Store) slidingArg() string {
	if s.o.Windows == SlidingWindows {
		return "1"
	}
	return "0"
}

// limitValues are l's requests, tokens and micro-USD, 0 for none.
func limitValues(l llmrouter.Limit) [3]int64 {
	usd := int64(0)
	if l.USD > 0 {
		usd = max(microUSD(l.USD), 1)
	}
	return [3]int64{clamp(l.Requests), clamp(l.Tokens), usd}
}

// tighter is the smaller of two limits, where 0 is none.
func tighter(a, b int64) int64 {
	if a == 0 || (b > 0 && b < a) {
		return b
	}
	return a
}

// refusedBy finds the limit the reserve script refused by: window number
// w (1-based; 0 for the concurrency limit) and dimension k (1-3).
func refusedBy(c *call, ls []llmrouter.Limit, w, k int64) llmrouter.Limit {
	if w > 0 && int(w) <= len(c.lens) && k >= 1 && k <= 3 {
		ms := c.lens[w-1]
		merged := tightestOf(ls, ms)
		for _, l := range ls {
			if l.Window > 0 && windowMS(l.Window) == ms && limitValues(l)[k-1] == merged[k-1] {
				return l
			}
		}
	}
	var tight llmrouter.Limit
	for _, l := range ls {
		if l.Concurrent > 0 && (tight.Concurrent == 0 || l.Concurrent < tight.Concurrent) {
			tight = l
		}
	}
	return tight
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
	if c.lease {
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
	leased := "0"
	if c.lease {
		leased = "1"
	}
	args := make([]any, 7+len(c.lens))
	args[0], args[1] = c.token, settledTTL.Milliseconds()
	args[2] = clamp(actual.Requests) - clamp(reserved.Requests)
	args[3] = clamp(actual.Tokens) - clamp(reserved.Tokens)
	args[4] = clamp(actual.MicroUSD) - clamp(reserved.MicroUSD)
	args[5], args[6] = s.slidingArg(), leased
	for i, l := range c.lens {
		args[7+i] = l
	}
	_, err := s.eval(ctx, settleScript, c.keys[:], args)
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
