package llmrouter

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
)

// Metrics follow ../shared/reference/OTEL.md §3 and §6.3: the GenAI client
// metrics per attempt (operation duration, token usage, time to first
// chunk), named as in semantic conventions v1.41.0, and the router's own per
// request. Every metric name and attribute the router records is in this
// file. They are recorded once per request, in finish, from its lineage
// record: one place, and nothing on the request path when metrics are off.

// WithMeterProvider records the router's metrics through mp:
//
//   - gen_ai.client.operation.duration (s), per attempt, with
//     gen_ai.operation.name, gen_ai.provider.name, gen_ai.request.model,
//     llmrouter.deployment, and error.type (the failure's kind) on failure;
//   - gen_ai.client.token.usage ({token}), per attempt that reported usage,
//     with gen_ai.token.type input or output;
//   - gen_ai.client.operation.time_to_first_chunk (s), per streaming attempt
//     that produced content;
//   - llmrouter.request.duration (s), per request, with llmrouter.route,
//     llmrouter.outcome, and error.type when the request failed;
//   - llmrouter.attempts ({attempt}), a histogram of attempts per request;
//   - llmrouter.attempt.failures ({attempt}), by llmrouter.deployment,
//     llmrouter.failure.kind and llmrouter.failure.class;
//   - llmrouter.failovers and llmrouter.retries ({attempt}): attempts that
//     moved to another deployment, or called the same one again;
//   - llmrouter.breaker.transitions ({transition}), by llmrouter.deployment
//     and llmrouter.breaker.state;
//   - llmrouter.quota.refusals ({request}), by llmrouter.quota.rule;
//   - llmrouter.cost ({USD}), by the serving llmrouter.deployment;
//   - llmrouter.requests.in_flight ({request}).
//
// Tenants are not attributes (their number is unbounded); lineage records
// carry them. Without WithMeterProvider, or with a no-op provider, nothing
// is recorded and the request path does no metrics work at all. Pass
// otel.GetMeterProvider() to use the global provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.meterProvider = mp }
}

var (
	attrFailureKind  = attribute.Key("llmrouter.failure.kind")
	attrFailureClass = attribute.Key("llmrouter.failure.class")
	attrBreaker      = attribute.Key("llmrouter.breaker.state")
	attrVersion      = attribute.Key("llmrouter.config.version")
	attrQuotaRule    = attribute.Key("llmrouter.quota.rule")
)

// Bucket boundaries advised by the GenAI conventions.
var (
	durationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	tokenBuckets    = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
)

// metrics holds the instruments and, per deployment, the attribute sets
// built once in New so that recording allocates nothing for them.
type metrics struct {
	opDuration  metric.Float64Histogram
	tokenUsage  metric.Int64Histogram
	ttfc        metric.Float64Histogram
	reqDuration metric.Float64Histogram
	attempts    metric.Int64Histogram
	failures    metric.Int64Counter
	failovers   metric.Int64Counter
	retries     metric.Int64Counter
	breaker     metric.Int64Counter
	quota       metric.Int64Counter
	cost        metric.Float64Counter
	inFlight    metric.Int64UpDownCounter

	byDeployment map[string]*deploymentMetrics // read-only after New
	byRoute      map[string]*routeMetrics      // read-only after New
}

// routeMetrics are one route's attribute sets: per outcome for the request
// duration (with error.type on failures), and for the attempts histogram.
type routeMetrics struct {
	attempts []metric.RecordOption
	outcomes map[Outcome][]metric.RecordOption
}

// outcomes lists every Outcome: for attribute sets built in New, and
// for Record.UnmarshalJSON to know them.
var outcomes = [...]Outcome{OutcomeSuccess, OutcomeFailed, OutcomePolicyDenied, OutcomeQuotaExceeded,
	OutcomeInvalid, OutcomeCanceled, OutcomeInterrupted, OutcomeClosed, OutcomeAbandoned}

func newRouteMetrics(route, version string) *routeMetrics {
	rm := &routeMetrics{attempts: recordSet(attrRoute.String(route), attrVersion.String(version)),
		outcomes: make(map[Outcome][]metric.RecordOption, len(outcomes))}
	for _, o := range outcomes {
		kv := []attribute.KeyValue{attrRoute.String(route), attrVersion.String(version), attrOutcome.String(string(o))}
		switch o {
		case OutcomeSuccess, OutcomeCanceled, OutcomeClosed:
		default:
			kv = append(kv, semconv.ErrorTypeKey.String(string(o)))
		}
		rm.outcomes[o] = recordSet(kv...)
	}
	return rm
}

// deploymentMetrics are one deployment's attribute sets.
type deploymentMetrics struct {
	base         []attribute.KeyValue  // operation, provider, model, deployment
	ok           []metric.RecordOption // one-element slices, passed with ... so
	input        []metric.RecordOption // that recording allocates no
	output       []metric.RecordOption // variadic slice
	deployment   []metric.AddOption
	breakerState [3][]metric.AddOption // by gobreaker.State: closed, half-open, open
}

// newMetrics makes the instruments, or returns nil when mp records nothing.
// forVersion adds a configuration version's attribute sets.
func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	if mp == nil {
		return nil, nil
	}
	if _, isNoop := mp.(noop.MeterProvider); isNoop {
		return nil, nil
	}
	m := mp.Meter(scopeName, metric.WithInstrumentationVersion(Version), metric.WithSchemaURL(semconv.SchemaURL))
	var ms metrics
	var errs []error
	fhist := func(name, unit, desc string, buckets []float64) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit(unit), metric.WithDescription(desc), metric.WithExplicitBucketBoundaries(buckets...))
		errs = append(errs, err)
		return h
	}
	ihist := func(name, unit, desc string, buckets []float64) metric.Int64Histogram {
		h, err := m.Int64Histogram(name, metric.WithUnit(unit), metric.WithDescription(desc), metric.WithExplicitBucketBoundaries(buckets...))
		errs = append(errs, err)
		return h
	}
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	ms.opDuration = fhist("gen_ai.client.operation.duration", "s", "GenAI operation duration, per attempt.", durationBuckets)
	ms.tokenUsage = ihist("gen_ai.client.token.usage", "{token}", "Number of input and output tokens used, per attempt.", tokenBuckets)
	ms.ttfc = fhist("gen_ai.client.operation.time_to_first_chunk", "s", "Time to the first chunk of a streaming attempt.", durationBuckets)
	ms.reqDuration = fhist("llmrouter.request.duration", "s", "Duration of a routed request as its caller sees it, failovers included.", durationBuckets)
	ms.attempts = ihist("llmrouter.attempts", "{attempt}", "Attempts made per request.", []float64{0, 1, 2, 3, 4, 5, 8})
	ms.failures = counter("llmrouter.attempt.failures", "{attempt}", "Failed attempts, by kind and class.")
	ms.failovers = counter("llmrouter.failovers", "{attempt}", "Attempts that moved to another deployment after a failure.")
	ms.retries = counter("llmrouter.retries", "{attempt}", "Attempts that called the same deployment again.")
	ms.breaker = counter("llmrouter.breaker.transitions", "{transition}", "Circuit breaker state changes, by the state entered.")
	ms.quota = counter("llmrouter.quota.refusals", "{request}", "Requests refused by a quota rule.")
	var err error
	ms.cost, err = m.Float64Counter("llmrouter.cost", metric.WithUnit("{USD}"), metric.WithDescription("Cost of the requests served, in US dollars."))
	errs = append(errs, err)
	ms.inFlight, err = m.Int64UpDownCounter("llmrouter.requests.in_flight", metric.WithUnit("{request}"),
		metric.WithDescription("Requests the router is serving now (streams until they end)."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &ms, nil
}

// forVersion returns the instruments with the attribute sets of version
// g's routes and deployments (nil when metrics are off). Its route sets
// carry the version's ID, so that a canary's split shows.
func (m *metrics) forVersion(g *generation) *metrics {
	if m == nil {
		return nil
	}
	ms := *m
	v := g.version.ID
	ms.byRoute = make(map[string]*routeMetrics, len(g.routes)+1)
	for name := range g.routes {
		ms.byRoute[name] = newRouteMetrics(name, v)
	}
	ms.byRoute[""] = newRouteMetrics("", v) // requests naming no known route
	ms.byDeployment = make(map[string]*deploymentMetrics, len(g.deployments))
	for _, d := range g.deployments {
		base := []attribute.KeyValue{semconv.GenAIOperationNameChat, semconv.GenAIProviderNameKey.String(d.provider),
			semconv.GenAIRequestModel(d.UpstreamModel()), attrDeployment.String(d.Name)}
		dm := &deploymentMetrics{
			base:       base,
			ok:         recordSet(base...),
			input:      recordSet(append(base[:4:4], semconv.GenAITokenTypeInput)...),
			output:     recordSet(append(base[:4:4], semconv.GenAITokenTypeOutput)...),
			deployment: addSet(attrDeployment.String(d.Name)),
		}
		for s, name := range [...]string{"closed", "half_open", "open"} {
			dm.breakerState[s] = addSet(attrDeployment.String(d.Name), attrBreaker.String(name))
		}
		ms.byDeployment[d.Name] = dm
		if d.onBreakerChange == nil { // a new breaker, not yet shared
			breaker := ms.breaker
			d.onBreakerChange = func(state int) {
				if state >= 0 && state < len(dm.breakerState) {
					breaker.Add(context.Background(), 1, dm.breakerState[state]...)
				}
			}
		}
	}
	return &ms
}

// record records the metrics of one finished request from its record.
func (m *metrics) record(ctx context.Context, rec *Record, err error) {
	for i := range rec.Attempts {
		a := &rec.Attempts[i]
		dm := m.byDeployment[a.Deployment]
		if dm == nil {
			continue
		}
		if a.Status == attemptOK {
			m.opDuration.Record(ctx, a.Duration.Seconds(), dm.ok...)
		} else {
			m.opDuration.Record(ctx, a.Duration.Seconds(), metric.WithAttributes(append(dm.base[:4:4], semconv.ErrorTypeKey.String(a.Kind.String()))...))
			m.failures.Add(ctx, 1, metric.WithAttributes(attrDeployment.String(a.Deployment),
				attrFailureKind.String(a.Kind.String()), attrFailureClass.String(a.Class.String())))
		}
		if u := a.Usage; u != (Usage{}) && !u.Estimated {
			m.tokenUsage.Record(ctx, int64(u.InputTokens), dm.input...)
			m.tokenUsage.Record(ctx, int64(u.OutputTokens), dm.output...)
		}
		if a.TTFT > 0 {
			m.ttfc.Record(ctx, a.TTFT.Seconds(), dm.ok...)
		}
		if i > 0 {
			if rec.Attempts[i-1].Deployment == a.Deployment {
				m.retries.Add(ctx, 1, dm.deployment...)
			} else {
				m.failovers.Add(ctx, 1, dm.deployment...)
			}
		}
	}
	rm := m.byRoute[rec.Route]
	if rm == nil { // an unknown route: its name came from the caller
		rm = m.byRoute[""]
	}
	m.reqDuration.Record(ctx, rec.Duration.Seconds(), rm.outcomes[rec.Outcome]...)
	m.attempts.Record(ctx, int64(len(rec.Attempts)), rm.attempts...)
	if rec.Cost > 0 {
		if dm := m.byDeployment[rec.Deployment]; dm != nil {
			m.cost.Add(ctx, rec.Cost, dm.deployment...)
		}
	}
	var qe *QuotaError
	if err != nil && errors.As(err, &qe) {
		m.quota.Add(ctx, 1, metric.WithAttributes(attrQuotaRule.String(qe.Rule)))
	}
}

// recordSet and addSet make the one-option slices of an attribute set.
func recordSet(kv ...attribute.KeyValue) []metric.RecordOption {
	return []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
}

func addSet(kv ...attribute.KeyValue) []metric.AddOption {
	return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
}
