package llmrouter

import (
	"math"
	"time"
)

// quotaPlan is a rule's limits merged by window length, built once when
// the rule is configured: what MemoryQuotaStore checks per reservation
// instead of walking the limits one by one. A reservation is refused by
// the limits exactly when it is refused by the plan, since a count over
// the smaller of two caps is what "over either" means; the plan only
// decides admissions, and a refusal is worked out again limit by limit
// (bucket.admit), which names the limit that refused.
type quotaPlan struct {
	concurrent int64        // the smallest Concurrent cap; 0: none
	windows    []planWindow // one per window length, in the order the limits first name it
}

// planWindow is the caps of every limit with one window length: the
// smallest of each kind, 0 when none caps it. A cap of math.MaxInt64 is
// none too: a saturating count never passes it (see over).
type planWindow struct {
	length                     time.Duration
	requests, tokens, microUSD int64
}

// maxPlanWindows bounds the window lengths a plan merges; a rule with more
// (unheard of) goes limit by limit.
const maxPlanWindows = 4

// planLimits merges limits into a plan, or returns nil when they have more
// than maxPlanWindows window lengths. It reads limits as bucket.admit does:
// a cap of 0 (or a USD cap below a millionth) caps nothing, and a limit
// without a positive Window counts only its concurrency.
func planLimits(limits []Limit) *quotaPlan {
	p := &quotaPlan{}
	for i := range limits {
		l := &limits[i]
		p.concurrent = minCap(p.concurrent, l.Concurrent)
		if l.Window <= 0 {
			continue
		}
		g := 0
		for g < len(p.windows) && p.windows[g].length != l.Window {
			g++
		}
		if g == len(p.windows) {
			if g == maxPlanWindows {
				return nil
			}
			p.windows = append(p.windows, planWindow{length: l.Window})
		}
		w := &p.windows[g]
		w.requests = minCap(w.requests, l.Requests)
		w.tokens = minCap(w.tokens, l.Tokens)
		if l.USD > 0 {
			w.microUSD = minCap(w.microUSD, l.microUSD())
		}
	}
	for g := range p.windows {
		w := &p.windows[g]
		for _, c := range [...]*int64{&w.requests, &w.tokens, &w.microUSD} {
			if *c == math.MaxInt64 {
				*c = 0
			}
		}
	}
	return p
}

// minCap is the smaller of two caps, where 0 (or less) is none.
func minCap(a, b int64) int64 {
	switch {
	case b <= 0:
		return a
	case a <= 0:
		return b
	}
	return min(a, b)
}

// passes reports whether adding add to a window count used passes a plan's
// cap (0: none). It is over(used, add, cap) for what a plan holds: counts
// are never negative (addCount) and caps are below math.MaxInt64, so the
// saturating sum passes the cap exactly when add > cap-used, which cannot
// overflow.
func passes(used, add, cap int64) bool { return cap > 0 && add > cap-used }

// reservePlanned is reserveCounted for limits merged into p
// (planLimits). When every window length of p has a current window, it
// admits amount or not in one check per window length and, if it admits
// it, charges each of those windows once and takes a concurrency slot, as
// admit would. Anything else (a window to add or start again, about once
// per window, or a refusal, which must name its limit) it leaves to admit
// (admitUnlock), having changed nothing.
func (b *bucket) reservePlanned(p *quotaPlan, limits []Limit, amount *Amount, now int64) (err *QuotaError, dead bool, n uint32) {
	n, live := b.lockLive()
	if !live {
		return nil, true, 0
	}
	if !b.admitPlanned(p, amount, now) {
		return b.admitUnlock(limits, amount, now), false, n
	}
	b.mu.Unlock()
	return nil, false, n
}

// admitPlanned is reservePlanned's fast path; it reports false, having
// changed nothing, when admit must decide. The caller holds b.mu.
func (b *bucket) admitPlanned(p *quotaPlan, amount *Amount, now int64) bool {
	ws := b.windows
	if p.concurrent > 0 && b.inFlight+1 > p.concurrent || len(ws) > 64 {
		return false // (past 64 windows admit charges by time, not by limit)
	}
	for g := range p.windows {
		pw := &p.windows[g]
		i := windowIndex(ws, pw.length)
		if i < 0 || !ws[i].holds(now) {
			return false
		}
		if u := &ws[i].used; passes(u.Requests, amount.Requests, pw.requests) ||
			passes(u.Tokens, amount.Tokens, pw.tokens) || passes(u.MicroUSD, amount.MicroUSD, pw.microUSD) {
			return false
		}
	}
	for g := range p.windows {
		u := &ws[windowIndex(ws, p.windows[g].length)].used // u.add(amount), inlined
		u.Requests = addCount(u.Requests, amount.Requests)
		u.Tokens = addCount(u.Tokens, amount.Tokens)
		u.MicroUSD = addCount(u.MicroUSD, amount.MicroUSD)
	}
	b.inFlight++
	return true
}

// windowIndex is the index in ws of the window of the given length, or -1.
func windowIndex(ws []windowCount, length time.Duration) int {
	for i := range ws {
		if ws[i].length == length {
			return i
		}
	}
	return -1
}
