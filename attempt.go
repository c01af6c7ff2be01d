package llmrouter

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// An attempt is one call to one deployment: its span, its call slot (held
// in c.held from try until endAttempt), its record. Chat and streams share
// begin and end; only what happens in between differs.

// attemptChat makes one non-streaming call to member i. It returns the
// answer, or the attempt's classified error.
func (c *call) attemptChat(i int) (*Response, *ProviderError) {
	var f chatFlight
	c.launchChat(i, &f, false)
	if f.d.honorsCtx {
		f.resp, f.err = safeChat(f.ctx, f.d, c.req)
	} else {
		f.resp, f.err, f.orphaned = c.guardedChat(f.ctx, f.d)
	}
	return c.landChat(&f, nil)
}

// chatFlight is one non-streaming attempt between its launch and its
// landing: where it went, its context and span, and what came back.
type chatFlight struct {
	i        int
	d        *deployment
	start    time.Time
	ctx      context.Context
	stop     context.CancelFunc // cancels a hedged attempt; nil otherwise
	cancel   context.CancelFunc // ends the attempt's timeout; nil without one
	span     trace.Span
	resp     *Response
	err      error
	orphaned bool
}

// launchChat begins an attempt on member i, whose call slot next has just
// taken: it counts it and gives it its context (cancelable by f.stop when
// stoppable) and span.
func (c *call) launchChat(i int, f *chatFlight, stoppable bool) {
	d := c.rt.members[i]
	resend := int(c.tries[i])
	c.attempts++
	c.tries[i]++
	f.i, f.d, f.start, f.ctx = i, d, c.held.at, c.ctx
	if stoppable {
		f.ctx, f.stop = context.WithCancel(f.ctx)
	}
	if t := c.attemptTimeouts(d).Attempt; t > 0 {
		f.ctx, f.cancel = context.WithTimeout(f.ctx, t)
	}
	f.ctx, f.span = c.startAttemptSpan(f.ctx, d, resend)
}

// landChat ends the attempt f, whose slot is in c.held: it classifies what
// came back and records it. lost, when not nil, is the error of an attempt
// the router stopped because another answered first; what it answered
// anyway is billed, not returned.
func (c *call) landChat(f *chatFlight, lost *ProviderError) (*Response, *ProviderError) {
	d, resp := f.d, f.resp
	var pe *ProviderError
	switch {
	case lost != nil:
		pe = lost
	case f.err != nil:
		pe = c.classify(f.err, f.ctx, d)
	case resp == nil:
		pe = &ProviderError{Provider: d.provider, Deployment: d.Name, Kind: KindMalformed, Message: "provider returned neither an answer nor an error"}
	}
	if f.stop != nil {
		f.stop()
	}
	if f.cancel != nil {
		f.cancel()
	}
	dur := c.attemptEnded(f.start)
	// The record is built in place, where endAttempt would append it
	// (assigned whole: no copy of a record built on the stack).
	n := len(c.rec.Attempts)
	c.rec.Attempts = slices.Grow(c.rec.Attempts, 1)[:n+1]
	a := &c.rec.Attempts[n]
	*a = AttemptRecord{Deployment: d.Name, Provider: d.provider, Model: d.UpstreamModel(),
		Start: f.start, Duration: dur, Orphaned: f.orphaned}
	if pe != nil {
		var u Usage
		if lost != nil && f.err == nil && resp != nil {
			u = resp.Usage
			u.clamp()
		}
		c.endAttempt(f.i, a, pe, u)
		endAttemptSpan(f.span, a, nil)
		return nil, pe
	}
	resp.Provider = d.provider
	resp.Usage.clamp()
	if pe := c.refusedAnswer(d, resp.FinishReason); pe != nil {
		c.endAttempt(f.i, a, pe, resp.Usage)
		endAttemptSpan(f.span, a, nil)
		return nil, pe
	}
	c.rec.ServedBy = resp.ServedBy
	if resp.RateLimit != nil {
		d.steer(resp.RateLimit, c.start.Add(c.lastEnd), c.r.retry.MaxRetryAfter)
	}
	c.endAttempt(f.i, a, nil, resp.Usage)
	endAttemptSpan(f.span, a, resp)
	return resp, nil
}

// attemptEnded reads the clock at the end of an attempt that began at
// start: it keeps the reading as the request's last (c.lastEnd, since the
// request's start) and returns the attempt's duration.
func (c *call) attemptEnded(start time.Time) time.Duration {
	end := c.elapsed()
	c.lastEnd = end
	if start != c.start { // the usual first attempt starts with the request
		end -= start.Sub(c.start)
	}
	return end
}

// guardedChat calls a provider that does not declare it honours its
// context on a goroutine of its own, and returns when ctx ends even if the
// provider does not. An abandoned call keeps the attempt's slot until it
// returns (orphaned is then true, and c.held is empty).
func (c *call) guardedChat(ctx context.Context, d *deployment) (resp *Response, err error, orphaned bool) {
	req := c.req
	return guardedAttempt(c, ctx, d, func() (*Response, error) { return safeChat(ctx, d, req) },
		func(r *Response) Usage { return r.Usage })
}

// guardedAttempt runs call on a goroutine of its own (see guardedChat);
// usage reads the usage of an answer, for the slot an abandoned call
// releases when it returns.
func guardedAttempt[T any](c *call, ctx context.Context, d *deployment, call func() (*T, error), usage func(*T) Usage) (*T, error, bool) {
	type result struct {
		resp *T
		err  error
	}
	held := c.held
	r, ok := guarded(ctx, func() result {
		resp, err := call()
		return result{resp, err}
	}, func(r result) {
		var actual int64
		if r.resp != nil {
			actual = int64(usage(r.resp).clamped().Total())
		}
		held.release(orphanError(d), actual)
	})
	if !ok {
		c.orphan()
		return nil, context.Cause(ctx), true
	}
	return r.resp, r.err, false
}

// orphan hands the attempt's slot to the goroutine still running it: the
// request no longer releases it, and its quota settles at no less than
// what was reserved (the provider may yet bill for the call).
func (c *call) orphan() {
	c.held = slot{}
	c.orphans = true
}

// orphanError is what the breaker hears of an attempt abandoned because
// its provider ignored the end of its context: a timeout.
func orphanError(d *deployment) *ProviderError {
	return &ProviderError{Provider: d.provider, Deployment: d.Name, Kind: KindTimeout,
		Message: "provider ignored the end of its context"}
}

// endAttempt returns the call slot of member i's attempt and records it:
// it completes a and appends it to the record's attempts, unless a is
// already their last.
func (c *call) endAttempt(i int, a *AttemptRecord, pe *ProviderError, u Usage) {
	d := c.rt.members[i]
	// A failure says something about the deployment when it counts
	// against its breaker or is a rate limit; the rest are the request's
	// or the caller's doing, and touch neither the retry budget nor the
	// deployment's statistics.
	judged := pe == nil || countsAgainstBreaker(pe.Kind) || pe.Kind == KindRateLimited
	switch {
	case pe == nil:
		c.r.budget.success()
		if d.throttled.Load() != 0 {
			d.throttled.Store(0)
		}
	case judged:
		c.r.budget.failure()
	}
	c.held.release(pe, int64(u.Total()))
	if judged {
		d.stats.observe(a.Start, a.Duration, a.TTFT, u.OutputTokens, pe != nil, d.decay)
	}
	a.Usage = u
	cr := c.cand(i)
	if pe != nil {
		c.recordFailure(a, cr, pe)
	} else {
		a.Status = attemptOK
		cr.Status, cr.Policy, cr.Reason = CandidateChosen, "", ""
		c.served = d
	}
	if u.InputTokens|u.OutputTokens|u.CachedInputTokens|u.CacheWriteTokens|u.CacheWrite1hTokens|u.ReasoningTokens != 0 || u.Estimated || u.Clamped { // u != Usage{}, cheaper
		c.rec.Usage.add(u)
		c.cost += d.Price.Cost(u)
	}
	if n := len(c.rec.Attempts); n == 0 || a != &c.rec.Attempts[n-1] {
		c.appendAttempt(a)
	}
}

// recordFailure completes the record of a failed attempt a and of its
// candidate cr.
func (c *call) recordFailure(a *AttemptRecord, cr *CandidateRecord, pe *ProviderError) {
	a.Status, a.Class, a.Kind = attemptError, pe.EffectiveClass(), pe.Kind
	a.StatusCode, a.RetryAfter, a.Code = pe.StatusCode, pe.RetryAfter, pe.Code
	a.Error = errorText(pe, c.r.capture)
	if cr.Status != CandidateChosen {
		cr.Status, cr.Policy, cr.Reason = CandidateTried, "", pe.Kind.String()
	}
}

// appendAttempt appends a, built outside the record, to the record's
// attempts.
func (c *call) appendAttempt(a *AttemptRecord) { c.rec.Attempts = append(c.rec.Attempts, *a) }

// The attempt statuses of AttemptRecord.Status.
const (
	attemptOK    = "ok"
	attemptError = "error"
)

// classify turns an attempt's error into its *ProviderError, overriding the
// adapter's kind when the router itself ended the attempt: the caller's
// context (canceled) or a router timeout (timeout).
func (c *call) classify(err error, attemptCtx context.Context, d *deployment) *ProviderError {
	pe := classify(err, d.Provider, &d.Deployment)
	kind := pe.Kind
	switch cause := context.Cause(attemptCtx); {
	case c.parent.Err() != nil:
		kind = KindCanceled
	case errors.Is(cause, errFirstToken), errors.Is(cause, errIdle):
		kind = KindTimeout
		if pe.Err == nil || !errors.Is(pe.Err, cause) {
			return &ProviderError{Provider: pe.Provider, Deployment: pe.Deployment, Kind: KindTimeout, Message: cause.Error(), Err: err}
		}
	case attemptCtx.Err() != nil:
		kind = KindTimeout
	}
	if kind != pe.Kind {
		cp := *pe
		cp.Kind, cp.Class = kind, ClassUnspecified
		pe = &cp
	}
	return pe
}

// The causes with which the router ends a streaming attempt.
var (
	errFirstToken = errors.New("no visible content within the first-token timeout")
	errIdle       = errors.New("stream idle past the idle timeout")
)

// MaxUsageTokens bounds each token count a provider reports for one call.
// Counts outside [0, MaxUsageTokens] are clamped, as are cache counts above
// the input and reasoning above the output, and the usage is marked
// Clamped: a provider's report must not credit a budget (negative counts)
// or blow one up (absurd ones).
const MaxUsageTokens = 1 << 27

// clamped returns u with every count within bounds, and Clamped set when
// any had to change.
func (u Usage) clamped() Usage {
	if u.inBounds() {
		return u
	}
	out := u
	clamp := func(v, hi int) int { return min(max(v, 0), hi) }
	out.InputTokens = clamp(u.InputTokens, MaxUsageTokens)
	out.OutputTokens = clamp(u.OutputTokens, MaxUsageTokens)
	out.CachedInputTokens = clamp(u.CachedInputTokens, out.InputTokens)
	out.CacheWriteTokens = clamp(u.CacheWriteTokens, out.InputTokens-out.CachedInputTokens)
	out.CacheWrite1hTokens = clamp(u.CacheWrite1hTokens, out.CacheWriteTokens)
	out.ReasoningTokens = clamp(u.ReasoningTokens, out.OutputTokens)
	if out != u {
		out.Clamped = true
	}
	return out
}

// clamp sets u to u.clamped(), without copying u in the usual case.
func (u *Usage) clamp() {
	if !u.inBounds() {
		*u = u.clamped()
	}
}

// inBounds reports the usual case of clamped: plain counts in bounds
// (compared as uint: no negatives), no cache or reasoning counts to check.
func (u *Usage) inBounds() bool {
	return uint(u.InputTokens) <= MaxUsageTokens && uint(u.OutputTokens) <= MaxUsageTokens &&
		uint(u.CachedInputTokens)|uint(u.CacheWriteTokens)|uint(u.CacheWrite1hTokens)|uint(u.ReasoningTokens) == 0
}
