package llmrouter

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"slices"
	"time"
)

// ConfigVersion identifies one version of a router's configuration.
type ConfigVersion struct {
	// ID is a hash of the configuration's content: equal configurations
	// have equal IDs, on every replica. It covers what is data (the
	// catalog, routes, limits, retry, timeouts, breaker...); code that the
	// configuration refers to (a provider, a policy built in code, a
	// strategy, a quota key function) counts by its name or type only; a
	// policy from a Config's data counts by every value.
	ID string
	// Label is the configuration's Config.Label (or WithLabel), for people.
	Label string
	// Applied is when New or Apply made it (router clock).
	Applied time.Time
}

// String returns the ID, with the label in parentheses when there is one.
func (v ConfigVersion) String() string {
	if v.Label == "" {
		return v.ID
	}
	return v.ID + " (" + v.Label + ")"
}

// WithLabel labels the configuration version New or Apply builds
// (ConfigVersion.Label). A Config's Label does the same.
func WithLabel(label string) Option { return func(c *config) { c.label = label } }

// hash is the configuration's content hash: 12 hex digits of SHA-256 over
// a canonical text of what is data in it.
func (c *config) hash() string {
	h := sha256.New()
	for _, d := range c.deployments {
		provider := ""
		if d.Provider != nil {
			provider = d.Provider.Name()
		}
		d.Provider = nil // a pointer: its address differs per process
		extra := d.Extra // may be a pointer too (an adapter's *Extra)
		d.Extra = nil
		fmt.Fprintf(h, "deployment %s %+v\n", provider, d)
		hashExtra(h, extra)
	}
	for _, nr := range c.routes {
		rt := nr.route
		fmt.Fprintf(h, "route %q %T ", nr.name, rt.Strategy)
		rt.Strategy = nil
		fmt.Fprintf(h, "%+v\n", rt)
	}
	hashPolicies(h, "policies", c.policies)
	tenants := make([]string, 0, len(c.tenantPolicies))
	for t := range c.tenantPolicies {
		tenants = append(tenants, t)
	}
	slices.Sort(tenants)
	for _, t := range tenants {
		hashPolicies(h, "tenant "+t, c.tenantPolicies[t])
	}
	for _, q := range c.quotaRules {
		fmt.Fprintf(h, "quota %q %+v\n", q.Name, q.Limits)
	}
	if d := c.fromData; d != nil {
		// Policies count by name in code; from data, by every value.
		// (JSON: it follows pointers and sorts map keys.)
		data, _ := json.Marshal([]any{d.Policies, d.TenantPolicies, d.Tenants})
		fmt.Fprintf(h, "data policies %s\n", data)
	}
	fmt.Fprintf(h, "quota store %T\n", c.quotaStore)
	fmt.Fprintf(h, "retry %+v\ntimeouts %+v\nbreaker %+v\noutput %d\n", c.retry, c.timeouts, c.breaker, c.estimates.DefaultOutput)
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// hashExtra writes a deployment's Extra by its type and its JSON, which
// follows pointers (%v would print their addresses, different in every
// process and on every build of the same file). A value JSON cannot encode
// counts by its type alone.
func hashExtra(h hash.Hash, extra any) {
	if extra == nil {
		return
	}
	data, _ := json.Marshal(extra)
	fmt.Fprintf(h, "extra %T %s\n", extra, data)
}

func hashPolicies(h hash.Hash, what string, ps []Policy) {
	fmt.Fprintf(h, "%s", what)
	for _, p := range ps {
		fmt.Fprintf(h, " %q", p.Name)
	}
	fmt.Fprintln(h)
}
