package llmrouter

import (
	"maps"
	"slices"
	"strconv"
)

// Route-level fallbacks (Route.Fallback, Route.FallbackOn) and the
// per-route retry bounds (RetryPolicy.RouteAttempts, RetriesPerKind): a
// request that names no fallback routes of its own takes its route's,
// chosen by the failure that ended the route. The moves themselves are
// those of Request.Fallback (fallback.go).

// fallbackList returns the fallback routes of the request: its own
// (Request.Fallback), or those its route gives for the failure that ended
// it (Route.FallbackOn), or its route's general ones (Route.Fallback).
func (c *call) fallbackList() []string {
	if c.req.Fallback != nil {
		return c.req.Fallback
	}
	own := c.r.routes[c.req.Model]
	if c.fbKind != 0 {
		return own.fallbackOn[Kind(c.fbKind-1)]
	}
	return own.fallback
}

// endRoute marks every member of the current route spent: next finds
// nothing to call and moves the request to its next fallback route.
func (c *call) endRoute() {
	for i := range c.tries {
		c.tries[i] = spentTries
	}
}

// endsRouteOn reports whether a failure of kind k ends the current route
// because the route sends that kind elsewhere (Route.FallbackOn), and
// ends it. On the request's own route it also chooses that kind's
// fallback routes.
func (c *call) endsRouteOn(k Kind) bool {
	if c.req.Fallback != nil {
		return false
	}
	if _, ok := c.rt.fallbackOn[k]; !ok {
		return false
	}
	if c.fallbacks == 0 {
		c.fbKind = uint8(k) + 1
	}
	c.endRoute()
	return true
}

// routeFailures counts the failures on the current route, of kind k, or of
// every kind when all is set.
func (c *call) routeFailures(k Kind, all bool) int {
	if all {
		return len(c.failures) - int(c.routeFrom)
	}
	n := 0
	for _, pe := range c.failures[c.routeFrom:] {
		if pe.Kind == k {
			n++
		}
	}
	return n
}

// retryBound applies RetryPolicy.RetriesPerKind and RouteAttempts to a
// failure on the current route: end reports that the route is done (the
// request moves on to its fallback routes), retry that a failure whose
// class would stop the request may be retried, its kind having retries
// left.
func (c *call) retryBound(pe *ProviderError) (end, retry bool) {
	n, perKind := c.r.retry.RetriesPerKind[pe.Kind]
	if perKind && c.routeFailures(pe.Kind, false) > n {
		return true, false
	}
	if ra := c.r.retry.RouteAttempts; ra > 0 && c.routeFailures(0, true) >= ra {
		// A failure no deployment would do better on still stops the
		// request, unless its kind is retried by name.
		return perKind || pe.EffectiveClass() != ClassStop, false
	}
	return false, perKind
}

// refusalMovesOn reports whether a content-filtered answer is a
// failure that moves on: the route falls back on refusals, or sends them
// to other routes.
func (c *call) refusalMovesOn() bool {
	if c.rt.contentFallback {
		return true
	}
	_, ok := c.rt.fallbackOn[KindContentPolicy]
	return ok && c.req.Fallback == nil
}

// resolveFallbacks copies each route's fallback settings and lists, per
// route, every deployment its fallback routes may call (for the quota's
// cost estimate).
func (r *generation) resolveFallbacks(named []namedRoute) {
	for _, nr := range named {
		rt := r.routes[nr.name]
		rt.fallback = slices.Clone(nr.route.Fallback)
		rt.fallbackOn = maps.Clone(nr.route.FallbackOn)
		seen := map[*deployment]bool{}
		add := func(names []string) {
			for _, name := range names {
				for _, d := range r.routes[name].members {
					if !seen[d] {
						seen[d] = true
						rt.fallbackMembers = append(rt.fallbackMembers, d)
					}
				}
			}
		}
		add(rt.fallback)
		for _, k := range slices.Sorted(maps.Keys(rt.fallbackOn)) {
			add(rt.fallbackOn[k])
		}
	}
}

// validateRouteFallbacks checks every route's Fallback and FallbackOn.
func validateRouteFallbacks(routes []namedRoute, deployments, routeNames map[string]bool) error {
	for _, nr := range routes {
		f := "Routes[" + strconv.Quote(nr.name) + "]"
		if err := checkFallbackList(f+".Fallback", nr.name, nr.route.Fallback, deployments, routeNames); err != nil {
			return err
		}
		for _, k := range slices.Sorted(maps.Keys(nr.route.FallbackOn)) {
			ff := f + ".FallbackOn[" + k.String() + "]"
			if !k.classified() || k == KindCanceled {
				return &ConfigError{ff, "not a kind a failure may move on for" + kindList()}
			}
			if err := checkFallbackList(ff, nr.name, nr.route.FallbackOn[k], deployments, routeNames); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkFallbackList checks a route's list of fallback routes as a
// request's is checked (Request.Fallback).
func checkFallbackList(f, self string, list []string, deployments, routeNames map[string]bool) error {
	if len(list) > MaxFallbacks {
		return &ConfigError{f, strconv.Itoa(len(list)) + " names, above MaxFallbacks (" + strconv.Itoa(MaxFallbacks) + ")"}
	}
	for i, name := range list {
		ff := f + "[" + strconv.Itoa(i) + "]"
		switch {
		case name == self:
			return &ConfigError{ff, "names the route itself"}
		case !deployments[name] && !routeNames[name]:
			return &ConfigError{ff, "unknown route or deployment " + strconv.Quote(name)}
		case slices.Contains(list[:i], name):
			return &ConfigError{ff, "duplicate " + strconv.Quote(name)}
		}
	}
	return nil
}

// fallbackOn turns RouteSpec.FallbackOn's kind names into kinds.
func fallbackOn(field string, byName map[string][]string) (map[Kind][]string, error) {
	if byName == nil {
		return nil, nil
	}
	out := make(map[Kind][]string, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		k, ok := ParseKind(name)
		if !ok {
			return nil, &ConfigError{field + "." + name, "unknown kind " + strconv.Quote(name) + kindList()}
		}
		out[k] = byName[name]
	}
	return out, nil
}
