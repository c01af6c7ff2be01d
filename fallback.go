package llmrouter

// Fallback routes (Request.Fallback, or the route's: Route.Fallback and
// Route.FallbackOn, see fallback_route.go): when the request's route has nowhere
// left to go (ErrNoRoute), the request moves on to the next route it names,
// keeping everything that belongs to the request rather than to a route:
// its quota admission, deadline, attempt count, backoff, failures and
// lineage record. The new route's candidates are appended to
// Record.Candidates and pass every policy before they may be picked.

// noRoute is called when the current route has nowhere left to go. It
// moves the request to its next fallback route (its own, or its route's) that has an allowed
// candidate and returns nil, or returns the ErrNoRoute error that ends
// the request.
func (c *call) noRoute() error {
	list := c.fallbackList()
	for !c.hedgePick && int(c.fallbacks) < len(list) {
		if c.fallBack(list) {
			return nil
		}
	}
	return c.routeError(ErrNoRoute)
}

// fallBack moves the request to its next fallback route, recording its
// candidates and running every policy on them. It reports whether any
// candidate may be called.
func (c *call) fallBack(list []string) bool {
	name := list[c.fallbacks]
	c.fallbacks++
	c.rec.Fallbacks = list[:c.fallbacks]
	c.routeFrom = int32(len(c.failures))
	rt := c.r.routes[name] // prepare checked every name
	before := c.rec.Candidates
	c.enterRoute(rt)
	c.waits = 0
	allowed := 0
	for i, d := range rt.members {
		cr := c.cand(i)
		if triedBefore(before, d.Name) {
			c.tries[i] = spentTries
			cr.Status, cr.Reason = CandidateSkipped, "already tried for this request"
			continue
		}
		if policy, reason, ok := c.allows(d); ok {
			allowed++
		} else {
			cr.Status, cr.Policy, cr.Reason = CandidateRefused, policy, reason
		}
	}
	return allowed > 0
}

// triedBefore reports whether deployment name was called in a route the
// request took before.
func triedBefore(cands []CandidateRecord, name string) bool {
	for i := range cands {
		if cands[i].Deployment == name && (cands[i].Status == CandidateTried || cands[i].Status == CandidateChosen) {
			return true
		}
	}
	return false
}
