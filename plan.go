package llmrouter

import "strconv"

// RoutePlan is how the router would route a request at the moment Plan was
// called: every candidate of the route in tier order, with the policy that
// refuses it, or why it is unavailable now, or that it is eligible.
type RoutePlan struct {
	// Route is the route or deployment name the request asked for.
	Route string
	// ConfigVersion is the ID of the configuration version planned with
	// (during a canary, the one the request would be served by).
	ConfigVersion string
	// Policies names every policy that applies to the request, in order.
	Policies []string
	// Candidates are the route's deployments in tier order. Status is
	// CandidateEligible (would be tried, in this order within its tier's
	// strategy), CandidateRefused (Policy and Reason say why) or
	// CandidateSkipped (allowed, but unavailable now: Reason says why).
	Candidates []CandidateRecord
}

// CandidateEligible marks, in a RoutePlan, a candidate every policy allows
// and that is available now.
const CandidateEligible CandidateStatus = "eligible"

// Eligible returns the names of the eligible candidates, in tier order.
func (p *RoutePlan) Eligible() []string {
	var names []string
	for _, c := range p.Candidates {
		if c.Status == CandidateEligible {
			names = append(names, c.Deployment)
		}
	}
	return names
}

// Plan explains how the router would route req now, without sending
// anything, reserving quota or writing lineage: which deployments every
// policy allows (for a stream when stream is set), which a policy refuses
// and why, and which are unavailable at the moment (breaker open, cooling
// down, at their concurrency, RPM or TPM limits, or a half-open breaker's
// probe in flight: exactly the checks Chat makes before calling a
// deployment, with the same estimate of the request's tokens). It returns a
// *RequestError for a malformed or nil request, as Chat would (an unknown
// Request.Fallback name included). Plan covers the request's own route
// only: its fallback routes (Request.Fallback) are taken only once that
// route has failed, and are not planned. Plan is safe for concurrent use.
func (r *Router) Plan(req *Request, stream bool) (*RoutePlan, error) {
	return r.serve(req).plan(req, stream)
}

// plan is Plan on one configuration version.
func (r *generation) plan(req *Request, stream bool) (*RoutePlan, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	rt := r.routes[req.Model]
	if rt == nil {
		return nil, &RequestError{Field: "Model", Reason: "no route or deployment named " + strconv.Quote(req.Model)}
	}
	for i, name := range req.Fallback {
		if r.routes[name] == nil {
			return nil, &RequestError{Field: "Fallback[" + strconv.Itoa(i) + "]", Reason: "no route or deployment named " + strconv.Quote(name)}
		}
	}
	c := &call{}
	c.r, c.req, c.needs = r, req, req.needs(stream)
	if r.tenantPolicies != nil {
		c.tenantPolicies = r.tenantPolicies[req.Tenant]
	}
	plan := &RoutePlan{Route: req.Model, ConfigVersion: r.version.ID, Policies: []string{builtinCapabilityCheck}}
	for _, list := range [...][]Policy{r.policies, c.tenantPolicies, req.Policies} {
		for _, p := range list {
			plan.Policies = append(plan.Policies, p.Name)
		}
	}
	in, out := r.estimateTokens(req)
	tokens := int64(satAddInt(in, out))
	now := r.now()
	for i, d := range rt.members {
		cr := CandidateRecord{Deployment: d.Name, Provider: d.provider, Tier: rt.tierOf[i], Status: CandidateEligible}
		if policy, reason, ok := c.allows(d); !ok {
			cr.Status, cr.Policy, cr.Reason = CandidateRefused, policy, reason
		} else if reason, _ := d.unavailable(now.UnixNano()); reason != "" {
			cr.Status, cr.Reason = CandidateSkipped, reason
		} else if reason, _ := d.wouldAcquire(tokens, now); reason != "" {
			cr.Status, cr.Reason = CandidateSkipped, reason
		}
		plan.Candidates = append(plan.Candidates, cr)
	}
	return plan, nil
}
