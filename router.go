package llmrouter

import (
	"context"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Router routes chat requests across deployments: it picks a deployment
// every policy allows, admits the request against quotas, retries and fails
// over across providers, and writes one lineage record per request. It runs
// in the caller's process and goroutine; it adds no network hop.
//
// A Router is safe for concurrent use and holds no global lock on the
// request path: per-deployment state (breaker, cooldown, calls in flight,
// limits) lives with each deployment, and quota buckets lock per key. Its
// configuration is a version New builds and Apply replaces (see Apply):
// each request reads the version current when it starts, with one atomic
// load, and keeps it to its end.
type Router struct {
	state atomic.Pointer[serving]

	// Fixed by New, shared by every configuration version.
	sinks  []Sink
	tracer trace.Tracer // nil: tracing off
	meters *metrics     // the instruments; nil: metrics off
	now    func() time.Time
	// realClock: now is time.Now (no WithClock), which calls read as one
	// monotonic reading from a recent wall-clock anchor (call.now).
	realClock bool
	capture   bool
	sleep     func(ctx context.Context, d time.Duration) error
	calls     sync.Pool // *call
	decay     time.Duration
	share     SharedCooldowns

	versions versionLog // Apply's history, under its own lock
}

// generation is one configuration version, as New or Apply built it. It is
// immutable once serving; requests hold it from begin to finish.
type generation struct {
	*Router
	version ConfigVersion
	cfg     *config // what built it: Rollback builds it again

	deployments    []*deployment
	byName         map[string]*deployment
	routes         map[string]*route // routes by name, and one per deployment
	policies       []Policy
	tenantPolicies map[string][]Policy
	quota          QuotaStore
	quotaRules     []routerQuotaRule
	metrics        *metrics // the instruments with this version's attributes
	retry          RetryPolicy
	timeouts       Timeouts
	estimates      TokenEstimates
	budget         *budget
	// policyNames names the router's capability check and router-wide
	// policies, in order, as records list them.
	policyNames []string
	// fixedPolicies is how many of the leading router-wide policies
	// depend on the deployment alone; each deployment holds their answer.
	fixedPolicies int
}

// route is a Route resolved to deployments, flattened in tier order.
type route struct {
	name     string
	members  []*deployment
	tierOf   []int
	tiers    int
	strategy Strategy
	// contentFallback: refusals fail over (Route.ContentFallback).
	contentFallback bool
	// fallback and fallbackOn are Route.Fallback and Route.FallbackOn;
	// fallbackMembers every deployment they may call.
	fallback        []string
	fallbackOn      map[Kind][]string
	fallbackMembers []*deployment
	hedge           Hedge         // with defaults
	hedgeTokens     atomic.Uint64 // float64 bits: the hedging budget's bucket
	// candidates is the lineage record's candidate list before anything
	// happened to them (all unused), copied into each request's record.
	candidates []CandidateRecord
	// open: every member passes the policies answered in New and declares
	// no capabilities (so serves whatever a request needs), so a request
	// with no policies to run and no embeddings allows every member
	// unchecked.
	open bool
	// weighted: the strategy is WeightedRandom; sameWeights: every member
	// has the same Weight (it picks uniformly).
	weighted, sameWeights bool
	// firstTier lists the indexes of the first tier's members (0, 1, …),
	// for the first pick.
	firstTier []int32
	// The price bounds of the members, of the fallback members, and of
	// both: what estimating a request's most cost looks at.
	memberPrices, fallbackPrices, withFallbacks []priceBound
}

// finishRoutes builds what requests copy from their route.
func (g *generation) finishRoutes() {
	for _, rt := range g.routes {
		rt.candidates = make([]CandidateRecord, len(rt.members))
		_, rt.weighted = rt.strategy.(weightedRandom)
		rt.open, rt.sameWeights = true, true
		for i, d := range rt.members {
			rt.sameWeights = rt.sameWeights && weight(&d.Deployment) == weight(&rt.members[0].Deployment)
			rt.candidates[i] = CandidateRecord{Deployment: d.Name, Provider: d.provider, Tier: rt.tierOf[i], Status: CandidateUnused}
			rt.open = rt.open && d.refusedBy == "" && d.Capabilities == 0
			if rt.tierOf[i] == 0 {
				rt.firstTier = append(rt.firstTier, int32(i))
			}
		}
		rt.memberPrices = priceBounds(rt.members)
		rt.fallbackPrices = priceBounds(rt.fallbackMembers)
		rt.withFallbacks = priceBounds(append(slices.Clip(rt.members), rt.fallbackMembers...))
	}
	g.policyNames = append(g.policyNames, builtinCapabilityCheck)
	for _, p := range g.policies {
		g.policyNames = append(g.policyNames, p.Name)
	}
}

// New builds a Router. It validates the whole configuration once and
// returns a *ConfigError naming the first faulty field.
func New(opts ...Option) (*Router, error) {
	c, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	r := &Router{
		sinks:   c.sinks,
		now:     c.clock,
		capture: c.captureContent,
		sleep:   sleepCtx,
		decay:   c.statsDecay,
		share:   c.cooldownShare,
	}
	if r.now == nil {
		r.now, r.realClock = time.Now, true
	}
	if r.decay == 0 {
		r.decay = DefaultStatsDecay
	}
	if tp := c.tracerProvider; tp != nil {
		if _, isNoop := tp.(noop.TracerProvider); !isNoop {
			r.tracer = tp.Tracer(scopeName, trace.WithInstrumentationVersion(Version))
		}
	}
	if r.meters, err = newMetrics(c.meterProvider); err != nil {
		return nil, &ConfigError{"MeterProvider", "creating instruments: " + err.Error()}
	}
	g := r.build(c, nil)
	r.state.Store(&serving{cur: g})
	r.versions.add(g)
	if r.share != nil {
		r.shareCooldowns(r.share)
	}
	r.calls.New = func() any { return new(call) }
	return r, nil
}

// buildConfig applies opts and validates the configuration they describe.
func buildConfig(opts []Option) (*config, error) {
	c := new(config)
	for _, o := range opts {
		o(c)
	}
	if c.fromData != nil {
		if err := c.fromData.translate(c); err != nil {
			return nil, err
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if err := c.limitShare.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// build makes the configuration version c describes. The live state of
// each deployment that prev (or a canary beside it) also has carries over,
// as do the retry budget, the hedging budgets and a default quota store.
func (r *Router) build(c *config, prev *serving) *generation {
	g := &generation{
		Router:         r,
		cfg:            c,
		routes:         map[string]*route{},
		byName:         map[string]*deployment{},
		policies:       c.policies,
		tenantPolicies: c.tenantPolicies,
		quota:          c.quotaStore,
		quotaRules:     c.quotaRules,
		retry:          c.retry.withDefaults(),
		timeouts:       c.timeouts,
		estimates:      c.estimates.withDefaults(),
	}
	g.version = ConfigVersion{ID: c.hash(), Label: c.label, Applied: r.now()}
	old := prev.lookup
	if p := prev.find(func(o *generation) bool { return o.retry.Budget == g.retry.Budget }); p != nil {
		g.budget = p.budget
	} else {
		g.budget = newBudget(g.retry.Budget)
	}
	if c.quotaDefault {
		if p := prev.find(func(o *generation) bool { return o.cfg.quotaDefault }); p != nil {
			g.quota = p.quota // a Config without a store keeps its counters across versions
		}
	}
	bp := c.breaker.withDefaults()
	for _, d := range c.deployments {
		dep := newDeployment(d, bp, old(d.Name))
		dep.decay = float64(r.decay)
		dep.nameHash = hashString(d.Name)
		if dep.share == nil && r.share != nil {
			dep.share = r.share.Publish // a new health, not yet shared
		}
		g.deployments = append(g.deployments, dep)
		g.byName[d.Name] = dep
		g.routes[d.Name] = &route{name: d.Name, members: []*deployment{dep}, tierOf: []int{0}, tiers: 1, strategy: WeightedRandom}
	}
	g.answerFixedPolicies()
	if c.limitShare != nil {
		g.shareLimits(c.limitShare, old)
	}
	for _, nr := range c.routes {
		rt := &route{name: nr.name, tiers: len(nr.route.Tiers), strategy: nr.route.Strategy,
			contentFallback: nr.route.ContentFallback, hedge: nr.route.Hedge.withDefaults()}
		if rt.strategy == nil {
			rt.strategy = WeightedRandom
		}
		for t, tier := range nr.route.Tiers {
			for _, name := range tier {
				rt.members = append(rt.members, g.byName[name])
				rt.tierOf = append(rt.tierOf, t)
			}
		}
		if p := prev.find(func(o *generation) bool { return o.routes[nr.name] != nil }); p != nil {
			rt.hedgeTokens.Store(p.routes[nr.name].hedgeTokens.Load())
		}
		g.routes[nr.name] = rt
	}
	g.resolveFallbacks(c.routes)
	g.finishRoutes()
	g.metrics = r.meters.forVersion(g)
	return g
}

// Chat routes req and returns the answer of the first deployment that
// serves it.
//
// It returns a *RequestError (ErrInvalidRequest) for a malformed request, a
// *QuotaError (ErrQuotaExceeded) when a quota refuses it, and a *RouteError
// otherwise: its cause is ErrPolicyDenied, ErrNoRoute, the context's error,
// or the *ProviderError of a provider that stopped the request, and it lists
// every attempt. Nothing is sent upstream for an invalid, refused or denied
// request.
func (r *Router) Chat(ctx context.Context, req *Request) (resp *Response, err error) {
	c := r.serve(req).begin(ctx, req, false)
	route, finished := c.req.Model, false
	defer func() {
		if v := recover(); v != nil {
			resp, err = nil, c.backstop(route, finished, v)
		}
	}()
	resp, err = c.chat()
	finished = true
	c.finish(resp, err)
	return resp, err
}

// ChatStream routes req and returns its answer as a stream. Failures before
// the first visible chunk (text, reasoning or a tool-call delta) fail over
// unseen, so once ChatStream returns a stream, a deployment has started
// answering. ChatStream returns the same errors as Chat.
//
// The caller must read the stream to its end or Close it: the request's
// quota settles and its lineage record is written then.
func (r *Router) ChatStream(ctx context.Context, req *Request) (s *Stream, err error) {
	c := r.serve(req).begin(ctx, req, true)
	route, finished := c.req.Model, false
	defer func() {
		if v := recover(); v != nil {
			s, err = nil, c.backstop(route, finished, v)
		}
	}()
	st, err := c.openStream()
	finished = true
	if err != nil {
		c.finish(nil, err)
		return nil, err
	}
	return newStream(st), nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *config) validate() error {
	names := map[string]bool{}
	checked := map[Provider]error{}
	for i, d := range c.deployments {
		f := "Deployments[" + strconv.Itoa(i) + "]"
		switch {
		case d.Name == "":
			return &ConfigError{f + ".Name", "empty: every deployment needs a unique name"}
		case names[d.Name]:
			return &ConfigError{f + ".Name", "duplicate name " + strconv.Quote(d.Name)}
		case d.Provider == nil:
			return &ConfigError{f + ".Provider", "nil: deployment " + strconv.Quote(d.Name) + " needs a provider"}
		case d.Weight < 0 || math.IsNaN(d.Weight) || math.IsInf(d.Weight, 0):
			return &ConfigError{f + ".Weight", "must be zero (meaning 1) or positive"}
		case d.RPM < 0 || d.TPM < 0 || d.MaxConcurrency < 0:
			return &ConfigError{f + ".RPM/TPM/MaxConcurrency", "negative limit"}
		case d.ContextWindow < 0 || d.MaxOutputTokens < 0:
			return &ConfigError{f + ".ContextWindow/MaxOutputTokens", "negative"}
		case !validPrice(d.Price):
			return &ConfigError{f + ".Price", "prices must be zero or positive"}
		}
		if err := validateDeploymentOverrides(f, &d); err != nil {
			return err
		}
		names[d.Name] = true
		if cc, ok := d.Provider.(ConfigChecker); ok {
			var err error
			if isComparable(d.Provider) {
				var seen bool
				if err, seen = checked[d.Provider]; !seen {
					err = safeCheckConfig(cc)
					checked[d.Provider] = err
				}
			} else {
				err = safeCheckConfig(cc)
			}
			if err != nil {
				return &ConfigError{f + ".Provider", "deployment " + strconv.Quote(d.Name) + ": " + err.Error()}
			}
		}
	}
	routes := map[string]bool{}
	for _, nr := range c.routes {
		f := "Routes[" + strconv.Quote(nr.name) + "]"
		switch {
		case nr.name == "":
			return &ConfigError{"Routes", "a route has an empty name"}
		case routes[nr.name]:
			return &ConfigError{f, "duplicate route name"}
		case names[nr.name]:
			return &ConfigError{f, "route has the name of a deployment; requests could not tell them apart"}
		case !nr.route.Hedge.valid():
			return &ConfigError{f + ".Hedge", "Delay must not be negative, MaxExtra within [0, 1]"}
		case len(nr.route.Tiers) == 0:
			return &ConfigError{f + ".Tiers", "empty: a route needs at least one deployment"}
		}
		routes[nr.name] = true
		inRoute := map[string]bool{}
		for t, tier := range nr.route.Tiers {
			if len(tier) == 0 {
				return &ConfigError{f + ".Tiers[" + strconv.Itoa(t) + "]", "empty tier"}
			}
			for j, name := range tier {
				ff := f + ".Tiers[" + strconv.Itoa(t) + "][" + strconv.Itoa(j) + "]"
				if !names[name] {
					return &ConfigError{ff, "unknown deployment " + strconv.Quote(name)}
				}
				if inRoute[name] {
					return &ConfigError{ff, "deployment " + strconv.Quote(name) + " appears twice in the route"}
				}
				inRoute[name] = true
			}
		}
	}
	if err := validateRouteFallbacks(c.routes, names, routes); err != nil {
		return err
	}
	if err := validatePolicies("Policies", c.policies); err != nil {
		return err
	}
	for tenant, ps := range c.tenantPolicies {
		if err := validatePolicies("TenantPolicies["+strconv.Quote(tenant)+"]", ps); err != nil {
			return err
		}
	}
	if c.quotaSet && c.quotaStore == nil {
		return &ConfigError{"Quota.Store", "nil store"}
	}
	for i, q := range c.quotaRules {
		if err := q.validate("Quota.Rules[" + strconv.Itoa(i) + "]"); err != nil {
			return err
		}
	}
	for i, s := range c.sinks {
		if s == nil {
			return &ConfigError{"Lineage[" + strconv.Itoa(i) + "]", "nil sink"}
		}
	}
	p := c.retry
	if p.MaxAttempts < 0 || p.AttemptsPerDeployment < 0 || p.InitialBackoff < 0 || p.MaxBackoff < 0 || p.MaxWait < 0 || p.Cooldown < 0 || p.CooldownAfter < 0 {
		return &ConfigError{"Retry", "negative setting"}
	}
	if err := validateRetriesPerKind(p); err != nil {
		return err
	}
	if b := p.Budget; b.Tokens < 0 || b.Ratio < 0 || math.IsNaN(b.Tokens) || math.IsNaN(b.Ratio) {
		return &ConfigError{"Retry.Budget", "negative setting"}
	}
	t := c.timeouts
	if t.Total < 0 || t.Attempt < 0 || t.FirstToken < 0 || t.Idle < 0 {
		return &ConfigError{"Timeouts", "negative timeout"}
	}
	// A timeout under a millisecond is a unit mistake (Idle: 3 is 3ns), and
	// the idle watchdog would tick without pause.
	for _, f := range [...]struct {
		name string
		d    time.Duration
	}{{"Total", t.Total}, {"Attempt", t.Attempt}, {"FirstToken", t.FirstToken}, {"Idle", t.Idle}} {
		if f.d > 0 && f.d < time.Millisecond {
			return &ConfigError{"Timeouts." + f.name, f.d.String() + " is under a millisecond; use zero for no timeout"}
		}
	}
	if b := c.breaker; b.FailureRatio < 0 || b.FailureRatio > 1 || b.Interval < 0 || b.OpenFor < 0 {
		return &ConfigError{"Breaker", "FailureRatio must be within [0,1]; durations must not be negative"}
	}
	if c.statsDecay < 0 {
		return &ConfigError{"StatsDecay", "negative: use zero for the default (30s)"}
	}
	if c.estimates.DefaultOutput < 0 {
		return &ConfigError{"TokenEstimates.DefaultOutput", "negative"}
	}
	if c.estimates.DefaultOutput > MaxRequestTokens {
		return &ConfigError{"TokenEstimates.DefaultOutput", "above MaxRequestTokens (" + strconv.Itoa(MaxRequestTokens) + ")"}
	}
	return nil
}

func validPrice(p Price) bool {
	for _, v := range [...]float64{p.InputPerMTok, p.OutputPerMTok, p.CachedInputPerMTok, p.CacheWritePerMTok, p.CacheWrite1hPerMTok} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func validatePolicies(field string, ps []Policy) error {
	for i, p := range ps {
		f := field + "[" + strconv.Itoa(i) + "]"
		if p.Name == "" {
			return &ConfigError{f + ".Name", "empty: policies are named in lineage and errors"}
		}
		if p.Check == nil {
			return &ConfigError{f + ".Check", "nil"}
		}
	}
	return nil
}

func (q QuotaRule) validate(f string) error {
	if q.Name == "" {
		return &ConfigError{f + ".Name", "empty"}
	}
	if q.Key == nil {
		return &ConfigError{f + ".Key", "nil"}
	}
	for j, l := range q.Limits {
		lf := f + ".Limits[" + strconv.Itoa(j) + "]"
		if l.Requests < 0 || l.Tokens < 0 || l.USD < 0 || l.Concurrent < 0 || l.Window < 0 || math.IsNaN(l.USD) {
			return &ConfigError{lf, "negative limit"}
		}
		if math.IsInf(l.USD, 0) {
			return &ConfigError{lf + ".USD", "infinite: use zero for no limit"}
		}
		if l.Window == 0 && (l.Requests > 0 || l.Tokens > 0 || l.USD > 0) {
			return &ConfigError{lf + ".Window", "zero: a requests, tokens or USD limit needs a window"}
		}
		if l.Requests == 0 && l.Tokens == 0 && l.USD == 0 && l.Concurrent == 0 {
			return &ConfigError{lf, "limits nothing"}
		}
	}
	return nil
}
