package llmrouter

import (
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Option configures a Router in New.
type Option func(*config)

type config struct {
	deployments    []Deployment
	routes         []namedRoute
	policies       []Policy
	tenantPolicies map[string][]Policy
	quotaStore     QuotaStore
	quotaRules     []routerQuotaRule
	quotaSet       bool
	sinks          []Sink
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	retry          RetryPolicy
	timeouts       Timeouts
	breaker        BreakerPolicy
	clock          func() time.Time
	estimates      TokenEstimates
	captureContent bool
	fromData       *Config
	statsDecay     time.Duration
	cooldownShare  SharedCooldowns
	limitShare     *limitShare
	label          string // WithLabel, Config.Label
	quotaDefault   bool   // the quota store is the memory store a Config made
}

type namedRoute struct {
	name  string
	route Route
}

// WithDeployments adds deployments to the catalog. Each may be named in
// routes, or called directly by naming it in Request.Model.
func WithDeployments(ds ...Deployment) Option {
	return func(c *config) { c.deployments = append(c.deployments, ds...) }
}

// WithRoute adds a named route. Requests name it in Request.Model.
func WithRoute(name string, r Route) Option {
	return func(c *config) { c.routes = append(c.routes, namedRoute{name, r}) }
}

// WithPolicies adds policies that apply to every request.
func WithPolicies(ps ...Policy) Option {
	return func(c *config) { c.policies = append(c.policies, ps...) }
}

// WithTenantPolicies adds policies that apply to the requests of one tenant
// (Request.Tenant), on top of the router-wide ones.
func WithTenantPolicies(tenant string, ps ...Policy) Option {
	return func(c *config) {
		if c.tenantPolicies == nil {
			c.tenantPolicies = map[string][]Policy{}
		}
		c.tenantPolicies[tenant] = append(c.tenantPolicies[tenant], ps...)
	}
}

// WithQuota enforces rules, keeping their counters in store. Each request
// reserves its estimated tokens and cost in every rule that applies to it
// before it is sent, and settles to its actual usage when it ends; a request
// that consumed nothing is refunded. The rules are copied, limits included:
// changing a rule or its Limits slice afterwards changes nothing (Apply a
// new configuration instead).
func WithQuota(store QuotaStore, rules ...QuotaRule) Option {
	return func(c *config) {
		c.quotaStore, c.quotaSet = store, true
		for _, rule := range rules {
			q := routerQuotaRule{QuotaRule: rule}
			q.resolve()
			c.quotaRules = append(c.quotaRules, q)
		}
	}
}

// WithLineage sends each request's Record to every sink, in order.
func WithLineage(sinks ...Sink) Option {
	return func(c *config) { c.sinks = append(c.sinks, sinks...) }
}

// WithTracerProvider traces each request with a span, and each attempt with
// a child span carrying the OpenTelemetry GenAI attributes. Without it, or
// with a no-op provider, the router creates no spans and pays nothing for
// tracing. Pass otel.GetTracerProvider() to use the global provider.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tracerProvider = tp }
}

// WithRetry sets how the router retries and fails over. Zero fields keep
// their defaults.
func WithRetry(p RetryPolicy) Option { return func(c *config) { c.retry = p } }

// WithTimeouts bounds requests, attempts and streams. Zero fields are
// unbounded, apart from the caller's context.
func WithTimeouts(t Timeouts) Option { return func(c *config) { c.timeouts = t } }

// WithBreaker sets the circuit breaker each deployment has. Zero fields keep
// their defaults.
func WithBreaker(b BreakerPolicy) Option { return func(c *config) { c.breaker = b } }

// WithClock sets the clock the router reads for quota windows, cooldowns and
// lineage times; tests pass a fake one so that windows pass without
// sleeping. Default: time.Now. Circuit breakers keep real time.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithTokenEstimates replaces how the router estimates tokens before a
// call. Zero fields keep their defaults.
func WithTokenEstimates(e TokenEstimates) Option { return func(c *config) { c.estimates = e } }

// WithContentCapture puts the prompt and the answer's text into lineage
// records (Record.Content). Off by default: records then hold only a hash
// and sizes of the prompt.
func WithContentCapture(on bool) Option { return func(c *config) { c.captureContent = on } }

// RetryPolicy says how the router retries and fails over. The zero value
// takes every default.
type RetryPolicy struct {
	// MaxAttempts caps the calls made for one request, retries and
	// failovers together. Default 5.
	MaxAttempts int `yaml:"max_attempts,omitempty"`
	// AttemptsPerDeployment caps the calls to one deployment for one
	// request; a ClassRetry failure past it fails over. Default 2.
	AttemptsPerDeployment int `yaml:"attempts_per_deployment,omitempty"`
	// InitialBackoff and MaxBackoff bound the exponential backoff (factor 2,
	// ±50% jitter) between retries of one deployment. One backoff serves
	// the whole request. Defaults 250ms and 8s.
	InitialBackoff time.Duration `yaml:"initial_backoff,omitempty"`
	MaxBackoff     time.Duration `yaml:"max_backoff,omitempty"`
	// MaxWait is the longest the router sleeps in one go: for a backoff, for
	// a provider's Retry-After, or for a deployment cooling down when no
	// other can serve. A longer wait fails over, or fails the request when
	// there is nowhere left to go. Default 10s.
	MaxWait time.Duration `yaml:"max_wait,omitempty"`
	// Cooldown is how long a throttled call's deployment is avoided when
	// the provider did not say for how long (a 429 without Retry-After).
	// Default 5s.
	Cooldown time.Duration `yaml:"cooldown,omitempty"`
	// MaxRetryAfter caps every wait a provider announces (Retry-After
	// headers, retry delays in error bodies, rate-limit reset times): a
	// provider asking for an hour, or a year, cools its deployment for at
	// most this long. Default 5m.
	MaxRetryAfter time.Duration `yaml:"max_retry_after,omitempty"`
	// CooldownAfter is how many rate-limited calls in a row make a
	// deployment cool down for every request, for the Retry-After (or
	// Cooldown). Before that, only the request that was throttled avoids
	// it. Default 3.
	CooldownAfter int `yaml:"cooldown_after,omitempty"`
	// Budget bounds retries and failovers across all requests.
	Budget RetryBudget `yaml:"budget,omitempty"`
	// RouteAttempts, when above zero, caps the calls a request makes on one
	// route (its own, then each fallback route), retries and failovers
	// together; past it the request moves to its next fallback route
	// (Route.Fallback, Request.Fallback) or ends with ErrNoRoute. It is
	// LiteLLM's num_retries plus one. Zero: only MaxAttempts bounds them.
	RouteAttempts int `yaml:"route_attempts,omitempty"`
	// RetriesPerKind, for the kinds it names, bounds how often a failure
	// of that kind is retried on one route: the route ends (and the
	// request moves to its fallback routes) at the kind's N+1th failure
	// there, and 0 ends it at the first. A failure whose class would stop
	// the request (content policy, bad request) is retried on the route
	// while its kind has retries left. Kinds not named keep their class and
	// RouteAttempts. It is LiteLLM's retry_policy; nil names none.
	RetriesPerKind map[Kind]int `yaml:"retries_per_kind,omitempty"`
}

// isZero reports whether p sets nothing (it holds a map, so == cannot say).
func (p RetryPolicy) isZero() bool {
	return p.MaxAttempts == 0 && p.AttemptsPerDeployment == 0 && p.InitialBackoff == 0 && p.MaxBackoff == 0 &&
		p.MaxWait == 0 && p.Cooldown == 0 && p.MaxRetryAfter == 0 && p.CooldownAfter == 0 &&
		p.Budget == (RetryBudget{}) && p.RouteAttempts == 0 && p.RetriesPerKind == nil
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	def(&p.MaxAttempts, 5)
	def(&p.AttemptsPerDeployment, 2)
	def(&p.InitialBackoff, 250*time.Millisecond)
	def(&p.MaxBackoff, 8*time.Second)
	def(&p.MaxWait, 10*time.Second)
	def(&p.Cooldown, 5*time.Second)
	def(&p.CooldownAfter, 3)
	def(&p.MaxRetryAfter, 5*time.Minute)
	p.Budget = p.Budget.withDefaults()
	return p
}

// Timeouts bound a request. Zero fields are unbounded.
type Timeouts struct {
	// Total bounds the whole request: every attempt, wait and failover, and
	// for a stream its whole reading.
	Total time.Duration `yaml:"total,omitempty"`
	// Attempt bounds one non-streaming call.
	Attempt time.Duration `yaml:"attempt,omitempty"`
	// FirstToken bounds how long a streaming attempt may take to produce
	// its first visible chunk; past it the router fails over.
	FirstToken time.Duration `yaml:"first_token,omitempty"`
	// Idle bounds the gap between two chunks of a stream. A stall is noticed
	// between Idle and 1.25×Idle after the last chunk.
	Idle time.Duration `yaml:"idle,omitempty"`
}

// BreakerPolicy configures the circuit breaker of each deployment. An open
// breaker takes its deployment out of routing at once, without waiting;
// after OpenFor it lets HalfOpenProbes calls through, and closes when they
// succeed. Server, timeout, transport, malformed-answer, auth, billing,
// not-found and panic failures count against it; cancellations, bad
// requests, content-policy and context-length refusals do not, and rate
// limits cool the deployment down instead (RetryPolicy.Cooldown). The zero
// value takes every default.
type BreakerPolicy struct {
	// ConsecutiveFailures trips the breaker. Default 5.
	ConsecutiveFailures uint32 `yaml:"consecutive_failures,omitempty"`
	// FailureRatio, when above 0, also trips the breaker once MinRequests
	// calls in the current Interval fail at this ratio or more.
	FailureRatio float64 `yaml:"failure_ratio,omitempty"`
	MinRequests  uint32  `yaml:"min_requests,omitempty"`
	// Interval is the period after which a closed breaker forgets its
	// counts. Default 60s.
	Interval time.Duration `yaml:"interval,omitempty"`
	// OpenFor is how long the breaker stays open. Default 30s.
	OpenFor time.Duration `yaml:"open_for,omitempty"`
	// HalfOpenProbes is how many calls a half-open breaker lets through.
	// Default 1.
	HalfOpenProbes uint32 `yaml:"half_open_probes,omitempty"`
	// Failures, when above 0, also trips the breaker once this many calls
	// fail within the current Interval, in a row or not (LiteLLM's
	// allowed_fails plus one).
	Failures uint32 `yaml:"failures,omitempty"`
	// Disabled turns breakers off.
	Disabled bool `yaml:"disabled,omitempty"`
}

// over returns base with every field b sets replacing base's: a
// deployment's own breaker settings over the router's.
func (b BreakerPolicy) over(base BreakerPolicy) BreakerPolicy {
	override(&base.ConsecutiveFailures, b.ConsecutiveFailures)
	override(&base.FailureRatio, b.FailureRatio)
	override(&base.MinRequests, b.MinRequests)
	override(&base.Interval, b.Interval)
	override(&base.OpenFor, b.OpenFor)
	override(&base.HalfOpenProbes, b.HalfOpenProbes)
	override(&base.Failures, b.Failures)
	base.Disabled = base.Disabled || b.Disabled
	return base
}

func (b BreakerPolicy) withDefaults() BreakerPolicy {
	def(&b.ConsecutiveFailures, 5)
	def(&b.Interval, 60*time.Second)
	def(&b.OpenFor, 30*time.Second)
	def(&b.HalfOpenProbes, 1)
	return b
}

// TokenEstimates says how the router estimates tokens before a call.
type TokenEstimates struct {
	// Input estimates a request's input tokens. Default (nil)
	// EstimateInputTokens.
	Input func(*Request) int
	// DefaultOutput is the output reserved for a request without
	// MaxOutputTokens. Default 1024.
	DefaultOutput int
}

func (e TokenEstimates) withDefaults() TokenEstimates {
	// A nil Input stays nil: the router then takes EstimateInputTokens'
	// estimate from the pass that validates the request (estimateScanned).
	def(&e.DefaultOutput, 1024)
	return e
}

// def gives *v the default d when it is unset (zero).
func def[T int | uint32 | time.Duration](v *T, d T) {
	if *v == 0 {
		*v = d
	}
}

// override replaces *v by o when o is set (above zero): one field of an
// override (BreakerPolicy.over, overTimeouts).
func override[T uint32 | float64 | time.Duration](v *T, o T) {
	if o > 0 {
		*v = o
	}
}
