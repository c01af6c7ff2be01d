package llmrouter

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// MemoryQuotaStore is a QuotaStore that keeps its counters in this process.
// Each bucket has its own lock; there is no lock over the whole store, so
// tenants never wait for each other. The zero value is not usable: call
// NewMemoryQuotaStore.
//
// Buckets whose windows have all ended and that hold no request in flight
// are swept away about every sweepEvery reservations, by the reserving
// goroutine.
type MemoryQuotaStore struct {
	buckets sync.Map // bucketKey -> *bucket
}

const sweepEvery = 4096

type bucketKey struct{ rule, key string }

// NewMemoryQuotaStore returns an empty in-memory store.
func NewMemoryQuotaStore() *MemoryQuotaStore { return &MemoryQuotaStore{} }

// Reserve implements QuotaStore.
func (s *MemoryQuotaStore) Reserve(_ context.Context, r Reservation) error {
	// A shared counter would bounce between cores; a per-P random draw
	// sweeps about as often.
	if rand.Uint32()%sweepEvery == 0 {
		s.Sweep(r.Time)
	}
	k := bucketKey{r.Rule, r.Key}
	for {
		b := s.bucket(k)
		err, dead := b.reserve(r.Limits, r.Amount, r.Time)
		if dead {
			s.buckets.CompareAndDelete(k, b)
			continue
		}
		if err != nil {
			err.Rule, err.Key = r.Rule, r.Key
			return err
		}
		return nil
	}
}

// Settle implements QuotaStore.
func (s *MemoryQuotaStore) Settle(_ context.Context, r Reservation, actual Amount) error {
	if v, ok := s.buckets.Load(bucketKey{r.Rule, r.Key}); ok {
		v.(*bucket).settle(r.Amount, actual, r.Time)
	}
	return nil
}

// Cancel implements QuotaStore.
func (s *MemoryQuotaStore) Cancel(ctx context.Context, r Reservation) error {
	return s.Settle(ctx, r, Amount{})
}

// Usage returns what bucket (rule, key) has used in the window of length
// window that holds now, and its requests in flight.
func (s *MemoryQuotaStore) Usage(rule, key string, window time.Duration, now time.Time) (used Amount, inFlight int64) {
	v, ok := s.buckets.Load(bucketKey{rule, key})
	if !ok {
		return Amount{}, 0
	}
	return v.(*bucket).usage(window, now)
}

// Sweep removes the buckets that are idle at now: no request in flight and
// every window ended. Reserve calls it now and then; call it yourself to
// bound memory on your own schedule.
func (s *MemoryQuotaStore) Sweep(now time.Time) {
	s.buckets.Range(func(k, v any) bool {
		if v.(*bucket).retireIfIdle(now) {
			s.buckets.CompareAndDelete(k, v)
		}
		return true
	})
}

func (s *MemoryQuotaStore) bucket(k bucketKey) *bucket {
	if v, ok := s.buckets.Load(k); ok {
		return v.(*bucket)
	}
	v, _ := s.buckets.LoadOrStore(k, &bucket{})
	return v.(*bucket)
}

// bucket holds one key's counters: one per distinct window length, plus the
// requests in flight. It also backs each deployment's own RPM/TPM limits.
type bucket struct {
	mu       sync.Mutex
	windows  []windowCount
	inFlight int64
	dead     bool // swept: reservers must fetch a fresh bucket
}

// windowCount is what one window of a given length holds.
type windowCount struct {
	length time.Duration
	start  int64 // Unix nanoseconds of the window's start
	used   Amount
}

func windowStart(t time.Time, length time.Duration) int64 {
	n := t.UnixNano()
	return n - n%int64(length)
}

// count returns the counter of the current window of the given length,
// starting a new window when the last one has ended.
func (b *bucket) count(length time.Duration, now time.Time) *windowCount {
	start := windowStart(now, length)
	for i := range b.windows {
		if w := &b.windows[i]; w.length == length {
			if w.start != start {
				w.start, w.used = start, Amount{}
			}
			return w
		}
	}
	b.windows = append(b.windows, windowCount{length: length, start: start})
	return &b.windows[len(b.windows)-1]
}

// reserve admits amount against limits, atomically. It reports dead when the
// bucket was swept and the caller must use a fresh one.
func (b *bucket) reserve(limits []Limit, amount Amount, now time.Time) (err *QuotaError, dead bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dead {
		return nil, true
	}
	for _, l := range limits {
		if l.Concurrent > 0 && b.inFlight+1 > l.Concurrent {
			return &QuotaError{Limit: l}, false
		}
		if l.Window <= 0 {
			continue
		}
		w := b.count(l.Window, now)
		if over(w.used.Requests, amount.Requests, l.Requests) ||
			over(w.used.Tokens, amount.Tokens, l.Tokens) ||
			over(w.used.MicroUSD, amount.MicroUSD, l.microUSD()) {
			e := &QuotaError{Limit: l, RetryAfter: time.Duration(w.start + int64(l.Window) - now.UnixNano())}
			if over(0, amount.Requests, l.Requests) || over(0, amount.Tokens, l.Tokens) || over(0, amount.MicroUSD, l.microUSD()) {
				e.TooLarge, e.RetryAfter = true, 0
			}
			return e, false
		}
	}
	// Every window length in limits now has a current counter; charge each
	// once, however many limits share it.
	for i := range b.windows {
		if b.windows[i].start == windowStart(now, b.windows[i].length) {
			b.windows[i].used = addAmount(b.windows[i].used, amount)
		}
	}
	b.inFlight++
	return nil, false
}

func over(used, add, limit int64) bool { return limit > 0 && used+add > limit }

// settle replaces reserved by actual in the windows that held at, if they
// are still current, and releases the concurrency slot.
func (b *bucket) settle(reserved, actual Amount, at time.Time) {
	delta := Amount{actual.Requests - reserved.Requests, actual.Tokens - reserved.Tokens, actual.MicroUSD - reserved.MicroUSD}
	b.mu.Lock()
	for i := range b.windows {
		if w := &b.windows[i]; w.start == windowStart(at, w.length) {
			w.used = addAmount(w.used, delta)
		}
	}
	if b.inFlight > 0 {
		b.inFlight--
	}
	b.mu.Unlock()
}

func (b *bucket) usage(length time.Duration, now time.Time) (Amount, int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range b.windows {
		if w.length == length && w.start == windowStart(now, length) {
			return w.used, b.inFlight
		}
	}
	return Amount{}, b.inFlight
}

// retireIfIdle marks the bucket dead if nothing in it matters at now.
func (b *bucket) retireIfIdle(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.inFlight > 0 {
		return false
	}
	for _, w := range b.windows {
		if w.start+int64(w.length) > now.UnixNano() {
			return false
		}
	}
	b.dead = true
	return true
}

func addAmount(a, b Amount) Amount {
	return Amount{a.Requests + b.Requests, a.Tokens + b.Tokens, a.MicroUSD + b.MicroUSD}
}
