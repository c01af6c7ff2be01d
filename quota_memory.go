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
	_, err := s.reserve(&r, nil, nil)
	if err != nil {
		return err
	}
	return nil
}

// reserve is Reserve returning the bucket reserved in, which stays in the
// store until the reservation is settled (a bucket with a request in
// flight is never swept): the router keeps it in Reservation.held and
// settles it directly.
//
// p, when not nil, is r.Limits merged (planLimits), for the router's rules.
// hint, when not nil, holds the bucket a previous reservation of the same
// rule returned: when it is this store's bucket of r's key, the
// reservation goes straight to it, without hashing the key or taking the
// shard's lock (a bucket's key, hash and shard never change once it is
// filed; one swept since says so under its own lock, dead, and the key is
// looked up as usual). *hint is left the bucket reserved in (nil after a
// refusal).
func (s *MemoryQuotaStore) reserve(r *Reservation, p *quotaPlan, hint **bucket) (*bucket, *QuotaError) {
	now := r.Time.UnixNano()
	if hint != nil {
		if b := *hint; b != nil && b.key.key == r.Key && b.key.rule == r.Rule && b.shard == &s.shards[b.hash&(quotaShards-1)] {
			if held, err, dead := s.reserveIn(b, r, p, now); !dead {
				return held, err
			}
		}
	}
	sh, h := s.locate(r.Key)
	k := bucketKey{r.Rule, r.Key}
	for {
		b := sh.find(h, k)
		if b == nil {
			b = sh.add(h, k, r.Time)
		}
		if held, err, dead := s.reserveIn(b, r, p, now); !dead {
			if hint != nil {
				*hint = held
			}
			return held, err
		}
		// Swept since we found it, and gone from the map: again.
	}
}

// reserveIn reserves r in bucket b of the store (at now, r.Time's Unix
// nanoseconds), returning b, or the refusal; dead when b was swept before
// its lock was taken (nothing reserved).
func (s *MemoryQuotaStore) reserveIn(b *bucket, r *Reservation, p *quotaPlan, now int64) (*bucket, *QuotaError, bool) {
	var err *QuotaError
	var dead bool
	var n uint32
	if p != nil {
		err, dead, n = b.reservePlanned(p, r.Limits, &r.Amount, now)
	} else {
		err, dead, n = b.reserveCounted(r.Limits, &r.Amount, now)
	}
	if dead {
		return nil, nil, true
	}
	if n%sweepEvery == 0 {
		s.sweepAfter(b.hash, n, r.Time)
	}
	if err != nil {
		err.Rule, err.Key = r.Rule, r.Key
		return nil, err, false
	}
	return b, nil, false
}

// sweepAfter sweeps a shard after the n-th reservation (a multiple of
// sweepEvery) of a bucket whose key hashes to h: about one reservation in
// sweepEvery overall, counted under the bucket's lock (a shared counter
// would bounce between cores). The shard moves on each time, from one that
// depends on the key, so that the shards busy tenants hash to are not the
// only ones swept.
//
//go:noinline
func (s *MemoryQuotaStore) sweepAfter(h uint64, n uint32, now time.Time) {
	sw := &s.shards[(uint32(h>>32)+n/sweepEvery)%quotaShards]
	sw.mu.Lock()
	sw.sweep(now, sweepBatch)
	sw.mu.Unlock()
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
	return sh.add(h, k, now)
}

// add is bucket for a key not found under the read lock.
//
//go:noinline
func (sh *quotaShard) add(h uint64, k bucketKey, now time.Time) *bucket {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if b := sh.lookup(h, k); b != nil {
		return b
	}
	sh.sweep(now, sweepOnAdd) // before adding: a new bucket is idle until reserved
	if sh.buckets == nil {
		sh.buckets = map[uint64]*bucket{}
	}
	b := &bucket{key: k, hash: h, next: sh.buckets[h], shard: sh}
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
