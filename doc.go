// Package llmrouter routes LLM chat requests across providers inside a Go
// service: no network hop, no service to run. It decides, per request and
// tenant, which deployments may see the data; admits the request against
// quotas and budgets; retries, fails over and opens circuit breakers; and
// writes one auditable lineage record per request.
//
// # The model
//
//   - A [Deployment] is one entry of the catalog: a [Provider] (a wire
//     adapter from providers/, or your own) serving one upstream model,
//     somewhere (Region), at a [Price], with a context window,
//     [Capabilities], a data [Retention] and its own RPM/TPM/concurrency
//     limits.
//   - A [Route] is ordered tiers of deployments. A request names a route or
//     a deployment in Request.Model. Within a tier a [Strategy] picks
//     (weighted random by default; [LeastLatency], [Cheapest],
//     [PriceWeighted] and [Sticky] read each deployment's live latency,
//     error rate and price, kept lock-free as attempts end). A route may
//     hedge slow requests ([Hedge]) and fall back on content-filter
//     refusals (Route.ContentFallback).
//   - A [Policy] is a named predicate over (request, deployment) that says
//     why it refuses. Policies apply router-wide, per tenant and per request,
//     and are checked before every attempt: retries and fallbacks included.
//   - A [QuotaRule] keys requests into buckets (per tenant, user, label) with
//     [Limit]s of requests, tokens, US dollars and concurrency per window,
//     kept in a [QuotaStore]. A request reserves its estimate before it is
//     sent and settles its actual usage when it ends.
//   - A [Record] is the lineage of one request: every candidate and what
//     happened to it, every attempt, the outcome, usage and cost. [Sink]s
//     receive it; no prompt text is kept unless content capture is on.
//
// # The path of one request
//
// [Router.Chat] and [Router.ChatStream] validate the request, resolve its
// route, run every policy over every candidate (refusals are recorded),
// admit the request against every quota rule, then loop: pick a candidate
// (untried ones first, in tier order), recheck its policies, take a call
// slot on it, call it, and act on the failure's [Class]: retry, fail over,
// or stop. When its route has nowhere left to go ([ErrNoRoute]), a request
// that names fallback routes (Request.Fallback) moves on to the next one,
// within the same deadline, attempts, quota admission and record. A request
// may replace the router's timeouts (Request.Timeouts) and lower, never
// raise, its attempts (Request.MaxAttempts). The request ends
// exactly once, whatever happens: its slots are released, its quota
// settled, its record written and its span ended. [Router.Plan] shows the
// same decisions without sending anything, and [Router.PlanRecord] shows
// them for a request a lineage record describes (package replay replays a
// decision log so, under another configuration).
//
// # Errors to branch on
//
// Use errors.Is with the sentinels: [ErrInvalidRequest] (a [*RequestError]
// names the field; nothing was sent), [ErrQuotaExceeded] (a [*QuotaError]
// says which limit and when to retry), [ErrPolicyDenied] (every candidate
// refused; retrying will not help), [ErrNoRoute] (every candidate failed or
// was unavailable; retrying later may help), [ErrStreamInterrupted] (a
// stream failed after content was sent; a [*StreamError] has the partial
// usage). errors.As finds the [*RouteError] listing every attempt, and the
// [*ProviderError] of each.
//
// A [*ProviderError] carries a Kind and a Class. The Kind says what went
// wrong (server, timeout, rate_limited, auth, context_length, ...), for
// people and dashboards; the Class says what the router does about it
// (retry, failover, stop). Adapters set both, once; the router reads only
// the Class, the Kind and RetryAfter, never status codes or message text.
//
// # Concurrency and zero values
//
// A Router is safe for concurrent use and takes no global lock on the
// request path. A [Stream] is not safe for concurrent use; cancel its
// context to stop it from another goroutine, and Close it when done (a
// dropped Stream is finished by the garbage collector, late). Every piece
// of user code the router calls (providers, strategies, policies, quota
// stores, sinks) may panic without losing a record or a slot: see
// [PanicError]. Zero fields of the option structs ([RetryPolicy],
// [Timeouts], [BreakerPolicy], [TokenEstimates]) take the documented
// defaults; a zero [Deployment] field means "not declared".
//
// # Changing the configuration
//
// [Router.Apply] swaps in a new configuration version atomically (requests
// running finish on theirs; breakers, cooldowns, statistics and counters
// of deployments that keep their name carry over); [Router.Canary] serves a
// share of tenants by a candidate first, and [Router.Rollback] returns to a
// kept version. Every record names its version ([Record.ConfigVersion]).
package llmrouter
