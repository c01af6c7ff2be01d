package llmrouter

import (
	"context"
	"errors"
	"slices"
	"time"
)

// The permit of a request: every slot it holds while it runs, taken in one
// place and released in one place, exactly once, on every path (success,
// failure, a panic in user code, an abandoned stream, a provider that
// ignores its context):
//
//   - its quota reservations (tokens, USD, requests, and a tenant's
//     concurrency slot), taken by admit and returned by settleQuota;
//   - the call slot of the attempt in flight on one deployment (its
//     in-flight count, its own RPM/TPM, its breaker permit), taken by try
//     and returned by slot.release; a hedged request has two attempts in
//     flight for a while, the first one's slot kept in hedgeState.spare.
//
// finish calls releaseAll, so a request that ends in any way releases what
// it still holds.

// permit is what a request holds.
type permit struct {
	res  []Reservation // quota reservations, one per rule that applies
	held slot          // the call slot of the attempt in flight
	// orphans: an attempt was abandoned while its provider may still bill
	// for it (a provider ignoring its context, or a hedge stopped because
	// the other attempt answered first).
	orphans bool
}

// slot is a call slot on one deployment, taken by deployment.acquire.
type slot struct {
	d    *deployment
	done func(error) // breaker permit; nil on the breaker's fast path
	at   time.Time   // when it was taken
	// reserved is the tokens reserved against the deployment's limits, or
	// with limits shared through a store (d.shared) the handle of the
	// call's claim on them. (One field for both keeps the pooled call in
	// its size class.)
	reserved int64
}

// release returns the slot, telling the breaker how the call went (pe nil
// for success) and charging actual tokens in place of the reservation. It
// does nothing for a slot already released.
func (s *slot) release(pe *ProviderError, actual int64) {
	d := s.d
	if d == nil {
		return
	}
	d.settleBreaker(s.done, pe)
	d.release(s.reserved, actual, s.at)
	if d.shared != nil {
		d.shared.settle(s.reserved, actual)
	}
	*s = slot{}
}

// settleTimeout bounds each quota store call made after the request's
// context has ended (refunds and settlements), so that a store that honours
// its context still gets them.
const settleTimeout = 2 * time.Second

// admit reserves the request's estimate in every quota rule that applies.
// On failure it refunds what it had reserved (settleQuota with nothing
// used).
func (c *call) admit() error {
	if c.r.quota == nil {
		return nil
	}
	amount := Amount{Requests: 1, Tokens: satAdd(int64(c.estInput), int64(c.estOutput)), MicroUSD: c.estMicroUSD}
	mem, _ := c.r.quota.(*MemoryQuotaStore)
	rules := c.r.quotaRules
	for i := range rules {
		rule := &rules[i]
		var key string
		if rule.ownKey {
			key = rule.Key(c.req) // the library's own: cannot panic
		} else {
			var pe *PanicError
			if key, pe = safeKey(&rule.QuotaRule, c.req); pe != nil {
				return c.notAdmitted(pe, false)
			}
		}
		if key == "" {
			continue
		}
		// Filled in place: a Reservation literal would be built on the
		// stack and copied.
		n := len(c.res)
		c.res = slices.Grow(c.res, 1)[:n+1]
		res := &c.res[n]
		res.ID, res.Rule, res.Key, res.Limits = c.rec.RequestID, rule.Name, key, rule.Limits
		res.Amount, res.Time, res.held = amount, c.start, nil
		if mem == nil {
			if err := c.reserveInStore(res); err != nil {
				return c.notAdmitted(err, true)
			}
			continue
		}
		// The router's own store: no user code to guard, and the bucket
		// is kept for settling.
		var hint **bucket // where the bucket of this rule's last reservation is kept
		if i < len(c.lastBuckets) {
			hint = &c.lastBuckets[i]
		}
		var qe *QuotaError
		if res.held, qe = mem.reserve(res, rule.plan, hint); qe != nil {
			return c.notAdmitted(qe, true)
		}
	}
	return nil
}

// reserveInStore is admit's reservation in a store other than the router's
// own memory store: user code, guarded.
func (c *call) reserveInStore(res *Reservation) error {
	return safeReserve(c.ctx, c.r.quota, *res)
}

// notAdmitted ends admit when a rule's key panicked or, failed true, a
// reservation failed (the last in c.res, which is dropped): it refunds what
// was reserved and returns the request's error, a refusal (*QuotaError) as
// it is and anything else as a RouteError for errQuotaStore.
func (c *call) notAdmitted(err error, failed bool) error {
	if failed {
		c.res[len(c.res)-1] = Reservation{}
		c.res = c.res[:len(c.res)-1]
	}
	c.settleQuota() // nothing used yet: refunds what was reserved
	var qe *QuotaError
	if errors.As(err, &qe) {
		return err
	}
	return &RouteError{Route: c.req.Model, Err: errors.Join(errQuotaStore, err)}
}

var errQuotaStore = errors.New("llmrouter: quota store failed")

// settleQuota settles every reservation with the request's actual usage,
// refunding requests that consumed nothing. When usage is only an estimate
// (a stream cut, closed or abandoned before the provider reported it, or an
// attempt abandoned by a provider that ignored its context), it charges at
// least what was reserved.
func (c *call) settleQuota() {
	if len(c.res) == 0 {
		return
	}
	u := &c.rec.Usage // u.Total(), without the copy of Usage an inlined value receiver makes:
	actual := Amount{Requests: 1, Tokens: int64(satAddInt(u.InputTokens, u.OutputTokens)), MicroUSD: toMicroUSD(c.cost)}
	others := false
	for i := range c.res {
		res := &c.res[i]
		b := res.held
		if b == nil {
			others = true // in a store of the user's: settleInStore, below
			continue
		}
		settled, _ := c.settlement(res, &actual)
		b.settleAt(&res.Amount, &settled, res.Time.UnixNano())
		res.ID, res.Key, res.held = "", "", nil // the request's own; the rest is the router's
	}
	if others {
		c.settleInStore(&actual)
	}
	c.res = c.res[:0]
}

// settlement is what settleQuota settles res with, given the request's
// actual usage; used is false for a refund (nothing used), which is Amount{}.
func (c *call) settlement(res *Reservation, actual *Amount) (a Amount, used bool) {
	switch {
	case actual.Tokens == 0 && !c.orphans:
		return Amount{}, false
	case c.rec.Usage.Estimated || c.orphans:
		return Amount{Requests: 1, Tokens: max(actual.Tokens, res.Amount.Tokens), MicroUSD: max(actual.MicroUSD, res.Amount.MicroUSD)}, true
	}
	return *actual, true
}

// settleInStore is settleQuota for the reservations in a store other than
// the router's own memory store: through the QuotaStore interface, user
// code guarded, with a context that outlives the request's.
func (c *call) settleInStore(actual *Amount) {
	ctx, cancel := c.settleContext()
	defer cancel()
	for i := range c.res {
		res := &c.res[i]
		if res.held != nil {
			continue
		}
		settled, used := c.settlement(res, actual)
		if used {
			safeSettle(ctx, c.r.quota, *res, &settled)
		} else {
			safeSettle(ctx, c.r.quota, *res, nil) // a refund: Cancel
		}
		res.ID, res.Key = "", ""
	}
}

// contextFree is implemented by quota stores that never read their
// context (the memory store), so settling needs no detached context.
type contextFree interface{ ignoresContext() }

func (*MemoryQuotaStore) ignoresContext() {}

// settleContext is the context for settling and refunding quota in a
// store other than the router's own memory store (which takes no context):
// one detached from the request's cancellation (keeping its values) with a
// short deadline of its own, since the request's may have ended.
func (c *call) settleContext() (context.Context, context.CancelFunc) {
	ctx := c.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}

// releaseAll returns whatever the request still holds when it ends: the
// call slot of an attempt interrupted by a panic, and its quota.
func (c *call) releaseAll(err error) {
	for _, s := range [...]*slot{&c.held, c.spareSlot()} {
		if s != nil && s.d != nil {
			pe := &ProviderError{Provider: s.d.provider, Deployment: s.d.Name, Kind: KindPanic,
				Message: "attempt interrupted", Err: err}
			s.release(pe, 0)
		}
	}
	c.settleQuota()
}

// spareSlot is the slot of a hedged request's other attempt, while both
// are in flight; nil otherwise.
func (c *call) spareSlot() *slot {
	if c.hedging == nil {
		return nil
	}
	return &c.hedging.spare
}
