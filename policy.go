package llmrouter

import (
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Policy decides whether a deployment may see a request. It is a named
// predicate: Check returns true to allow, or false and a reason to refuse.
// The router checks every policy before every attempt, fallbacks included,
// so no failure path reaches a refused deployment; each refusal is kept in
// lineage with the policy's name and reason.
//
// Check must be safe for concurrent use, must not modify its arguments, and
// should be fast and allocation-free when it allows: it runs for every
// candidate of every request. Reasons are best built once, when the policy
// is made, rather than on each call.
type Policy struct {
	// Name identifies the policy in lineage and errors.
	Name string
	// Check reports whether d may serve req, and why not.
	Check func(req *Request, d *Deployment) (ok bool, reason string)

	// deploymentOnly marks the built-in policies whose answer depends on
	// the deployment alone (RegionIn, AllowProviders, DenyProviders,
	// RequireZeroRetention, MaxPrice, and All/Any/Not of such): the router
	// answers them once per deployment in New (and Apply) instead of per request.
	// A deployment is fixed within a configuration version, so the answer
	// holds for every attempt (each version answers again).
	deploymentOnly bool
}

// allDeploymentOnly reports whether every policy in ps depends on the
// deployment alone.
func allDeploymentOnly(ps []Policy) bool {
	for _, p := range ps {
		if !p.deploymentOnly {
			return false
		}
	}
	return true
}

// All allows a deployment when every policy in ps does; it refuses with the
// first refusing policy's name and reason.
func All(ps ...Policy) Policy {
	ps = append([]Policy(nil), ps...)
	return Policy{
		Name:           "all(" + policyNames(ps) + ")",
		deploymentOnly: allDeploymentOnly(ps),
		Check: func(req *Request, d *Deployment) (bool, string) {
			for _, p := range ps {
				if ok, reason := p.Check(req, d); !ok {
					return false, p.Name + ": " + reason
				}
			}
			return true, ""
		},
	}
}

// Any allows a deployment when at least one policy in ps does.
func Any(ps ...Policy) Policy {
	ps = append([]Policy(nil), ps...)
	names := policyNames(ps)
	reason := "none of " + names + " allowed it"
	return Policy{
		Name:           "any(" + names + ")",
		deploymentOnly: allDeploymentOnly(ps),
		Check: func(req *Request, d *Deployment) (bool, string) {
			for _, p := range ps {
				if ok, _ := p.Check(req, d); ok {
					return true, ""
				}
			}
			return false, reason
		},
	}
}

// Not allows a deployment when p refuses it.
func Not(p Policy) Policy {
	reason := p.Name + " allowed it"
	return Policy{
		Name:           "not(" + p.Name + ")",
		deploymentOnly: p.deploymentOnly,
		Check: func(req *Request, d *Deployment) (bool, string) {
			if ok, _ := p.Check(req, d); ok {
				return false, reason
			}
			return true, ""
		},
	}
}

func policyNames(ps []Policy) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ",")
}

// RegionIn allows deployments whose Region matches one of the patterns, in
// path.Match syntax ("eu-*", "us-east-?"): '*' and '?' never match a '/',
// and a malformed pattern matches nothing. A deployment with no Region is
// refused.
func RegionIn(patterns ...string) Policy {
	globs := make([]glob, len(patterns))
	for i, p := range patterns {
		globs[i] = compileGlob(p)
	}
	reason := "region not in " + strings.Join(patterns, ", ")
	return Policy{
		Name:           "region-in(" + strings.Join(patterns, ",") + ")",
		deploymentOnly: true,
		Check: func(_ *Request, d *Deployment) (bool, string) {
			if d.Region == "" {
				return false, "region unknown"
			}
			for i := range globs {
				if globs[i].match(d.Region) {
					return true, ""
				}
			}
			return false, reason
		},
	}
}

// glob is a path.Match pattern sorted once into the common exact and
// trailing-star forms, which match without path.Match but exactly as it
// does: a trailing '*' matches any rest without a '/'.
type glob struct {
	pattern string
	kind    uint8 // globExact, globPrefix or globFull
	prefix  string
}

const (
	globExact = iota
	globPrefix
	globFull
)

func compileGlob(pattern string) glob {
	const meta = `*?[\`
	switch n := len(pattern) - 1; {
	case !strings.ContainsAny(pattern, meta):
		return glob{pattern: pattern, kind: globExact}
	case pattern[n] == '*' && !strings.ContainsAny(pattern[:n], meta):
		return glob{pattern: pattern, kind: globPrefix, prefix: pattern[:n]}
	}
	return glob{pattern: pattern, kind: globFull}
}

func (g *glob) match(s string) bool {
	switch g.kind {
	case globExact:
		return g.pattern == s
	case globPrefix:
		return strings.HasPrefix(s, g.prefix) && strings.IndexByte(s[len(g.prefix):], '/') < 0
	}
	ok, _ := path.Match(g.pattern, s)
	return ok
}

// AllowProviders allows only deployments whose provider's Name is listed.
func AllowProviders(names ...string) Policy {
	names = append([]string(nil), names...)
	reason := "provider not in " + strings.Join(names, ", ")
	return Policy{
		Name:           "allow-providers(" + strings.Join(names, ",") + ")",
		deploymentOnly: true,
		Check: func(_ *Request, d *Deployment) (bool, string) {
			if slices.Contains(names, d.Provider.Name()) {
				return true, ""
			}
			return false, reason
		},
	}
}

// DenyProviders refuses deployments whose provider's Name is listed.
func DenyProviders(names ...string) Policy {
	names = append([]string(nil), names...)
	reason := "provider is one of " + strings.Join(names, ", ")
	return Policy{
		Name:           "deny-providers(" + strings.Join(names, ",") + ")",
		deploymentOnly: true,
		Check: func(_ *Request, d *Deployment) (bool, string) {
			if slices.Contains(names, d.Provider.Name()) {
				return false, reason
			}
			return true, ""
		},
	}
}

// RequireZeroRetention allows only deployments declared ZeroRetention.
func RequireZeroRetention() Policy {
	return Policy{
		Name:           "zero-retention",
		deploymentOnly: true,
		Check: func(_ *Request, d *Deployment) (bool, string) {
			switch d.Retention {
			case ZeroRetention:
				return true, ""
			case RetentionUnknown:
				return false, "retention not declared"
			case LimitedRetention:
				return false, "provider keeps data for a limited time"
			}
			return false, "provider stores data"
		},
	}
}

// RequireCapabilities allows deployments that declare every capability in
// want and every capability the request needs (tools, JSON output, images).
// Unlike the router's built-in check, it refuses deployments that declare
// no capabilities at all.
func RequireCapabilities(want Capabilities) Policy {
	reasons := map[Capabilities]string{}
	for c := Capabilities(1); c <= CapStreaming; c <<= 1 {
		reasons[c] = "lacks " + c.String()
	}
	return Policy{
		Name: "capabilities(" + want.String() + ")",
		Check: func(req *Request, d *Deployment) (bool, string) {
			missing := (want | req.needs(false)) &^ d.Capabilities
			if missing == 0 {
				return true, ""
			}
			return false, reasons[missing&-missing]
		},
	}
}

// MaxPrice allows deployments that charge at most inputPerMTok for input and
// outputPerMTok for output, in US dollars per million tokens. Zero leaves
// that side unlimited; a negative or NaN limit allows nothing.
func MaxPrice(inputPerMTok, outputPerMTok float64) Policy {
	in := "input price above $" + strconv.FormatFloat(inputPerMTok, 'f', -1, 64) + "/MTok"
	out := "output price above $" + strconv.FormatFloat(outputPerMTok, 'f', -1, 64) + "/MTok"
	return Policy{
		Name:           "max-price",
		deploymentOnly: true,
		Check: func(_ *Request, d *Deployment) (bool, string) {
			// Written as !(price <= limit) so that a NaN refuses.
			if inputPerMTok != 0 && !(d.Price.InputPerMTok <= inputPerMTok) {
				return false, in
			}
			if outputPerMTok != 0 && !(d.Price.OutputPerMTok <= outputPerMTok) {
				return false, out
			}
			return true, ""
		},
	}
}

// ContextFits allows deployments whose ContextWindow holds the request: its
// estimated input tokens (EstimateInputTokens) plus MaxOutputTokens. A
// deployment with no declared window is allowed; so is one whose declared
// MaxOutputTokens is below the request's, which the provider will cap.
func ContextFits() Policy {
	return Policy{
		Name: "context-fits",
		Check: func(req *Request, d *Deployment) (bool, string) {
			if d.ContextWindow <= 0 {
				return true, ""
			}
			if satAddInt(EstimateInputTokens(req), max(req.MaxOutputTokens, 0)) > d.ContextWindow {
				return false, "request exceeds the context window"
			}
			return true, ""
		},
	}
}

// answerFixedPolicies answers, once per deployment, the leading router-wide
// policies that depend on the deployment alone, so that requests skip them.
func (r *generation) answerFixedPolicies() {
	n := 0
	for n < len(r.policies) && r.policies[n].deploymentOnly {
		n++
	}
	r.fixedPolicies = n
	var none Request // these policies do not read the request
	for _, d := range r.deployments {
		for _, p := range r.policies[:n] {
			if ok, reason := p.Check(&none, &d.Deployment); !ok {
				d.refusedBy, d.refusal = p.Name, reason
				break
			}
		}
	}
}

// LabelsMatch allows deployments whose Labels hold every pair in want
// ("network": "private").
func LabelsMatch(want map[string]string) Policy {
	want = maps.Clone(want)
	keys := sortedKeys(want)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + "=" + want[k]
	}
	reason := "labels do not include " + strings.Join(pairs, ", ")
	return Policy{
		Name:           "labels(" + strings.Join(pairs, ",") + ")",
		deploymentOnly: true,
		Check: func(_ *Request, d *Deployment) (bool, string) {
			for k, v := range want {
				if got, ok := d.Labels[k]; !ok || got != v {
					return false, reason
				}
			}
			return true, ""
		},
	}
}

// DefaultTenantClass is the class of a tenant ByTenantClass does not list,
// and of requests without a tenant.
const DefaultTenantClass = "default"

// ByTenantClass applies, to each request, the policy of its tenant's class:
// classes maps tenants to class names, and policies class names to the
// policy their requests obey. Tenants not in classes, and requests without
// a tenant, are in DefaultTenantClass. A class without a policy is not
// restricted. One router-wide policy so states a rule over every tenant
// ("regulated tenants stay on the private network; the rest never use
// it") instead of one policy per tenant name.
func ByTenantClass(classes map[string]string, policies map[string]Policy) Policy {
	classes, policies = maps.Clone(classes), maps.Clone(policies)
	names := sortedKeys(policies)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ":" + policies[n].Name
	}
	reasons := make(map[string]string, len(policies))
	for n, p := range policies {
		reasons[n] = "tenant class " + n + ": " + p.Name
	}
	return Policy{
		Name: "tenant-class(" + strings.Join(parts, ",") + ")",
		Check: func(req *Request, d *Deployment) (bool, string) {
			class, ok := classes[req.Tenant]
			if !ok || req.Tenant == "" {
				class = DefaultTenantClass
			}
			p, ok := policies[class]
			if !ok {
				return true, ""
			}
			if ok, reason := p.Check(req, d); !ok {
				return false, reasons[class] + ": " + reason
			}
			return true, ""
		},
	}
}
