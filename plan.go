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
		return nil, unknownRoute("Model", req.Model)
	}
	if err := r.checkFallbacks(req); err != nil {
		return nil, err
	}
	in, out := r.estimateTokens(req)
	return r.planNeeds(rt, req, req.needs(stream), in, out), nil
}

// PlanRecord plans again the request a lineage record describes, as Plan
// would plan it now (during a canary, on the version the record's tenant
// would be served by), from what the record kept of it: its route
// (Record.Route), tenant, user and labels, the capabilities it needed
// (Record.Needs; for a record without them, streaming and embeddings from
// its flags), its estimated input tokens (Record.Prompt.Tokens) and its
// MaxOutputTokens (zero: the router's default output estimate, none for
// embeddings). No prompt text is needed: this is how package replay
// re-plans a decision log under another configuration.
//
// Policies run on a Request rebuilt from those fields, without messages:
// the built-in ones answer as they did (ContextFits and
// RequireCapabilities read the recorded estimate and needs), but a custom
// policy that reads the prompt sees none, and a request's own policies
// (Request.Policies) are not in records and are not applied. A record with
// no route, or one naming a route this router does not have, is a
// *RequestError. PlanRecord is safe for concurrent use.
func (r *Router) PlanRecord(rec *Record) (*RoutePlan, error) {
	switch {
	case rec == nil:
		return nil, &RequestError{Field: "Record", Reason: "nil"}
	case rec.Route == "":
		return nil, &RequestError{Field: "Record.Route", Reason: "empty: the record names no route (an invalid request?)"}
	case rec.MaxOutputTokens < 0 || rec.MaxOutputTokens > MaxRequestTokens:
		return nil, &RequestError{Field: "Record.MaxOutputTokens", Reason: "outside [0, MaxRequestTokens]"}
	case rec.Prompt.Tokens < 0:
		return nil, &RequestError{Field: "Record.Prompt.Tokens", Reason: "negative"}
	}
	needs := rec.Needs
	if rec.Stream {
		needs |= CapStreaming
	}
	if rec.Embed {
		needs |= CapEmbeddings
	}
	req := &Request{Model: rec.Route, Tenant: rec.Tenant, User: rec.User, Labels: rec.Labels, MaxOutputTokens: int(rec.MaxOutputTokens),
		recorded: &recordedContent{all: needs, inputTokens: rec.Prompt.Tokens}}
	g := r.serve(req)
	rt := g.routes[rec.Route]
	if rt == nil {
		return nil, unknownRoute("Record.Route", rec.Route)
	}
	out := req.MaxOutputTokens
	if out == 0 && !rec.Embed {
		out = g.estimates.DefaultOutput
	}
	return g.planNeeds(rt, req, needs, rec.Prompt.Tokens, out), nil
}

// recordedContent is what a lineage record keeps of a request's content,
// for a Request PlanRecord rebuilds.
type recordedContent struct {
	all         Capabilities // what the request needed, streaming included if it streamed
	inputTokens int
}

// needs returns the recorded needs, with streaming as asked (policies ask
// without it, as they do of a live request).
func (rc *recordedContent) needs(stream bool) Capabilities {
	if stream {
		return rc.all | CapStreaming
	}
	return rc.all &^ CapStreaming
}

// unknownRoute is the error for a route name (in field) that names no
// route or deployment.
func unknownRoute(field, name string) *RequestError {
	return &RequestError{Field: field, Reason: "no route or deployment named " + strconv.Quote(name)}
}

// checkFallbacks checks that every route of req.Fallback exists.
func (r *generation) checkFallbacks(req *Request) error {
	for i, name := range req.Fallback {
		if r.routes[name] == nil {
			return unknownRoute("Fallback["+strconv.Itoa(i)+"]", name)
		}
	}
	return nil
}

// planNeeds plans req, which needs needs and is estimated at in tokens in
// and out tokens out, on its route rt.
func (r *generation) planNeeds(rt *route, req *Request, needs Capabilities, in, out int) *RoutePlan {
	c := &call{}
	c.r, c.req, c.needs = r, req, needs
	if r.tenantPolicies != nil {
		c.tenantPolicies = r.tenantPolicies[req.Tenant]
	}
	plan := &RoutePlan{Route: req.Model, ConfigVersion: r.version.ID, Policies: []string{builtinCapabilityCheck}}
	for _, list := range [...][]Policy{r.policies, c.tenantPolicies, req.Policies} {
		for _, p := range list {
			plan.Policies = append(plan.Policies, p.Name)
		}
	}
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
	return plan
}
