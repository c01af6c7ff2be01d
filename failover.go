package llmrouter

import (
	"context"
	"math"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Failover: the loop shared by Chat and ChatStream. next picks the member to
// call (the one to retry, or the best usable candidate of the first tier
// that has one), rechecking every policy first; the attempt runs; failed
// acts on the failure's class. The router never looks at anything but the
// class, the kind and RetryAfter of a *ProviderError.

// spentTries marks a route member that must not be called again for this
// request (it failed over, or its attempts are used up).
const spentTries = math.MaxUint8

// maxWaits bounds how often one request sleeps waiting for a cooling
// deployment, so that a deployment throttling every call cannot hold a
// request forever.
const maxWaits = 3

// chat runs a non-streaming request to its end.
func (c *call) chat() (*Response, error) { return runAttempts(c, c.attemptChat, c.attemptHedged) }

// runAttempts runs a non-streaming request (chat or embeddings) to its
// end: prepare, then pick, attempt and decide until an answer or an error.
// hedged, when not nil, makes a hedged attempt for routes that hedge.
func runAttempts[T any](c *call, attempt func(int) (*T, *ProviderError), hedged func(int) (*T, int, *ProviderError, error)) (*T, error) {
	if err := c.prepare(); err != nil {
		return nil, err
	}
	for {
		i, err := c.next()
		if err != nil {
			return nil, err
		}
		var resp *T
		var pe *ProviderError
		if hedged != nil && c.hedges(i) {
			if resp, i, pe, err = hedged(i); err != nil {
				return nil, err
			}
		} else {
			resp, pe = attempt(i)
		}
		if pe == nil {
			return resp, nil
		}
		if err := c.failed(i, pe); err != nil {
			return nil, err
		}
	}
}

// spent reports whether route member i may not be called again.
func (c *call) spent(i int) bool {
	t := c.tries[i]
	return t == spentTries || int(t) >= c.r.retry.AttemptsPerDeployment
}

// next returns the route member to call, holding a call slot on it (in
// c.held), or the error that ends the request.
//
// It looks at the route in tier order twice: first for candidates this
// request has not called yet, then, when none is usable, for those it may
// call again (a retry, after the request's backoff and within the retry
// budget). So a transient failure moves to the next deployment at once, and
// the request backs off only when every candidate has failed. Within a
// tier, the route's Strategy picks among the usable candidates.
func (c *call) next() (int, error) {
	if c.attempts == 0 && c.waits == 0 && c.fallbacks == 0 && !c.hedgePick && c.allOpen() && c.req.Prefer == nil && c.rt.weighted {
		if i, ok := c.firstPick(); ok {
			return i, nil
		}
	}
	for {
		if c.ctx.Err() != nil {
			return -1, c.ctxError()
		}
		if c.attempts >= c.maxAttempts() {
			return -1, c.routeError(ErrNoRoute)
		}
		now := c.start // the first pass follows prepare at once
		if c.attempts > 0 || c.waits > 0 || c.fallbacks > 0 {
			now = c.now()
		}
		var wakeAt int64 // earliest time a skipped candidate may be usable
		// The default strategy picks by the members' weights alone: no
		// Candidates to build, no user code to guard.
		builtin := c.req.Prefer == nil && c.rt.weighted
		for pass := 0; pass < 2 && !(pass == 1 && c.hedgePick); pass++ {
			retrying := pass == 1
			members, tierOf := c.rt.members, c.rt.tierOf
			for lo, hi := 0, 0; lo < len(members); lo = hi {
				// Members are in tier order: [lo, hi) is one tier.
				for hi = lo + 1; hi < len(members) && tierOf[hi] == tierOf[lo]; hi++ {
				}
				cands, idx := c.pickBuf[:0], c.idxBuf[:0]
				nowNS := now.UnixNano()
				c.pickNow = nowNS
				cr := c.rec.Candidates[len(c.rec.Candidates)-len(members):]
				for i := lo; i < hi; i++ {
					d := members[i]
					if (c.tries[i] > 0) != retrying || c.spent(i) || cr[i].Status == CandidateRefused {
						continue
					}
					if c.minWindow > 0 && d.ContextWindow != 0 && d.ContextWindow <= c.minWindow {
						c.skip(i, "context window too small for the request")
						continue
					}
					if h := c.hold[i]; h > nowNS {
						c.skip(i, "asked to retry later")
						wakeAt = earliest(wakeAt, h)
						continue
					}
					if reason, until := d.unavailable(nowNS); reason != "" {
						c.skip(i, reason)
						wakeAt = earliest(wakeAt, until)
						continue
					}
					if !builtin {
						cands = append(cands, Candidate{Deployment: &d.Deployment, InFlight: d.inFlight.Load(), c: c})
					}
					idx = append(idx, int32(i))
				}
				for len(idx) > 0 {
					k := 0
					if len(idx) > 1 {
						var pe *PanicError
						if builtin {
							k = c.rt.pickWeighted(idx)
						} else if k, pe = safePick(c.strategy(), c.req, cands); pe != nil {
							return -1, c.routeError(pe)
						}
					}
					i := int(idx[k])
					if retrying {
						ok, err := c.backOff(i)
						if err != nil {
							return -1, err
						}
						if ok {
							now = c.now()
						}
						if ok && c.try(i, now) {
							return i, nil
						}
					} else if c.try(i, now) {
						return i, nil
					}
					if u := c.until; u > 0 {
						wakeAt = earliest(wakeAt, u)
					}
					if !builtin {
						cands = append(cands[:k], cands[k+1:]...)
					}
					idx = append(idx[:k], idx[k+1:]...)
				}
			}
		}
		if c.hedgePick {
			return -1, errNoHedge
		}
		if err := c.waitFor(wakeAt, now); err != nil {
			return -1, err
		}
	}
}

// firstPick is next's usual first pick: the first attempt of a request
// whose route members prepare allowed unchecked (allOpen), by the default
// strategy. When every member of the first tier is available it picks
// among them and takes a call slot; otherwise (or when the slot is refused)
// it reports false, and next looks at the route the long way, recording
// why members were passed over.
func (c *call) firstPick() (int, bool) {
	rt := c.rt
	if len(rt.firstTier) == 0 || c.ctx.Err() != nil {
		return 0, false
	}
	nowNS := c.start.UnixNano()
	for _, d := range rt.members[:len(rt.firstTier)] {
		if reason, _ := d.unavailable(nowNS); reason != "" {
			return 0, false
		}
	}
	c.pickNow = nowNS
	i := 0
	if len(rt.firstTier) > 1 {
		i = rt.pickWeighted(rt.firstTier)
	}
	return i, c.try(i, c.start)
}

// backOff waits the request's next backoff before member i is called
// again. It reports false, leaving the member, when the retry budget is
// spent or the wait would not fit; it returns an error when the request's
// context ends meanwhile.
func (c *call) backOff(i int) (bool, error) {
	if !c.r.budget.allow() {
		c.skip(i, "retry budget exhausted")
		c.budgetOut = true
		return false, nil
	}
	if c.hold[i] != 0 {
		// The provider said when to come back, and that time has come:
		// its Retry-After was the wait.
		c.hold[i] = 0
		return true, nil
	}
	if c.bo == nil {
		c.bo = backoff.NewExponentialBackOff(
			backoff.WithInitialInterval(c.r.retry.InitialBackoff),
			backoff.WithMaxInterval(c.r.retry.MaxBackoff),
			backoff.WithMultiplier(2),
			backoff.WithRandomizationFactor(0.5),
			backoff.WithMaxElapsedTime(0),
		)
	}
	wait := c.bo.NextBackOff()
	if wait > c.r.retry.MaxWait || !c.fits(wait) {
		c.tries[i] = spentTries
		c.skip(i, "backoff would outlast the deadline")
		return false, nil
	}
	if c.r.sleep(c.ctx, wait) != nil {
		return false, c.ctxError()
	}
	return true, nil
}

// try rechecks every policy for member i (unless prepare has just checked
// them, for the first attempt) and takes a call slot on it. On refusal it
// records why, and c.until says when the member may be usable.
func (c *call) try(i int, now time.Time) bool {
	d := c.rt.members[i]
	c.until = 0
	// prepare checked every policy a moment ago; from the second attempt
	// on (and after any wait), check them again.
	if c.attempts > 0 || c.waits > 0 {
		if policy, reason, ok := c.allows(d); !ok {
			cr := c.cand(i)
			cr.Status, cr.Policy, cr.Reason = CandidateRefused, policy, reason
			return false
		}
	}
	tokens := satAdd(int64(c.estInput), int64(c.estOutput))
	reserved := tokens
	if d.shared != nil {
		var reason string
		if reserved, reason, c.until = d.shared.reserve(c.ctx, c.rec.RequestID, tokens, now); reason != "" {
			c.skip(i, reason)
			return false
		}
	}
	done, reason, until := d.acquire(tokens, now)
	if reason != "" {
		if d.shared != nil {
			d.shared.cancel(reserved)
		}
		c.skip(i, reason)
		c.until = until
		return false
	}
	c.held = slot{d: d, done: done, at: now, reserved: reserved}
	return true
}

// skip records that member i was passed over, unless it was already tried.
func (c *call) skip(i int, reason string) {
	cr := c.cand(i)
	if cr.Status == CandidateUnused || cr.Status == CandidateSkipped {
		cr.Status, cr.Reason = CandidateSkipped, reason
	}
}

func earliest(a, b int64) int64 {
	if b > 0 && (a == 0 || b < a) {
		return b
	}
	return a
}

// waitFor sleeps until the router-clock time wakeAt when no candidate is
// usable now but one will be then, within RetryPolicy.MaxWait and the
// request's deadline. It returns the error that ends the request when
// waiting cannot help.
func (c *call) waitFor(wakeAt int64, now time.Time) error {
	if c.budgetOut {
		return c.routeError(ErrRetryBudget)
	}
	if wakeAt == 0 || c.waits >= maxWaits {
		return c.noRoute()
	}
	wait := time.Duration(wakeAt - now.UnixNano())
	if wait > c.r.retry.MaxWait || !c.fits(wait) {
		return c.noRoute()
	}
	c.waits++
	if c.r.sleep(c.ctx, wait) != nil {
		return c.ctxError()
	}
	return nil
}

// fits reports whether waiting for d leaves the request's deadline ahead.
func (c *call) fits(d time.Duration) bool {
	dl, ok := c.ctx.Deadline()
	return !ok || time.Until(dl) > d
}

// failed acts on a failed attempt of member i. It returns the error that
// ends the request, or nil to go on.
func (c *call) failed(i int, pe *ProviderError) error {
	d := c.rt.members[i]
	c.failures = append(c.failures, pe)
	if c.parent.Err() != nil || pe.Kind == KindCanceled {
		return c.ctxError()
	}
	if pe.Kind == KindRateLimited || pe.RetryAfter > 0 {
		// The provider asked for a pause. This request leaves the
		// deployment alone until then and tries others meanwhile (next
		// waits only when nothing else can serve); after CooldownAfter
		// throttled calls in a row, the deployment cools down for every
		// request.
		wait := min(pe.RetryAfter, c.r.retry.MaxRetryAfter)
		if wait <= 0 {
			wait = c.r.retry.Cooldown
		}
		until := c.now().Add(wait).UnixNano()
		c.hold[i] = until
		if pe.Kind == KindRateLimited && int(d.throttled.Add(1)) >= c.r.retry.CooldownAfter {
			d.coolDown(until)
		}
	}
	if c.endsRouteOn(pe.Kind) { // Route.FallbackOn
		return nil
	}
	if c.fallsBackOnRefusal(i, pe) {
		return nil
	}
	end, retry := c.retryBound(pe) // RetryPolicy.RouteAttempts, RetriesPerKind
	if end {
		c.endRoute()
		return nil
	}
	if pe.Kind == KindContextLength {
		c.tries[i] = spentTries
		if d.ContextWindow > c.minWindow {
			c.minWindow = d.ContextWindow
		}
		return nil
	}
	switch pe.EffectiveClass() {
	case ClassStop:
		if retry {
			return nil // its kind has retries left on this route
		}
		return c.routeError(pe)
	case ClassFailover:
		c.tries[i] = spentTries
		return nil
	}
	// ClassRetry: the deployment may be called again, after the others
	// (next backs off first).
	return nil
}

// ctxError is the error ending a request whose context is done: the
// caller's, or the router's total timeout.
func (c *call) ctxError() error {
	if err := c.parent.Err(); err != nil {
		return c.routeError(err)
	}
	return c.routeError(context.DeadlineExceeded)
}
