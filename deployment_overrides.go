package llmrouter

import (
	"math"
	"strconv"
	"time"
)

// Per-deployment settings (Deployment.Timeouts, Deployment.Breaker) over
// the router's, and their validation.

// attemptTimeouts returns the timeouts of a call to d: the router's, then
// the deployment's non-zero fields, then the request's (Request.Timeouts).
func (c *call) attemptTimeouts(d *deployment) Timeouts {
	if !d.ownTimeouts && c.req.Timeouts == nil {
		return c.r.timeouts // the usual call: small enough to inline
	}
	return c.overriddenTimeouts(d)
}

func (c *call) overriddenTimeouts(d *deployment) Timeouts {
	t := c.r.timeouts
	overTimeouts(&t, &d.Timeouts)
	if o := c.req.Timeouts; o != nil {
		overTimeouts(&t, o)
	}
	return t
}

// overTimeouts replaces every field of t that o sets.
func overTimeouts(t, o *Timeouts) {
	override(&t.Total, o.Total)
	override(&t.Attempt, o.Attempt)
	override(&t.FirstToken, o.FirstToken)
	override(&t.Idle, o.Idle)
}

// validateTimeouts checks a set of timeouts: none negative, none under a
// millisecond (a unit mistake: Idle: 3 is 3ns).
func validateTimeouts(field string, t Timeouts) error {
	for _, f := range [...]struct {
		name string
		d    time.Duration
	}{{"Total", t.Total}, {"Attempt", t.Attempt}, {"FirstToken", t.FirstToken}, {"Idle", t.Idle}} {
		if f.d < 0 {
			return &ConfigError{field + "." + f.name, "negative timeout"}
		}
		if f.d > 0 && f.d < time.Millisecond {
			return &ConfigError{field + "." + f.name, f.d.String() + " is under a millisecond; use zero for no timeout"}
		}
	}
	return nil
}

// validateDeploymentOverrides checks a deployment's own timeouts and
// breaker settings.
func validateDeploymentOverrides(f string, d *Deployment) error {
	if d.Timeouts.Total != 0 {
		return &ConfigError{f + ".Timeouts.Total", "set: Total bounds a whole request, not a call to one deployment; use Attempt (or FirstToken and Idle for streams)"}
	}
	if err := validateTimeouts(f+".Timeouts", d.Timeouts); err != nil {
		return err
	}
	return validateBreaker(f+".Breaker", d.Breaker)
}

// validateBreaker checks a breaker policy.
func validateBreaker(f string, b BreakerPolicy) error {
	if b.FailureRatio < 0 || b.FailureRatio > 1 || math.IsNaN(b.FailureRatio) || b.Interval < 0 || b.OpenFor < 0 {
		return &ConfigError{f, "FailureRatio must be within [0,1]; durations must not be negative"}
	}
	return nil
}

// validateRetriesPerKind checks RetryPolicy.RetriesPerKind and
// RouteAttempts.
func validateRetriesPerKind(p RetryPolicy) error {
	if p.RouteAttempts < 0 {
		return &ConfigError{"Retry.RouteAttempts", "negative: " + strconv.Itoa(p.RouteAttempts) + "; use zero for no cap but MaxAttempts"}
	}
	for k, n := range p.RetriesPerKind {
		f := "Retry.RetriesPerKind[" + k.String() + "]"
		switch {
		case !k.classified():
			return &ConfigError{f, "not a kind a provider reports" + kindList()}
		case k == KindCanceled:
			return &ConfigError{f, "a canceled request is never retried"}
		case n < 0:
			return &ConfigError{f, "negative: " + strconv.Itoa(n) + "; 0 ends the route at the first such failure"}
		}
	}
	return nil
}
