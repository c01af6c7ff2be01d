package llmrouter

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
)

// deployment is a catalog entry with its live state: circuit breaker,
// cooldown, calls in flight and its own rate limits. All of it is per
// deployment, so requests to different deployments never contend, and the
// routing path reads it with atomic loads only.
//
// A deployment belongs to one configuration version (Router.Apply); its
// live state is shared by every version that keeps the deployment's name:
// the health (cooldown, calls in flight, statistics) always, the breaker
// while the breaker policy stays the same, the rate-limit counts while the
// limits keep their windows.
type deployment struct {
	Deployment
	provider string // Provider.Name(), read once
	embeds   bool   // Provider is an Embedder

	honorsCtx bool // its provider returns promptly when its context ends
	// ownTimeouts: Deployment.Timeouts sets a field (attemptTimeouts).
	ownTimeouts bool
	// refusedBy and refusal are the first refusal among the router-wide
	// policies that depend on the deployment alone (Router.fixedPolicies
	// of them), answered once in New; "" when they all allow it.
	refusedBy, refusal string

	limits  []Limit // the deployment's RPM and TPM, if any
	limiter *bucket // counts against limits; nil without them
	// shared counts limits fleet-wide instead of limiter, which is then
	// nil (WithSharedDeploymentLimits); nil otherwise.
	shared *sharedLimits

	decay    float64 // of stats, in nanoseconds (WithStatsDecay)
	nameHash uint64  // hashString(Name), for Sticky

	*breakerState // nil fields when the breaker is disabled
	*health
}

// breakerState is a deployment's circuit breaker and its lock-free mirror.
type breakerState struct {
	breaker *gobreaker.TwoStepCircuitBreaker[struct{}] // nil when disabled
	policy  BreakerPolicy                              // with defaults
	// closed mirrors "the breaker is closed", and unsettled counts the
	// failures reported to it since it was last told of a success. While
	// the breaker is closed with nothing unsettled and trips on consecutive
	// failures only, a call skips the breaker (its mutex, its clock reads
	// and its permit): a success would change nothing it counts. Failures
	// are always reported.
	closed    atomic.Bool
	unsettled atomic.Int32
	fastPath  bool   // breaker trips on consecutive failures only
	probes    uint32 // calls the half-open breaker lets through
	// openUntil mirrors the breaker: while it is open, the real-time Unix
	// nanosecond at which it turns half-open; 0 otherwise. The breaker sets
	// it from OnStateChange, which only stores it (no user code runs under
	// the breaker's lock).
	openUntil atomic.Int64
	// onBreakerChange records a breaker transition in metrics; nil
	// without them. Set before any call.
	onBreakerChange func(state int)
}

// health is the rest of a deployment's live state.
type health struct {
	// cooldownUntil is the router-clock Unix nanosecond before which the
	// deployment is skipped after a rate limit.
	cooldownUntil atomic.Int64
	// share publishes a cooldown to other replicas (WithSharedCooldowns).
	share func(name string, until time.Time)
	// inFlight is written twice per call by every core; it sits on a cache
	// line of its own so that those writes do not evict the read-mostly
	// state above and below from the other cores' caches.
	_        [64]byte
	inFlight atomic.Int64
	_        [56]byte
	// throttled counts the deployment's consecutive rate-limited calls; at
	// RetryPolicy.CooldownAfter it cools down for every request.
	throttled atomic.Int32
	// stats are written at the end of every attempt; like inFlight they
	// keep to cache lines of their own.
	_     [64]byte
	stats deploymentStats
}

// newDeployment builds d's entry for one configuration version. prev is
// the entry of the same name in the version before, or nil: its live state
// carries over (see deployment).
func newDeployment(d Deployment, bp BreakerPolicy, prev *deployment) *deployment {
	bp = d.Breaker.over(bp) // the deployment's own settings (Deployment.Breaker)
	_, embeds := d.Provider.(Embedder)
	dep := &deployment{Deployment: d, provider: d.Provider.Name(), honorsCtx: honorsContext(d.Provider), embeds: embeds,
		ownTimeouts: d.Timeouts != Timeouts{}}
	if d.RPM > 0 {
		dep.limits = append(dep.limits, RPM(int64(d.RPM)))
	}
	if d.TPM > 0 {
		dep.limits = append(dep.limits, TPM(int64(d.TPM)))
	}
	if prev != nil {
		dep.health = prev.health
		if prev.breakerState.policy == bp {
			dep.breakerState = prev.breakerState
		}
		if prev.limiter != nil && sameWindows(prev.limits, dep.limits) {
			dep.limiter = prev.limiter
		}
	}
	if dep.health == nil {
		dep.health = &health{}
	}
	if dep.breakerState == nil {
		dep.breakerState = newBreakerState(d.Name, bp)
	}
	if dep.limiter == nil && len(dep.limits) > 0 {
		dep.limiter = &bucket{}
	}
	return dep
}

// sameWindows reports whether two limit lists count the same things over
// the same windows, so that one's counts hold for the other.
func sameWindows(a, b []Limit) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Window != b[i].Window || (a[i].Requests > 0) != (b[i].Requests > 0) || (a[i].Tokens > 0) != (b[i].Tokens > 0) {
			return false
		}
	}
	return true
}

func newBreakerState(name string, bp BreakerPolicy) *breakerState {
	b := &breakerState{policy: bp}
	if bp.Disabled {
		return b
	}
	b.closed.Store(true)
	b.fastPath = bp.FailureRatio == 0
	b.probes = bp.HalfOpenProbes
	b.breaker = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        name,
		MaxRequests: bp.HalfOpenProbes,
		Interval:    bp.Interval,
		Timeout:     bp.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			if c.ConsecutiveFailures >= bp.ConsecutiveFailures || (bp.Failures > 0 && c.TotalFailures >= bp.Failures) {
				return true
			}
			// The ratio is of calls that said something about the
			// deployment: excluded calls (bad requests, rate limits,
			// cancellations) and calls still in flight are left out.
			judged := c.TotalSuccesses + c.TotalFailures
			return bp.FailureRatio > 0 && judged >= bp.MinRequests &&
				float64(c.TotalFailures) >= bp.FailureRatio*float64(judged)
		},
		OnStateChange: func(_ string, _, to gobreaker.State) {
			if f := b.onBreakerChange; f != nil {
				f(int(to)) // a counter's Add: no user code
			}
			b.closed.Store(to == gobreaker.StateClosed)
			if to == gobreaker.StateOpen {
				b.openUntil.Store(time.Now().Add(bp.OpenFor).UnixNano())
			} else {
				b.openUntil.Store(0)
			}
		},
		IsExcluded: func(err error) bool {
			// The router only ever reports *ProviderError (or nil).
			pe, ok := err.(*ProviderError)
			return ok && !countsAgainstBreaker(pe.Kind)
		},
	})
	return b
}

// countsAgainstBreaker reports whether a failure of kind k says something
// about the deployment's health. Rate limits cool it down instead; the rest
// are about the request or the caller.
func countsAgainstBreaker(k Kind) bool {
	switch k {
	case KindRateLimited, KindCanceled, KindBadRequest, KindContentPolicy, KindContextLength:
		return false
	}
	return true
}

// unavailable says why the deployment cannot take a call now, or "" if it
// can, and until when (router-clock nanoseconds; 0 when no wait helps).
func (d *deployment) unavailable(now int64) (reason string, until int64) {
	if d.breakerOpen() {
		return "circuit breaker open", 0
	}
	if t := d.cooldownUntil.Load(); now < t {
		return "cooling down after a rate limit", t
	}
	if d.MaxConcurrency > 0 && d.inFlight.Load() >= int64(d.MaxConcurrency) {
		return "at its concurrency limit", 0
	}
	return "", 0
}

// breakerOpen reports whether the breaker keeps the deployment out now
// (open, and not yet due to turn half-open; breakers keep real time).
func (d *deployment) breakerOpen() bool {
	t := d.openUntil.Load()
	return t != 0 && time.Now().UnixNano() < t
}

// coolDown skips the deployment until the router-clock time until, unless a
// later cooldown is already set.
func (d *deployment) coolDown(until int64) {
	if d.raiseCooldown(until) && d.share != nil {
		d.share(d.Name, time.Unix(0, until))
	}
}

// raiseCooldown extends the cooldown to until; it reports whether it did.
func (d *deployment) raiseCooldown(until int64) bool {
	for {
		cur := d.cooldownUntil.Load()
		if until <= cur {
			return false
		}
		if d.cooldownUntil.CompareAndSwap(cur, until) {
			return true
		}
	}
}

// acquire takes a call slot: a breaker permit, a concurrency slot and the
// deployment's own rate limits for tokens. It returns the breaker's done
// callback (nil on the breaker's fast path; settleBreaker takes either),
// or why the deployment cannot be called and until when.
func (d *deployment) acquire(tokens int64, now time.Time) (done func(error), reason string, until int64) {
	if d.MaxConcurrency > 0 {
		if d.inFlight.Add(1) > int64(d.MaxConcurrency) {
			d.inFlight.Add(-1)
			return nil, "at its concurrency limit", 0
		}
	} else {
		d.inFlight.Add(1)
	}
	if d.limiter != nil {
		if qe, _ := d.limiter.reserve(d.limits, Amount{Requests: 1, Tokens: tokens}, now); qe != nil {
			d.inFlight.Add(-1)
			reason, until := limitRefusal(qe, now, tokens)
			return nil, reason, until
		}
	}
	if d.breaker != nil && !(d.fastPath && d.closed.Load() && d.unsettled.Load() == 0) {
		var err error
		if done, err = d.breaker.Allow(); err != nil {
			d.refund(tokens, now)
			if errors.Is(err, gobreaker.ErrTooManyRequests) {
				return nil, "circuit breaker half-open, probe in flight", 0
			}
			return nil, "circuit breaker open", 0
		}
	}
	return done, "", 0
}

// wouldAcquire says whether acquire would take a call slot for tokens at
// now, and if not why and until when, as acquire would say it; it takes
// nothing and changes no count. Plan uses it, so that the deployments it
// calls eligible are those a request would call. (Reading the breaker's
// state may move it from open to half-open when its time is up, as any call
// would.)
func (d *deployment) wouldAcquire(tokens int64, now time.Time) (reason string, until int64) {
	if d.MaxConcurrency > 0 && d.inFlight.Load() >= int64(d.MaxConcurrency) {
		return "at its concurrency limit", 0
	}
	if d.limiter != nil {
		if qe := d.limiter.check(d.limits, Amount{Requests: 1, Tokens: tokens}, now); qe != nil {
			return limitRefusal(qe, now, tokens)
		}
	}
	if d.breaker != nil {
		switch d.breaker.State() {
		case gobreaker.StateOpen:
			return "circuit breaker open", 0
		case gobreaker.StateHalfOpen:
			if c := d.breaker.Counts(); c.Requests >= c.TotalExclusions && c.Requests-c.TotalExclusions >= max(d.probes, 1) {
				return "circuit breaker half-open, probe in flight", 0
			}
		}
	}
	return "", 0
}

// limitRefusal says why a deployment's own limit refuses a call that
// reserves tokens, and until when (0 when waiting cannot help: the call
// alone exceeds the limit).
func limitRefusal(qe *QuotaError, now time.Time, tokens int64) (reason string, until int64) {
	if qe.TooLarge {
		if qe.Limit.Tokens > 0 && tokens > qe.Limit.Tokens {
			return tooLargeForTPM(tokens, qe.Limit), 0
		}
		return "request exceeds its own " + qe.Limit.String() + " limit", 0
	}
	return "at its " + qe.Limit.String() + " limit", now.Add(qe.RetryAfter).UnixNano()
}

// release returns the call slot taken by acquire at time at, charging the
// call's actual tokens to the deployment's own limits in place of the
// reserved estimate.
func (d *deployment) release(reserved, actual int64, at time.Time) {
	d.inFlight.Add(-1)
	if d.limiter != nil {
		d.limiter.settle(Amount{Requests: 1, Tokens: reserved}, Amount{Requests: 1, Tokens: actual}, at)
	}
}

// refund returns a call slot that was never used.
func (d *deployment) refund(reserved int64, at time.Time) {
	d.inFlight.Add(-1)
	if d.limiter != nil {
		d.limiter.settle(Amount{Requests: 1, Tokens: reserved}, Amount{}, at)
	}
}

// steer cools the deployment down until its announced reset when a
// provider says its headroom is gone, so the next request goes elsewhere
// before it meets a 429. No announced reset holds it longer than maxWait.
func (d *deployment) steer(rl *RateLimit, now time.Time, maxWait time.Duration) {
	if rl == nil {
		return
	}
	if rl.RemainingRequests == 0 && rl.ResetRequests > 0 {
		d.coolDown(now.Add(min(rl.ResetRequests, maxWait)).UnixNano())
	}
	if rl.RemainingTokens == 0 && rl.ResetTokens > 0 {
		d.coolDown(now.Add(min(rl.ResetTokens, maxWait)).UnixNano())
	}
}

// settleBreaker tells the breaker how a call went. done is the permit
// acquire took, or nil when the call took the fast path; a failure on the
// fast path is reported with a permit taken now.
func (d *deployment) settleBreaker(done func(error), pe *ProviderError) {
	if d.breaker == nil {
		return
	}
	switch {
	case done != nil && pe == nil:
		done(nil)
		if d.unsettled.Load() != 0 {
			d.unsettled.Store(0)
		}
	case done != nil:
		done(pe)
		if countsAgainstBreaker(pe.Kind) {
			d.unsettled.Add(1)
		}
	case pe != nil && countsAgainstBreaker(pe.Kind):
		if late, err := d.breaker.Allow(); err == nil {
			late(pe)
		}
		d.unsettled.Add(1)
	}
}
