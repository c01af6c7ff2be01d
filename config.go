package llmrouter

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Config is a router's configuration as data: what code builds with
// options, in a form a file can fill (the config package reads YAML and
// JSON into it, with the field names of the yaml tags below). Things that
// are code, not data, are referenced by name from registries the service
// fills: providers (so no key is ever in a file), custom policies and
// strategies. Lineage sinks, tracing, metrics and the clock stay options.
//
// Pass it with WithConfig; New translates it and validates the whole
// configuration, returning a *ConfigError whose Field is the data path of
// the faulty value ("routes.chat.tiers[1][0]", "deployments[2].provider").
type Config struct {
	// Label names this version of the configuration for people.
	Label string `yaml:"label,omitempty"`
	// Deployments is the catalog.
	Deployments []DeploymentSpec `yaml:"deployments"`
	// Routes are the named routes.
	Routes map[string]RouteSpec `yaml:"routes,omitempty"`
	// Tenants declares tenants' attributes, read by tenant_class policies.
	Tenants map[string]TenantSpec `yaml:"tenants,omitempty"`
	// Policies apply to every request; TenantPolicies to one tenant's.
	Policies       []PolicySpec            `yaml:"policies,omitempty"`
	TenantPolicies map[string][]PolicySpec `yaml:"tenant_policies,omitempty"`
	// Quotas are enforced in the QuotaStore registered in code, or in a
	// new memory store when none is.
	Quotas   []QuotaSpec   `yaml:"quotas,omitempty"`
	Retry    RetryPolicy   `yaml:"retry,omitempty"`
	Timeouts Timeouts      `yaml:"timeouts,omitempty"`
	Breaker  BreakerPolicy `yaml:"breaker,omitempty"`

	// Registries, filled in code.

	// Providers by the name deployments give in DeploymentSpec.Provider.
	Providers map[string]Provider `yaml:"-"`
	// CustomPolicies by the name PolicySpec.Custom gives.
	CustomPolicies map[string]Policy `yaml:"-"`
	// Strategies by the name RouteSpec.Strategy gives, besides the
	// built-in ones ("weighted_random", "least_busy").
	Strategies map[string]Strategy `yaml:"-"`
	// QuotaStore keeps the quotas' counters. Nil means a new memory store.
	QuotaStore QuotaStore `yaml:"-"`
}

// DeploymentSpec is a Deployment as data: its provider is named.
type DeploymentSpec struct {
	Name string `yaml:"name"`
	// Provider names an entry of Config.Providers.
	Provider        string  `yaml:"provider"`
	Model           string  `yaml:"model,omitempty"`
	Region          string  `yaml:"region,omitempty"`
	Price           Price   `yaml:"price,omitempty"`
	ContextWindow   int     `yaml:"context_window,omitempty"`
	MaxOutputTokens int     `yaml:"max_output_tokens,omitempty"`
	Weight          float64 `yaml:"weight,omitempty"`
	// Capabilities lists capability names ("tools", "json", "vision",
	// "streaming", "reasoning", "embeddings", "image_url").
	Capabilities []string `yaml:"capabilities,omitempty"`
	// Retention is "zero", "limited", "stored" or empty (unknown).
	Retention      string            `yaml:"retention,omitempty"`
	RPM            int               `yaml:"rpm,omitempty"`
	TPM            int               `yaml:"tpm,omitempty"`
	MaxConcurrency int               `yaml:"max_concurrency,omitempty"`
	Labels         map[string]string `yaml:"labels,omitempty"`
	// Timeouts and Breaker are the deployment's own settings over the
	// router's (Deployment.Timeouts, Deployment.Breaker).
	Timeouts Timeouts      `yaml:"timeouts,omitempty"`
	Breaker  BreakerPolicy `yaml:"breaker,omitempty"`
}

// TenantSpec is what the configuration declares of a tenant.
type TenantSpec struct {
	// Class groups tenants for tenant_class policies ("regulated").
	Class string `yaml:"class,omitempty"`
}

// RouteSpec is a Route as data.
type RouteSpec struct {
	Tiers [][]string `yaml:"tiers"`
	// Strategy is "weighted_random" (the default), "least_busy",
	// "least_latency", "cheapest", or a name in Config.Strategies.
	Strategy string `yaml:"strategy,omitempty"`
	// Fallback is Route.Fallback: the routes a request moves to when this
	// one has nowhere left to go.
	Fallback []string `yaml:"fallback,omitempty"`
	// FallbackOn is Route.FallbackOn, keyed by kind name
	// ("context_length", "content_policy").
	FallbackOn map[string][]string `yaml:"fallback_on,omitempty"`
}

// PolicySpec is one policy as data: exactly one of its fields is set.
type PolicySpec struct {
	RegionIn       []string      `yaml:"region_in,omitempty"`
	AllowProviders []string      `yaml:"allow_providers,omitempty"`
	DenyProviders  []string      `yaml:"deny_providers,omitempty"`
	ZeroRetention  bool          `yaml:"zero_retention,omitempty"`
	Capabilities   []string      `yaml:"capabilities,omitempty"`
	MaxPrice       *MaxPriceSpec `yaml:"max_price,omitempty"`
	ContextFits    bool          `yaml:"context_fits,omitempty"`
	// Labels allows deployments whose labels hold every pair (LabelsMatch).
	Labels map[string]string `yaml:"labels,omitempty"`
	// TenantClass maps tenant classes (Config.Tenants; "default" for the
	// rest) to the policy their requests obey (ByTenantClass).
	TenantClass map[string]PolicySpec `yaml:"tenant_class,omitempty"`
	// Custom names an entry of Config.CustomPolicies.
	Custom string       `yaml:"custom,omitempty"`
	All    []PolicySpec `yaml:"all,omitempty"`
	Any    []PolicySpec `yaml:"any,omitempty"`
	Not    *PolicySpec  `yaml:"not,omitempty"`
}

// MaxPriceSpec is the MaxPrice policy as data, in US dollars per million
// tokens; zero leaves a side unlimited.
type MaxPriceSpec struct {
	Input  float64 `yaml:"input,omitempty"`
	Output float64 `yaml:"output,omitempty"`
}

// QuotaSpec is a QuotaRule as data.
type QuotaSpec struct {
	// Per is "tenant", "user", "global" or "label:NAME".
	Per    string  `yaml:"per"`
	Limits []Limit `yaml:"limits"`
}

// WithConfig configures the router from cfg, on top of the other options
// given to New (which may add sinks, tracing, metrics, more deployments).
func WithConfig(cfg *Config) Option { return func(c *config) { c.fromData = cfg } }

// translate turns the data configuration into options, checking every
// name it references. Field paths in its errors are data paths.
func (cfg *Config) translate(c *config) error {
	if cfg.Label != "" {
		c.label = cfg.Label
	}
	known := map[string]bool{}
	for i, ds := range cfg.Deployments {
		f := "deployments[" + strconv.Itoa(i) + "]"
		p, ok := cfg.Providers[ds.Provider]
		switch {
		case ds.Provider == "":
			return &ConfigError{f + ".provider", "empty: name a provider registered in Config.Providers"}
		case !ok || p == nil:
			return &ConfigError{f + ".provider", "unknown provider " + strconv.Quote(ds.Provider) + registered(cfg.Providers)}
		}
		caps, err := parseCapabilities(f+".capabilities", ds.Capabilities)
		if err != nil {
			return err
		}
		ret, err := parseRetention(f+".retention", ds.Retention)
		if err != nil {
			return err
		}
		c.deployments = append(c.deployments, Deployment{Name: ds.Name, Provider: p, Model: ds.Model, Region: ds.Region,
			Price: ds.Price, ContextWindow: ds.ContextWindow, MaxOutputTokens: ds.MaxOutputTokens, Capabilities: caps,
			Retention: ret, RPM: ds.RPM, TPM: ds.TPM, MaxConcurrency: ds.MaxConcurrency, Weight: ds.Weight, Labels: ds.Labels,
			Timeouts: ds.Timeouts, Breaker: ds.Breaker})
		known[ds.Name] = true
	}
	for _, name := range sortedKeys(cfg.Routes) {
		rs := cfg.Routes[name]
		f := "routes." + name
		for t, tier := range rs.Tiers {
			for j, d := range tier {
				if !known[d] {
					return &ConfigError{f + ".tiers[" + strconv.Itoa(t) + "][" + strconv.Itoa(j) + "]", "unknown deployment " + strconv.Quote(d)}
				}
			}
		}
		s, err := cfg.strategy(f+".strategy", rs.Strategy)
		if err != nil {
			return err
		}
		on, err := fallbackOn(f+".fallback_on", rs.FallbackOn)
		if err != nil {
			return err
		}
		c.routes = append(c.routes, namedRoute{name, Route{Tiers: rs.Tiers, Strategy: s, Fallback: rs.Fallback, FallbackOn: on}})
	}
	ps, err := cfg.policies("policies", cfg.Policies)
	if err != nil {
		return err
	}
	c.policies = append(c.policies, ps...)
	for _, tenant := range sortedKeys(cfg.TenantPolicies) {
		ps, err := cfg.policies("tenant_policies."+tenant, cfg.TenantPolicies[tenant])
		if err != nil {
			return err
		}
		WithTenantPolicies(tenant, ps...)(c)
	}
	if len(cfg.Quotas) > 0 {
		var rules []QuotaRule
		for i, q := range cfg.Quotas {
			f := "quotas[" + strconv.Itoa(i) + "]"
			rule, err := quotaRule(f+".per", q)
			if err != nil {
				return err
			}
			if err := rule.validate(f); err != nil {
				if ce, ok := err.(*ConfigError); ok {
					ce.Field = strings.ToLower(ce.Field) // data names: limits[0].window
				}
				return err
			}
			rules = append(rules, rule)
		}
		store := cfg.QuotaStore
		if store == nil {
			store, c.quotaDefault = NewMemoryQuotaStore(), true
		}
		WithQuota(store, rules...)(c)
	}
	if !cfg.Retry.isZero() {
		c.retry = cfg.Retry
	}
	if cfg.Timeouts != (Timeouts{}) {
		c.timeouts = cfg.Timeouts
	}
	if cfg.Breaker != (BreakerPolicy{}) {
		c.breaker = cfg.Breaker
	}
	return nil
}

// strategy resolves a strategy name.
func (cfg *Config) strategy(field, name string) (Strategy, error) {
	switch name {
	case "", "weighted_random":
		return WeightedRandom, nil
	case "least_busy":
		return LeastBusy, nil
	case "least_latency":
		return LeastLatency, nil
	case "cheapest":
		return Cheapest, nil
	}
	if s, ok := cfg.Strategies[name]; ok && s != nil {
		return s, nil
	}
	return nil, &ConfigError{field, "unknown strategy " + strconv.Quote(name) + "; built in: weighted_random, least_busy, least_latency, cheapest" + strings.TrimSuffix(registered(cfg.Strategies), "; none registered")}
}

// policies translates a list of policy specs.
func (cfg *Config) policies(field string, specs []PolicySpec) ([]Policy, error) {
	out := make([]Policy, 0, len(specs))
	for i := range specs {
		p, err := cfg.policy(field+"["+strconv.Itoa(i)+"]", &specs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// policy translates one policy spec, which must set exactly one field.
func (cfg *Config) policy(field string, s *PolicySpec) (Policy, error) {
	var set []string
	var p Policy
	var err error
	if s.RegionIn != nil {
		set, p = append(set, "region_in"), RegionIn(s.RegionIn...)
	}
	if s.AllowProviders != nil {
		set, p = append(set, "allow_providers"), AllowProviders(s.AllowProviders...)
	}
	if s.DenyProviders != nil {
		set, p = append(set, "deny_providers"), DenyProviders(s.DenyProviders...)
	}
	if s.ZeroRetention {
		set, p = append(set, "zero_retention"), RequireZeroRetention()
	}
	if s.Capabilities != nil {
		var caps Capabilities
		if caps, err = parseCapabilities(field+".capabilities", s.Capabilities); err != nil {
			return Policy{}, err
		}
		set, p = append(set, "capabilities"), RequireCapabilities(caps)
	}
	if s.MaxPrice != nil {
		set, p = append(set, "max_price"), MaxPrice(s.MaxPrice.Input, s.MaxPrice.Output)
	}
	if s.ContextFits {
		set, p = append(set, "context_fits"), ContextFits()
	}
	if s.Labels != nil {
		set, p = append(set, "labels"), LabelsMatch(s.Labels)
	}
	if s.TenantClass != nil {
		byClass := make(map[string]Policy, len(s.TenantClass))
		for _, class := range sortedKeys(s.TenantClass) {
			spec := s.TenantClass[class]
			cp, err := cfg.policy(field+".tenant_class."+class, &spec)
			if err != nil {
				return Policy{}, err
			}
			byClass[class] = cp
		}
		classes := make(map[string]string, len(cfg.Tenants))
		for tenant, ts := range cfg.Tenants {
			classes[tenant] = ts.Class
		}
		set, p = append(set, "tenant_class"), ByTenantClass(classes, byClass)
	}
	if s.Custom != "" {
		custom, ok := cfg.CustomPolicies[s.Custom]
		if !ok || custom.Check == nil {
			return Policy{}, &ConfigError{field + ".custom", "unknown policy " + strconv.Quote(s.Custom) + registered(cfg.CustomPolicies)}
		}
		set, p = append(set, "custom"), custom
	}
	for _, group := range []struct {
		name  string
		specs []PolicySpec
		join  func(...Policy) Policy
	}{{"all", s.All, All}, {"any", s.Any, Any}} {
		if group.specs == nil {
			continue
		}
		ps, err := cfg.policies(field+"."+group.name, group.specs)
		if err != nil {
			return Policy{}, err
		}
		set, p = append(set, group.name), group.join(ps...)
	}
	if s.Not != nil {
		inner, err := cfg.policy(field+".not", s.Not)
		if err != nil {
			return Policy{}, err
		}
		set, p = append(set, "not"), Not(inner)
	}
	switch len(set) {
	case 0:
		return Policy{}, &ConfigError{field, "empty: set one of region_in, allow_providers, deny_providers, zero_retention, capabilities, max_price, context_fits, labels, tenant_class, custom, all, any, not"}
	case 1:
		return p, nil
	}
	return Policy{}, &ConfigError{field, "sets " + strings.Join(set, " and ") + "; an entry sets exactly one policy (combine them with all)"}
}

// quotaRule makes the rule a quota spec names.
func quotaRule(field string, q QuotaSpec) (QuotaRule, error) {
	switch {
	case q.Per == "tenant":
		return PerTenant(q.Limits...), nil
	case q.Per == "user":
		return PerUser(q.Limits...), nil
	case q.Per == "global":
		return Global(q.Limits...), nil
	case strings.HasPrefix(q.Per, "label:") && len(q.Per) > len("label:"):
		return PerLabel(strings.TrimPrefix(q.Per, "label:"), q.Limits...), nil
	}
	return QuotaRule{}, &ConfigError{field, "unknown " + strconv.Quote(q.Per) + ": want tenant, user, global or label:NAME"}
}

func parseCapabilities(field string, names []string) (Capabilities, error) {
	var caps Capabilities
	for i, n := range names {
		found := false
		for _, cn := range capabilityNames {
			if cn.name == n {
				caps, found = caps|cn.cap, true
			}
		}
		if !found {
			return 0, &ConfigError{field + "[" + strconv.Itoa(i) + "]", "unknown capability " + strconv.Quote(n) + " (want " + Capabilities(1<<len(capabilityNames)-1).String() + ")"}
		}
	}
	return caps, nil
}

func parseRetention(field, s string) (Retention, error) {
	for _, r := range [...]Retention{RetentionUnknown, ZeroRetention, LimitedRetention, StoredRetention} {
		if s == r.String() || (s == "" && r == RetentionUnknown) {
			return r, nil
		}
	}
	return 0, &ConfigError{field, "unknown retention " + strconv.Quote(s) + " (want zero, limited, stored or unknown)"}
}

// registered lists a registry's names for an error message.
func registered[V any](m map[string]V) string {
	if len(m) == 0 {
		return "; none registered"
	}
	return "; registered: " + strings.Join(sortedKeys(m), ", ")
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
