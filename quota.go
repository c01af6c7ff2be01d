package llmrouter

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// QuotaStore keeps the counters behind quotas and budgets. The router
// reserves an estimate before a request is sent, then settles the
// reservation with the actual usage once the request ends, or cancels it (a
// full refund) when nothing was consumed. NewMemoryQuotaStore keeps counters
// in this process; a shared store lets many replicas enforce one budget.
//
// A store must be safe for concurrent use, and Reserve must be atomic per
// bucket (Rule, Key): two reservations racing for the last unit of a limit
// cannot both succeed. Settle and Cancel receive the Reservation that
// Reserve accepted, unchanged.
type QuotaStore interface {
	// Reserve admits r.Amount against every limit in r.Limits for the bucket
	// (r.Rule, r.Key) at r.Time, or returns a *QuotaError and changes
	// nothing.
	Reserve(ctx context.Context, r Reservation) error
	// Settle replaces the reserved amount with actual in the windows r was
	// reserved in, and releases its concurrency slot.
	Settle(ctx context.Context, r Reservation, actual Amount) error
	// Cancel returns everything r reserved.
	Cancel(ctx context.Context, r Reservation) error
}

// Reservation is one request's claim on one quota bucket.
type Reservation struct {
	// ID identifies the request the claim is for (Record.RequestID): the
	// router fills it, so a shared store can make Settle and Cancel
	// idempotent. Stores that keep no per-request state may ignore it.
	ID string
	// Rule and Key name the bucket: the rule's name and the key it derived
	// from the request (the tenant, say).
	Rule, Key string
	// Limits are the rule's limits.
	Limits []Limit
	// Amount is what is claimed.
	Amount Amount
	// Time is when the claim was made: it decides the windows charged.
	Time time.Time

	// held is the MemoryQuotaStore bucket the router reserved in, which it
	// settles without finding it again; nil otherwise.
	held *bucket
}

// Amount is a quantity counted against limits.
type Amount struct {
	Requests int64
	Tokens   int64 // input plus output tokens
	MicroUSD int64 // cost in millionths of a US dollar
}

// Limit bounds what one bucket may use in each fixed window of time.
// Windows are aligned to multiples of Window since the Unix epoch (UTC
// midnight for a day). Zero fields are unlimited. The helpers RPM, TPM, RPD,
// TPD, USDPerDay and MaxConcurrent build the usual ones.
type Limit struct {
	// Window is the length of each window; required when Requests, Tokens
	// or USD is set.
	Window time.Duration `yaml:"window,omitempty"`
	// Requests, Tokens and USD cap what a window may hold.
	Requests int64   `yaml:"requests,omitempty"`
	Tokens   int64   `yaml:"tokens,omitempty"`
	USD      float64 `yaml:"usd,omitempty"`
	// Concurrent caps the requests in flight at once; it ignores Window.
	Concurrent int64 `yaml:"concurrent,omitempty"`
}

// RPM limits requests per minute.
func RPM(n int64) Limit { return Limit{Window: time.Minute, Requests: n} }

// TPM limits tokens (input plus output) per minute.
func TPM(n int64) Limit { return Limit{Window: time.Minute, Tokens: n} }

// RPD limits requests per day (UTC).
func RPD(n int64) Limit { return Limit{Window: 24 * time.Hour, Requests: n} }

// TPD limits tokens per day (UTC).
func TPD(n int64) Limit { return Limit{Window: 24 * time.Hour, Tokens: n} }

// USDPerDay limits spending per day (UTC), in US dollars.
func USDPerDay(usd float64) Limit { return Limit{Window: 24 * time.Hour, USD: usd} }

// MaxConcurrent limits the requests in flight at once.
func MaxConcurrent(n int64) Limit { return Limit{Concurrent: n} }

func (l Limit) microUSD() int64 { return toMicroUSD(l.USD) }

// toMicroUSD converts US dollars to millionths, saturating: +Inf, NaN and
// amounts past math.MaxInt64 millionths become math.MaxInt64.
func toMicroUSD(usd float64) int64 { return satInt64(usd * 1e6) }

// String describes the limit, as "600 requests per 1m0s".
func (l Limit) String() string {
	var parts []string
	if l.Requests > 0 {
		parts = append(parts, strconv.FormatInt(l.Requests, 10)+" requests")
	}
	if l.Tokens > 0 {
		parts = append(parts, strconv.FormatInt(l.Tokens, 10)+" tokens")
	}
	if l.USD > 0 {
		parts = append(parts, "$"+strconv.FormatFloat(l.USD, 'f', -1, 64))
	}
	s := strings.Join(parts, ", ")
	if s != "" {
		s += " per " + l.Window.String()
	}
	if l.Concurrent > 0 {
		if s != "" {
			s += ", "
		}
		s += strconv.FormatInt(l.Concurrent, 10) + " in flight"
	}
	return s
}

// QuotaRule applies limits to the bucket a request falls into.
type QuotaRule struct {
	// Name identifies the rule in errors and lineage ("tenant").
	Name string
	// Key returns the request's bucket; "" means the rule does not apply.
	// A Key that panics refuses the request (a *PanicError) rather than
	// admitting it unmetered.
	Key func(req *Request) string
	// Limits all apply to each bucket.
	Limits []Limit
}

// routerQuotaRule is the router's copy of a QuotaRule, made by WithQuota
// (resolve): ownKey when Key is one of the library's own (PerTenant,
// PerUser, PerLabel, Global), which read a field and cannot panic, so the
// router calls it without a recover frame; plan, Limits merged by window
// length for MemoryQuotaStore.
type routerQuotaRule struct {
	QuotaRule
	ownKey bool
	plan   *quotaPlan
}

// PerTenant limits each tenant. Requests without a Tenant are not limited by
// this rule.
func PerTenant(limits ...Limit) QuotaRule {
	return QuotaRule{Name: "tenant", Key: tenantKey, Limits: limits}
}

// PerUser limits each user. Requests without a User are not limited by this
// rule.
func PerUser(limits ...Limit) QuotaRule {
	return QuotaRule{Name: "user", Key: userKey, Limits: limits}
}

// PerLabel limits each value of the request label name. Requests without the
// label are not limited by this rule.
func PerLabel(name string, limits ...Limit) QuotaRule {
	return QuotaRule{Name: "label:" + name, Key: func(r *Request) string { return r.Labels[name] }, Limits: limits}
}

// Global limits all requests together.
func Global(limits ...Limit) QuotaRule {
	return QuotaRule{Name: "global", Key: globalKey, Limits: limits}
}

func tenantKey(r *Request) string { return r.Tenant }
func userKey(r *Request) string   { return r.User }
func globalKey(*Request) string   { return "*" }

// ownKeys are the code of the Key funcs the rules above build (every
// PerLabel closure shares one).
var ownKeys = [...]uintptr{keyCode(tenantKey), keyCode(userKey), keyCode(globalKey), keyCode(PerLabel("").Key)}

// keyCode is the code pointer of a Key func: two funcs with the same code
// run the same statements (closures of one literal differ only in what
// they capture).
func keyCode(f func(*Request) string) uintptr { return reflect.ValueOf(f).Pointer() }

// resolve makes the router's copy of rule q: it copies Limits, so that
// the plan cannot go stale if the caller reuses its slice, marks a Key of
// the library's own, and merges the limits into a plan.
func (q *routerQuotaRule) resolve() {
	q.Limits = slices.Clone(q.Limits)
	q.ownKey = false
	if q.Key != nil {
		code := keyCode(q.Key)
		for _, own := range ownKeys {
			q.ownKey = q.ownKey || code == own
		}
	}
	q.plan = planLimits(q.Limits)
}

// QuotaError is a refusal by a quota: nothing was sent upstream.
type QuotaError struct {
	// Rule and Key name the bucket that is full.
	Rule, Key string
	// Limit is the limit reached.
	Limit Limit
	// RetryAfter is when the window that is full ends; 0 when unknown (a
	// concurrency limit) or when the request alone exceeds the limit.
	RetryAfter time.Duration
	// TooLarge is true when the request alone exceeds the limit: retrying
	// will not help.
	TooLarge bool
}

// Error names the bucket, the limit reached and when to retry.
func (e *QuotaError) Error() string {
	s := "llmrouter: quota exceeded: " + e.Rule + " " + strconv.Quote(e.Key) + ": " + e.Limit.String()
	switch {
	case e.TooLarge:
		s += "; the request alone exceeds the limit"
	case e.RetryAfter > 0:
		s += "; retry after " + e.RetryAfter.Round(time.Millisecond).String()
	}
	return s
}

// Is reports whether target is ErrQuotaExceeded.
func (e *QuotaError) Is(target error) bool { return target == ErrQuotaExceeded }
