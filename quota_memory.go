package llmrouter

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// MemoryQuotaStore is a QuotaStore that keeps its counters in this process.
// Each bucket has its own lock, and buckets are found through shards with a
// read-write lock each; there is no lock over the whole store, so tenants
// never wait for each other. The zero value is not usable: call
// NewMemoryQuotaStore.
//
// Buckets whose windows have all ended and that hold no request in flight
// are swept away a few at a time, by reserving goroutines: each new bucket
// first sweeps two buckets of its shard, and about one reservation in
// sweepEvery sweeps sweepBatch more of a shard picked at random. So no
// reservation looks at more than sweepBatch+sweepOnAdd buckets, however
// many the store holds, and idle buckets go as new ones come. Sweep
// removes every idle bucket at once.
type MemoryQuotaStore struct {
	seed   maphash.Seed
	shards [quotaShards]quotaShard
}

const (
	quotaShards = 64 // a power of two
	sweepEvery  = 256
	sweepBatch  = 16
	sweepOnAdd  = 2
)

// quotaShard holds the buckets whose keys hash to it: a map to find them
// and a list the sweep cursor walks. Reservations take the read lock;
// adding and removing buckets take the write lock, then a bucket's own lock
// (never the other way round).
//
// The map is keyed by the hash of the bucket's key alone, computed once per
// call and also used to pick the shard: a key's buckets under different
// rules (and any two keys whose hashes collide) chain through bucket.next.
type quotaShard struct {
	mu      sync.RWMutex
	buckets map[uint64]*bucket
	list    []*bucket // every bucket in the map, in no particular order
	cursor  int       // the next bucket the sweep looks at
	_       [64]byte  // keeps neighbouring shards' locks off one cache line
}

type bucketKey struct{ rule, key string }

// NewMemoryQuotaStore returns an empty in-memory store.
func NewMemoryQuotaStore() *MemoryQuotaStore { return &MemoryQuotaStore{seed: maphash.MakeSeed()} }

// locate returns the shard of key and the hash its buckets are filed under.
func (s *MemoryQuotaStore) locate(key string) (*quotaShard, uint64) {
	h := maphash.String(s.seed, key)
	return &s.shards[h&(quotaShards-1)], h
}

// Reserve implements QuotaStore.
func (s *MemoryQuotaStore) Reserve(_ context.Context, r Reservation) error {
	_, err := s.reserve(&r)
	if err != nil {
		return err
	}
	return nil
}

// reserve is Reserve returning the bucket reserved in, which stays in the
// store until the reservation is settled (a bucket with a request in
// flight is never swept): the router keeps it in Reservation.held and
// settles it directly.
func (s *MemoryQuotaStore) reserve(r *Reservation) (*bucket, *QuotaError) {
	sh, h := s.locate(r.Key)
	k := bucketKey{r.Rule, r.Key}
	for {
		b := sh.bucket(h, k, r.Time)
		err, dead, n := b.reserveCounted(r.Limits, r.Amount, r.Time)
		if dead {
			continue // swept since we found it, and gone from the map
		}
		if n%sweepEvery == 0 {
			// Every sweepEvery-th reservation of a bucket sweeps a shard:
			// about one reservation in sweepEvery overall, counted under
			// the bucket's lock (a shared counter would bounce between
			// cores), and the shard moves on each time, from one that
			// depends on the key, so that the shards busy tenants hash to
			// are not the only ones swept.
			sw := &s.shards[(uint32(h>>32)+n/sweepEvery)%quotaShards]
			sw.mu.Lock()
			sw.sweep(r.Time, sweepBatch)
			sw.mu.Unlock()
		}
		if err != nil {
			err.Rule, err.Key = r.Rule, r.Key
			return nil, err
		}
		return b, nil
	}
}

// Settle implements QuotaStore.
func (s *MemoryQuotaStore) Settle(_ context.Context, r Reservation, actual Amount) error {
	sh, h := s.locate(r.Key)
	if b := sh.find(h, bucketKey{r.Rule, r.Key}); b != nil {
		b.settle(r.Amount, actual, r.Time)
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
	sh, h := s.locate(key)
	b := sh.find(h, bucketKey{rule, key})
	if b == nil {
		return Amount{}, 0
	}
	return b.usage(window, now)
}

// Sweep removes every bucket that is idle at now: no request in flight and
// every window ended. Reservations sweep a few buckets each as they go; call
// Sweep to reclaim all idle buckets at once on your own schedule. It locks
// one shard (1/64 of the buckets) at a time.
func (s *MemoryQuotaStore) Sweep(now time.Time) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for j := 0; j < len(sh.list); {
			if !sh.removeIfIdle(j, now) {
				j++
			}
		}
		sh.mu.Unlock()
	}
}

// find returns the bucket k, whose key hashes to h, or nil.
func (sh *quotaShard) find(h uint64, k bucketKey) *bucket {
	sh.mu.RLock()
	b := sh.lookup(h, k)
	sh.mu.RUnlock()
	return b
}

// lookup is find for a caller holding sh.mu.
func (sh *quotaShard) lookup(h uint64, k bucketKey) *bucket {
	b := sh.buckets[h]
	for b != nil && b.key != k {
		b = b.next
	}
	return b
}

// bucket returns the bucket k, whose key hashes to h, adding it if need be;
// adding one first sweeps a few others, as of now.
func (sh *quotaShard) bucket(h uint64, k bucketKey, now time.Time) *bucket {
	if b := sh.find(h, k); b != nil {
		return b
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if b := sh.lookup(h, k); b != nil {
		return b
	}
	sh.sweep(now, sweepOnAdd) // before adding: a new bucket is idle until reserved
	if sh.buckets == nil {
		sh.buckets = map[uint64]*bucket{}
	}
	b := &bucket{key: k, hash: h, next: sh.buckets[h]}
	sh.buckets[h] = b
	sh.list = append(sh.list, b)
	return b
}

// sweep looks at up to n buckets from the cursor on, removing those idle
// at now. The cursor goes round the list, so successive sweeps visit every
// bucket in turn. The caller holds sh.mu for writing.
func (sh *quotaShard) sweep(now time.Time, n int) {
	for ; n > 0 && len(sh.list) > 0; n-- {
		if sh.cursor >= len(sh.list) {
			sh.cursor = 0
		}
		if !sh.removeIfIdle(sh.cursor, now) {
			sh.cursor++
		}
	}
}

// removeIfIdle removes the bucket at list index i if it is idle at now; the
// last bucket then takes index i. The caller holds sh.mu for writing.
func (sh *quotaShard) removeIfIdle(i int, now time.Time) bool {
	b := sh.list[i]
	if !b.retireIfIdle(now) {
		return false
	}
	sh.unlink(b)
	last := len(sh.list) - 1
	sh.list[i] = sh.list[last]
	sh.list[last] = nil
	sh.list = sh.list[:last]
	return true
}

// unlink takes b out of the map. The caller holds sh.mu for writing.
func (sh *quotaShard) unlink(b *bucket) {
	if first := sh.buckets[b.hash]; first == b {
		if b.next == nil {
			delete(sh.buckets, b.hash)
		} else {
			sh.buckets[b.hash] = b.next
		}
	} else {
		for p := first; p != nil; p = p.next {
			if p.next == b {
				p.next = b.next
				break
			}
		}
	}
	b.next = nil
}

// bucket holds one key's counters: one per distinct window length, plus the
// requests in flight. It also backs each deployment's own RPM/TPM limits.
type bucket struct {
	mu       sync.Mutex
	windows  []windowCount
	inFlight int64
	reserves uint32 // reservations seen, for the sweep's pace
	dead     bool   // swept: reservers must fetch a fresh bucket

	// In a MemoryQuotaStore (unused by deployments), under the shard's
	// lock: the bucket's key, its hash, and the next bucket filed under the
	// same hash.
	key  bucketKey
	hash uint64
	next *bucket
}

// windowCount is what one window of a given length holds.
type windowCount struct {
	length time.Duration
	start  int64 // Unix nanoseconds of the window's start
	used   Amount
}

// windowStart is the start of the window of the given length holding the
// time n (Unix nanoseconds).
func windowStart(n int64, length time.Duration) int64 {
	return n - n%int64(length)
}

// count returns the index in b.windows of the counter of the current
// window of the given length, starting a new window when the last one has
// ended.
func (b *bucket) count(length time.Duration, now int64) int {
	start := windowStart(now, length)
	for i := range b.windows {
		if w := &b.windows[i]; w.length == length {
			if w.start != start {
				w.start, w.used = start, Amount{}
			}
			return i
		}
	}
	b.windows = append(b.windows, windowCount{length: length, start: start})
	return len(b.windows) - 1
}

// reserve admits amount against limits, atomically. It reports dead when the
// bucket was swept and the caller must use a fresh one.
func (b *bucket) reserve(limits []Limit, amount Amount, now time.Time) (err *QuotaError, dead bool) {
	err, dead, _ = b.reserveCounted(limits, amount, now)
	return err, dead
}

// reserveCounted is reserve, also returning how many reservations the
// bucket has seen, this one included (0 when dead).
func (b *bucket) reserveCounted(limits []Limit, amount Amount, now time.Time) (err *QuotaError, dead bool, n uint32) {
	nowNS := now.UnixNano()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dead {
		return nil, true, 0
	}
	b.reserves++
	var current uint64 // bit i: b.windows[i] is current and a limit counts in it
	for k := range limits {
		l := &limits[k]
		if l.Concurrent > 0 && b.inFlight+1 > l.Concurrent {
			return &QuotaError{Limit: *l}, false, b.reserves
		}
		if l.Window > 0 {
			i := b.count(l.Window, nowNS)
			w := &b.windows[i]
			if err := refusal(l, &w.used, &amount, w.start, nowNS); err != nil {
				return err, false, b.reserves
			}
			current |= 1 << (i & 63) // past 64 windows: see below
		}
	}
	// Every window length in limits now has a current counter; charge each
	// once, however many limits share it.
	for i := range b.windows {
		if i < 64 && current&(1<<i) != 0 || i >= 64 && b.windows[i].start == windowStart(nowNS, b.windows[i].length) {
			b.windows[i].used = addAmount(b.windows[i].used, amount)
		}
	}
	b.inFlight++
	return nil, false, b.reserves
}

// check says whether reserve would admit amount against limits at now,
// without reserving anything or starting a window.
func (b *bucket) check(limits []Limit, amount Amount, now time.Time) *QuotaError {
	nowNS := now.UnixNano()
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range limits {
		l := &limits[k]
		if l.Concurrent > 0 && b.inFlight+1 > l.Concurrent {
			return &QuotaError{Limit: *l}
		}
		if l.Window > 0 {
			start := windowStart(nowNS, l.Window)
			var used Amount
			for _, w := range b.windows {
				if w.length == l.Window && w.start == start {
					used = w.used
				}
			}
			if err := refusal(l, &used, &amount, start, nowNS); err != nil {
				return err
			}
		}
	}
	return nil
}

// refusal returns why windowed limit l, whose current window began at start
// and holds used, refuses amount at now; nil if it admits it.
func refusal(l *Limit, used, amount *Amount, start, now int64) *QuotaError {
	if !over(used.Requests, amount.Requests, l.Requests) &&
		!over(used.Tokens, amount.Tokens, l.Tokens) &&
		!(l.USD > 0 && over(used.MicroUSD, amount.MicroUSD, l.microUSD())) {
		return nil
	}
	if over(0, amount.Requests, l.Requests) || over(0, amount.Tokens, l.Tokens) || over(0, amount.MicroUSD, l.microUSD()) {
		return &QuotaError{Limit: *l, TooLarge: true}
	}
	return &QuotaError{Limit: *l, RetryAfter: time.Duration(start + int64(l.Window) - now)}
}

// over reports whether adding add to used passes limit (0: no limit). The
// sum saturates, so a huge amount is over rather than wrapping under.
func over(used, add, limit int64) bool { return limit > 0 && satAdd(used, add) > limit }

// settle replaces reserved by actual in the windows that held at, if they
// are still current, and releases the concurrency slot.
func (b *bucket) settle(reserved, actual Amount, at time.Time) {
	delta := Amount{satSub(actual.Requests, reserved.Requests), satSub(actual.Tokens, reserved.Tokens), satSub(actual.MicroUSD, reserved.MicroUSD)}
	atNS := at.UnixNano()
	b.mu.Lock()
	for i := range b.windows {
		if w := &b.windows[i]; w.start == windowStart(atNS, w.length) {
			w.used = addAmount(w.used, delta)
		}
	}
	if b.inFlight > 0 {
		b.inFlight--
	}
	b.mu.Unlock()
}

func (b *bucket) usage(length time.Duration, now time.Time) (Amount, int64) {
	start := windowStart(now.UnixNano(), length)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range b.windows {
		if w.length == length && w.start == start {
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

// addAmount adds a change d to the counters a: saturating, and never below
// zero, so no reservation or settlement, however large, can turn a counter
// into room for everything after it.
func addAmount(a, d Amount) Amount {
	return Amount{addCount(a.Requests, d.Requests), addCount(a.Tokens, d.Tokens), addCount(a.MicroUSD, d.MicroUSD)}
}

func addCount(n, d int64) int64 { return max(satAdd(n, d), 0) }
