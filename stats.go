package llmrouter

import (
	"strconv"
	"time"
)

// Stats is a snapshot of a router's live state: each deployment's, and the
// router-wide retry budget. Router.Stats returns it.
type Stats struct {
	// Deployments holds one entry per deployment, in configuration order.
	Deployments []DeploymentStats
	// RetryBudget is how full the router's retry budget is, from 0 to 1
	// (see RetryBudget): retries of an already-called deployment are
	// allowed while it is above 0.5. A disabled budget is still counted
	// here, though nothing waits on it.
	RetryBudget float64
}

// Deployment returns the statistics of the deployment named name, and
// whether there is one.
func (s Stats) Deployment(name string) (DeploymentStats, bool) {
	for _, d := range s.Deployments {
		if d.Name == name {
			return d, true
		}
	}
	return DeploymentStats{}, false
}

// DeploymentStats is a snapshot of a deployment's live state.
type DeploymentStats struct {
	Name string
	// InFlight is the number of calls in flight on the deployment now
	// (a hedged request's two attempts count twice), against
	// MaxConcurrency (Deployment.MaxConcurrency; 0: no limit).
	InFlight       int64
	MaxConcurrency int
	// Breaker is the state of the deployment's circuit breaker: closed,
	// open (skipped by every request until its BreakerPolicy.OpenFor has
	// passed) or half-open (letting HalfOpenProbes calls through to see
	// whether it has recovered). A disabled breaker reads closed.
	Breaker BreakerState
	// CoolingUntil is when a rate-limit cooldown ends (router clock), or the
	// zero time.
	CoolingUntil time.Time
	// RPM and TPM are the deployment's own limits (Deployment.RPM and
	// TPM; 0: none), and RPMUsed and TPMUsed what the current minute
	// holds against them (router clock; windows aligned to the minute, as
	// the limits count): calls in flight at their reserved estimate,
	// finished ones at their actual usage. Both used counts are 0 for a
	// deployment without limits.
	RPM, TPM         int
	RPMUsed, TPMUsed int64
	// TTFT, TimePerToken, ErrorRate and Throughput are the deployment's
	// statistics, as a Strategy reads them (see Candidate): the peak-EWMA
	// of the time to the first visible chunk of streams and of the
	// duration per output token of whole answers, decayed to now.
	TTFT, TimePerToken time.Duration
	ErrorRate          float64
	Throughput         float64
	// AnswerP95 is a running 95th percentile of whole answers' durations
	// (the delay of Hedge.AtP95 for whole answers); zero until measured.
	AnswerP95 time.Duration
	// TTFTP95 is a running 95th percentile of streams' times to the
	// first visible chunk (the delay of Hedge.AtP95 for streams); zero
	// until measured.
	TTFTP95 time.Duration
}

// BreakerState is the state of a deployment's circuit breaker.
type BreakerState uint8

// The states of a circuit breaker.
const (
	// BreakerClosed: calls go through (the zero value; also a disabled
	// breaker).
	BreakerClosed BreakerState = iota
	// BreakerHalfOpen: the breaker lets a few probe calls through; their
	// outcome closes or reopens it.
	BreakerHalfOpen
	// BreakerOpen: the deployment is skipped until the breaker's time is
	// up.
	BreakerOpen
)

// String returns "closed", "half-open" or "open".
func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerHalfOpen:
		return "half-open"
	case BreakerOpen:
		return "open"
	}
	return "BreakerState(" + strconv.Itoa(int(s)) + ")"
}

// Stats returns a snapshot of the router's live state. Every value is read
// with atomic loads, except the RPM/TPM use of a deployment with its own
// limits, read under that deployment's limiter lock (held for a few
// counter reads; no lock covers more than one deployment). Safe for
// concurrent use; values read at slightly different moments may not add
// up exactly under load.
//
// During a canary, it describes the serving version's deployments (whose
// live state the candidate shares, name by name) and retry budget.
func (r *Router) Stats() Stats {
	g := r.state.Load().cur
	out := Stats{Deployments: make([]DeploymentStats, len(g.deployments)), RetryBudget: g.budget.level()}
	at := r.now()
	now := at.UnixNano()
	for i, d := range g.deployments {
		s := &out.Deployments[i]
		*s = DeploymentStats{Name: d.Name, InFlight: d.inFlight.Load(), MaxConcurrency: d.MaxConcurrency,
			Breaker: d.breakerNow(), RPM: d.RPM, TPM: d.TPM}
		d.snapshot(s, now)
		if t := d.cooldownUntil.Load(); t > now {
			s.CoolingUntil = time.Unix(0, t)
		}
		if d.limiter != nil {
			used, _ := d.limiter.usage(time.Minute, at)
			s.RPMUsed, s.TPMUsed = used.Requests, used.Tokens
		}
	}
	return out
}

// breakerNow reads the breaker's state from the atomics its
// OnStateChange keeps, without gobreaker's lock: open while openUntil is
// ahead (real time, as breakers keep), half-open once it has passed (the
// next call is a probe, which moves gobreaker itself to half-open) or
// while gobreaker says so.
func (d *deployment) breakerNow() BreakerState {
	switch {
	case d.breaker == nil || d.closed.Load():
		return BreakerClosed
	case d.breakerOpen():
		return BreakerOpen
	}
	return BreakerHalfOpen
}
