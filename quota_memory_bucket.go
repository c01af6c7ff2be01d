package llmrouter

import (
	"sync"
	"time"
)

// bucket holds one key's counters: one per distinct window length, plus the
// requests in flight. It also backs each deployment's own RPM/TPM limits.
//
// b.mu guards arithmetic only: no user code runs and nothing can panic
// under it, so it is released without a defer, and errors are built after
// it is released.
type bucket struct {
	mu       sync.Mutex
	windows  []windowCount
	inFlight int64
	reserves uint32 // reservations seen, for the sweep's pace
	dead     bool   // swept: reservers must fetch a fresh bucket

	// In a MemoryQuotaStore (unused by deployments): the bucket's key, its
	// hash and its shard, set when it is filed and never changed, and
	// (under the shard's lock) the next bucket filed under the same hash.
	key   bucketKey
	hash  uint64
	next  *bucket
	shard *quotaShard // the shard it is filed in, so its store
}

// windowCount is what one window of a given length holds. Limits of the
// same length (an RPM and a TPM) share it: it is found once per limit by
// its length, and charged once per reservation.
type windowCount struct {
	length time.Duration
	start  int64 // Unix nanoseconds of the window's start (windowStart)
	// first and last bound the times the window holds, in Unix
	// nanoseconds: windowStart(t, length) == start exactly when
	// first <= t <= last, so placing a time takes two comparisons instead
	// of a division.
	first, last int64
	used        Amount
}

// windowStart is the start of the window of the given length holding the
// time n (Unix nanoseconds).
func windowStart(n int64, length time.Duration) int64 {
	return n - n%int64(length)
}

// holds reports whether the time t (Unix nanoseconds) is in w.
func (w *windowCount) holds(t int64) bool { return w.first <= t && t <= w.last }

// begin makes w the window of its length that holds now, empty. (Before
// 1970, windowStart rounds towards zero: the window starting at 0 holds
// the times on both sides of it, and one starting before 0 ends at its
// start.)
//
//go:noinline
func (w *windowCount) begin(now int64) {
	l := int64(w.length)
	start := windowStart(now, w.length)
	w.start, w.used = start, Amount{}
	switch {
	case start > 0:
		w.first, w.last = start, satAdd(start, l-1)
	case start == 0:
		w.first, w.last = 1-l, l-1
	default:
		w.first, w.last = satSub(start, l-1), start
	}
}

// addWindow adds a window of a length b has no counter for yet, holding
// now, and returns its index. The caller holds b.mu.
//
//go:noinline
func (b *bucket) addWindow(length time.Duration, now int64) int {
	b.windows = append(b.windows, windowCount{length: length})
	b.windows[len(b.windows)-1].begin(now)
	return len(b.windows) - 1
}

// reserve admits amount against limits, atomically. It reports dead when the
// bucket was swept and the caller must use a fresh one.
func (b *bucket) reserve(limits []Limit, amount Amount, now time.Time) (err *QuotaError, dead bool) {
	err, dead, _ = b.reserveCounted(limits, &amount, now.UnixNano())
	return err, dead
}

// reserveCounted is reserve at now (Unix nanoseconds), also returning how
// many reservations the bucket has seen, this one included (0 when dead).
func (b *bucket) reserveCounted(limits []Limit, amount *Amount, now int64) (err *QuotaError, dead bool, n uint32) {
	n, live := b.lockLive()
	if !live {
		return nil, true, 0
	}
	return b.admitUnlock(limits, amount, now), false, n
}

// lockLive locks b and counts a reservation, returning the count; for a
// bucket swept meanwhile (dead) it leaves b unlocked and reports false.
func (b *bucket) lockLive() (n uint32, live bool) {
	b.mu.Lock()
	if b.dead {
		b.mu.Unlock()
		return 0, false
	}
	b.reserves++
	return b.reserves, true
}

// admitUnlock is admit, then releases b.mu and builds the error of the
// limit that refused, if one did. The caller holds b.mu.
func (b *bucket) admitUnlock(limits []Limit, amount *Amount, now int64) *QuotaError {
	k, start, windowed := b.admit(limits, amount, now)
	b.mu.Unlock()
	if k < 0 {
		return nil
	}
	return refused(&limits[k], amount, start, now, windowed)
}

// admit charges amount to the current window of every length in limits,
// once per window however many limits count in it, and takes a
// concurrency slot. Each limit finds the window of its length, starting a
// new one when the last has ended (admitted or not). If a limit refuses,
// admit charges nothing and returns the first that does (-1 when none):
// its index, and whether its window (which began at start) refused rather
// than its concurrency. The caller holds b.mu.
func (b *bucket) admit(limits []Limit, amount *Amount, now int64) (k int, start int64, windowed bool) {
	var current uint64 // bit i: b.windows[i] is current and a limit counts in it
	for k := range limits {
		l := &limits[k]
		if l.Concurrent > 0 && b.inFlight+1 > l.Concurrent {
			return k, 0, false
		}
		if l.Window <= 0 {
			continue
		}
		i := windowIndex(b.windows, l.Window)
		if i < 0 {
			i = b.addWindow(l.Window, now)
		}
		w := &b.windows[i]
		if !w.holds(now) {
			w.begin(now)
		}
		if refuses(l, &w.used, amount) {
			return k, w.start, true
		}
		current |= 1 << (i & 63) // past 64 windows: see below
	}
	for i := range b.windows {
		if w := &b.windows[i]; i < 64 && current&(1<<i) != 0 || i >= 64 && w.holds(now) {
			w.used.add(amount)
		}
	}
	b.inFlight++
	return -1, 0, false
}

// check says whether reserve would admit amount against limits at now,
// without reserving anything or starting a window.
func (b *bucket) check(limits []Limit, amount Amount, now time.Time) *QuotaError {
	nowNS := now.UnixNano()
	b.mu.Lock()
	k, start, windowed := b.wouldAdmit(limits, &amount, nowNS)
	b.mu.Unlock()
	if k < 0 {
		return nil
	}
	return refused(&limits[k], &amount, start, nowNS, windowed)
}

// wouldAdmit is admit changing nothing. The caller holds b.mu.
func (b *bucket) wouldAdmit(limits []Limit, amount *Amount, now int64) (k int, start int64, windowed bool) {
	for k := range limits {
		l := &limits[k]
		if l.Concurrent > 0 && b.inFlight+1 > l.Concurrent {
			return k, 0, false
		}
		if l.Window > 0 {
			var used Amount
			for i := range b.windows {
				if w := &b.windows[i]; w.length == l.Window && w.holds(now) {
					used = w.used
				}
			}
			if refuses(l, &used, amount) {
				return k, windowStart(now, l.Window), true
			}
		}
	}
	return -1, 0, false
}

// refuses reports whether windowed limit l, whose current window holds
// used, refuses amount.
func refuses(l *Limit, used, amount *Amount) bool {
	return over(used.Requests, amount.Requests, l.Requests) ||
		over(used.Tokens, amount.Tokens, l.Tokens) ||
		l.USD > 0 && over(used.MicroUSD, amount.MicroUSD, l.microUSD())
}

// refused is the error for limit l refusing amount at now: by its
// concurrency, or (windowed) by its window, which began at start.
//
//go:noinline
func refused(l *Limit, amount *Amount, start, now int64, windowed bool) *QuotaError {
	switch {
	case !windowed:
		return &QuotaError{Limit: *l}
	case over(0, amount.Requests, l.Requests) || over(0, amount.Tokens, l.Tokens) || over(0, amount.MicroUSD, l.microUSD()):
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
	b.settleAt(&reserved, &actual, at.UnixNano())
}

// settleAt is settle at a time in Unix nanoseconds.
func (b *bucket) settleAt(reserved, actual *Amount, at int64) {
	delta := Amount{satSub(actual.Requests, reserved.Requests), satSub(actual.Tokens, reserved.Tokens), satSub(actual.MicroUSD, reserved.MicroUSD)}
	b.mu.Lock()
	for i := range b.windows {
		if u := &b.windows[i].used; b.windows[i].holds(at) { // u.add(&delta), inlined
			if delta.Requests != 0 { // as reserved, the usual case
				u.Requests = addCount(u.Requests, delta.Requests)
			}
			u.Tokens = addCount(u.Tokens, delta.Tokens)
			u.MicroUSD = addCount(u.MicroUSD, delta.MicroUSD)
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

// add adds a change d to the counters a: saturating, and never below zero,
// so no reservation or settlement, however large, can turn a counter into
// room for everything after it.
func (a *Amount) add(d *Amount) {
	a.Requests = addCount(a.Requests, d.Requests)
	a.Tokens = addCount(a.Tokens, d.Tokens)
	a.MicroUSD = addCount(a.MicroUSD, d.MicroUSD)
}

func addCount(n, d int64) int64 { return max(satAdd(n, d), 0) }
