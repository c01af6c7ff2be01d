package llmrouter

import "time"

// DeploymentStats is a snapshot of a deployment's live state.
type DeploymentStats struct {
	Name     string
	InFlight int64
	// BreakerOpen is true while the circuit breaker keeps the deployment out
	// of routing.
	BreakerOpen bool
	// CoolingUntil is when a rate-limit cooldown ends (router clock), or the
	// zero time.
	CoolingUntil time.Time
	// TTFT, TimePerToken, ErrorRate and Throughput are the deployment's
	// statistics, as a Strategy reads them (see Candidate).
	TTFT, TimePerToken time.Duration
	ErrorRate          float64
	Throughput         float64
	// AnswerP95 is a running 95th percentile of whole answers' durations
	// (the delay of Hedge.AtP95); zero until measured.
	AnswerP95 time.Duration
}

// Stats returns a snapshot of every deployment's live state, in
// configuration order.
func (r *Router) Stats() []DeploymentStats {
	out := make([]DeploymentStats, len(r.deployments))
	now := r.now().UnixNano()
	for i, d := range r.deployments {
		out[i] = DeploymentStats{Name: d.Name, InFlight: d.inFlight.Load(), BreakerOpen: d.breakerOpen()}
		d.snapshot(&out[i], now)
		if t := d.cooldownUntil.Load(); t > now {
			out[i].CoolingUntil = time.Unix(0, t)
		}
	}
	return out
}
