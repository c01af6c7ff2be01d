package llmrouter

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Callers branch on them with errors.Is; the concrete error
// (a *RouteError, *QuotaError, *RequestError, *ConfigError or *StreamError)
// carries the details.
var (
	// ErrNoRoute: no deployment could serve the request. Every candidate was
	// tried and failed, or was unavailable (breaker open, cooling down after a
	// rate limit, at its own limits), or the attempts ran out. The
	// *RouteError lists each attempt and each skipped candidate. Retrying
	// later may succeed.
	ErrNoRoute = errors.New("llmrouter: no deployment could serve the request")
	// ErrPolicyDenied: policies refused every candidate, so nothing was
	// sent. The *RouteError names each refusing policy and its reason.
	// Retrying the same request will not help.
	ErrPolicyDenied = errors.New("llmrouter: policies refused every deployment")
	// ErrQuotaExceeded: a quota refused the request before anything was
	// sent. The *QuotaError says which limit and when to retry.
	ErrQuotaExceeded = errors.New("llmrouter: quota exceeded")
	// ErrInvalidRequest: the request is malformed; nothing was sent. The
	// *RequestError names the field.
	ErrInvalidRequest = errors.New("llmrouter: invalid request")
	// ErrInvalidConfig: New was given a configuration it cannot use. The
	// *ConfigError names the field.
	ErrInvalidConfig = errors.New("llmrouter: invalid configuration")
	// ErrStreamInterrupted: a stream failed after content had reached the
	// caller, so it could not fail over unseen. The *StreamError carries the
	// partial usage.
	ErrStreamInterrupted = errors.New("llmrouter: stream interrupted after content was sent")
)

// Class is what the router should do after a failed attempt.
type Class uint8

const (
	// ClassUnspecified means "use DefaultClass(Kind)".
	ClassUnspecified Class = iota
	// ClassRetry: the failure is transient; the same deployment may succeed
	// after a backoff (or after RetryAfter). Once its attempts are spent the
	// router fails over.
	ClassRetry
	// ClassFailover: this deployment cannot serve the request now; another
	// may.
	ClassFailover
	// ClassStop: no deployment would do better (the request itself is at
	// fault); the router returns the error at once.
	ClassStop
)

// String returns "retry", "failover", "stop" or "unspecified".
func (c Class) String() string {
	switch c {
	case ClassRetry:
		return "retry"
	case ClassFailover:
		return "failover"
	case ClassStop:
		return "stop"
	}
	return "unspecified"
}

// Kind says what went wrong in a failed attempt.
type Kind uint8

// The kinds of failure an adapter classifies errors into.
const (
	KindUnknown       Kind = iota // not classified
	KindServer                    // the provider failed (5xx, overloaded)
	KindTimeout                   // the provider, or a router timeout, took too long
	KindTransport                 // the connection failed or was cut
	KindMalformed                 // the provider's answer was unreadable or incomplete
	KindRateLimited               // the provider throttled the call (429)
	KindAuth                      // credentials were refused (401, 403)
	KindBilling                   // the account is out of credit or quota
	KindNotFound                  // the model or deployment does not exist upstream
	KindContextLength             // input plus output exceed the model's window
	KindContentPolicy             // a safety system refused the request
	KindBadRequest                // the provider rejected the request as invalid
	KindCanceled                  // the caller's context ended
	KindPanic                     // the adapter panicked
)

var kindNames = [...]string{
	KindUnknown: "unknown", KindServer: "server", KindTimeout: "timeout",
	KindTransport: "transport", KindMalformed: "malformed", KindRateLimited: "rate_limited",
	KindAuth: "auth", KindBilling: "billing", KindNotFound: "not_found",
	KindContextLength: "context_length", KindContentPolicy: "content_policy",
	KindBadRequest: "bad_request", KindCanceled: "canceled", KindPanic: "panic",
}

// String returns the kind's snake_case name, as used in lineage and traces.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// classified reports whether k is a kind a failure is classified as: a
// named kind other than KindUnknown (settings keyed by kind accept only
// these).
func (k Kind) classified() bool { return k != KindUnknown && int(k) < len(kindNames) }

// DefaultClass is the class of a failure of kind k when its adapter does not
// say otherwise: server, timeout, transport and rate-limit failures are
// retried; content-policy, bad-request and cancelled ones stop; the rest
// (auth, billing, not found, context length, malformed, panics, unknown)
// fail over. A context-length failure fails over only to deployments with a
// larger context window.
func DefaultClass(k Kind) Class {
	switch k {
	case KindServer, KindTimeout, KindTransport, KindRateLimited:
		return ClassRetry
	case KindContentPolicy, KindBadRequest, KindCanceled:
		return ClassStop
	}
	return ClassFailover
}

// CodePromptBlocked is the ProviderError.Code every adapter in this module
// gives a prompt that a provider's safety filter refused before answering
// (Kind KindContentPolicy): Azure's 400 content_filter, OpenAI's
// content_policy_violation, Gemini's promptFeedback.blockReason with no
// candidates, a Bedrock guardrail that blocked the input. An answer
// filtered after generation is not an error: it stays a Response (or
// stream) with FinishContentFilter. Route.ContentFallback treats both alike.
const CodePromptBlocked = "prompt_blocked"

// ProviderError is a failed call to a provider, classified once by its
// adapter. The router acts on Class (or DefaultClass(Kind)) and RetryAfter;
// it never reads StatusCode, Code or Message. Adapters must keep secrets
// (API keys, signed URLs) out of every field.
type ProviderError struct {
	// Provider and Deployment name where the call went (the router fills
	// Deployment when the adapter leaves it empty).
	Provider   string
	Deployment string
	// Kind says what went wrong; Class what to do about it (zero means
	// DefaultClass(Kind)).
	Kind  Kind
	Class Class
	// StatusCode is the HTTP status, or 0 when there was none.
	StatusCode int
	// Code is the provider's own error code or type ("rate_limit_exceeded").
	Code string
	// Message is the provider's message.
	Message string
	// RetryAfter is how long the provider asked the caller to wait, or 0.
	RetryAfter time.Duration
	// RequestID is the provider's id for the failed call, for support.
	RequestID string
	// Err is the underlying error (a transport error, a context error).
	Err error
}

// EffectiveClass returns Class, or DefaultClass(Kind) when Class is zero.
func (e *ProviderError) EffectiveClass() Class {
	if e.Class != ClassUnspecified {
		return e.Class
	}
	return DefaultClass(e.Kind)
}

// Error describes the failure on one line.
func (e *ProviderError) Error() string {
	var b strings.Builder
	b.WriteString("llmrouter: ")
	e.write(&b, true)
	return b.String()
}

// write describes the failure; without text, it leaves out the provider's
// message and any error text that may quote it (see errorText).
func (e *ProviderError) write(b *strings.Builder, text bool) {
	b.WriteString(e.Provider)
	if e.Deployment != "" {
		b.WriteString(" (")
		b.WriteString(e.Deployment)
		b.WriteString(")")
	}
	b.WriteString(": ")
	if e.StatusCode != 0 {
		b.WriteString(strconv.Itoa(e.StatusCode))
		b.WriteByte(' ')
	}
	b.WriteString(e.Kind.String())
	if e.Code != "" {
		b.WriteString(" [")
		b.WriteString(e.Code)
		b.WriteString("]")
	}
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after ")
		b.WriteString(e.RetryAfter.String())
		b.WriteString(")")
	}
	switch {
	case !text:
		switch e.Kind {
		case KindTransport, KindTimeout, KindCanceled:
			// Network and context failures: Go's own text, which quotes
			// no upstream body (adapters scrub URLs' queries).
			if e.Err != nil {
				b.WriteString(": ")
				b.WriteString(e.Err.Error())
			}
		case KindPanic:
			b.WriteString(": ")
			b.WriteString(e.Message)
		}
	case e.Message != "":
		b.WriteString(": ")
		b.WriteString(e.Message)
	case e.Err != nil:
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
}

// Unwrap returns the underlying error.
func (e *ProviderError) Unwrap() error { return e.Err }

// PanicError is a panic in user code, recovered by the router. A panic in
// a provider (or its stream) is reported as a *ProviderError of KindPanic
// wrapping it, and the router fails over; a panicking Strategy, quota store
// or quota rule key ends the request with a *RouteError wrapping it; a
// panicking Policy refuses the deployment it was asked about; a panicking
// Sink is dropped. Whatever panics, the request releases every slot it
// holds and writes its one record.
type PanicError struct {
	// In says what panicked: "provider", "provider stream", "strategy",
	// "policy", "quota store", "quota rule key" or "router".
	In    string
	Value any
	Stack []byte
}

// Error describes the failure on one line.
func (e *PanicError) Error() string {
	in := e.In
	if in == "" {
		in = inProvider
	}
	return in + " panicked: " + panicValue(e.Value)
}

// classify turns any error from a provider into a *ProviderError. Adapters
// should return *ProviderError themselves; an unclassified error gets
// KindUnknown (fail over), and bare context errors get KindCanceled or
// KindTimeout.
func classify(err error, p Provider, d *Deployment) *ProviderError {
	var pe *ProviderError
	if errors.As(err, &pe) {
		if pe == nil {
			// A typed nil: the provider broke its contract.
			return &ProviderError{Provider: p.Name(), Deployment: d.Name, Kind: KindMalformed,
				Message: "provider returned a nil *ProviderError as its error"}
		}
		if pe.Deployment == "" || pe.Provider == "" {
			cp := *pe
			if cp.Deployment == "" {
				cp.Deployment = d.Name
			}
			if cp.Provider == "" {
				cp.Provider = p.Name()
			}
			pe = &cp
		}
		return pe
	}
	pe = &ProviderError{Provider: p.Name(), Deployment: d.Name, Kind: KindUnknown, Err: err}
	switch {
	case errors.Is(err, context.Canceled):
		pe.Kind = KindCanceled
	case errors.Is(err, context.DeadlineExceeded):
		pe.Kind = KindTimeout
	}
	return pe
}

// RequestError reports a malformed request. Nothing was sent upstream.
type RequestError struct {
	// Field is the path of the faulty field, as "Messages[2].Role".
	Field string
	// Reason says what is wrong with it.
	Reason string
}

// Error describes the failure on one line.
func (e *RequestError) Error() string {
	return "llmrouter: invalid request: " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalidRequest.
func (e *RequestError) Is(target error) bool { return target == ErrInvalidRequest }

// ConfigError reports a configuration New cannot use.
type ConfigError struct {
	// Field is the path of the faulty setting, as "Deployments[1].Weight".
	Field string
	// Reason says what is wrong and what to change.
	Reason string
}

// Error describes the failure on one line.
func (e *ConfigError) Error() string {
	return "llmrouter: invalid configuration: " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// RouteError reports a request the router could not complete after routing
// began. It says what happened to every candidate: each failed attempt in
// order, and each candidate that was skipped or refused and why.
//
// errors.Is finds its cause (ErrNoRoute, ErrPolicyDenied, a context error)
// and errors.As finds the *ProviderError of any attempt; when a provider
// stopped the request (ClassStop), that *ProviderError is the cause.
type RouteError struct {
	// Route is the requested route or deployment name.
	Route string
	// Err is the cause.
	Err error
	// Attempts are the failed attempts, in order.
	Attempts []*ProviderError
	// Skipped are the candidates that were not attempted, or not again.
	Skipped []Skip
}

// Skip is a candidate the router did not call, and why.
type Skip struct {
	Deployment string
	// Policy names the refusing policy, when a policy refused it.
	Policy string
	Reason string
}

// Error describes the failure on one line.
func (e *RouteError) Error() string {
	var b strings.Builder
	e.write(&b, true)
	return b.String()
}

func (e *RouteError) write(b *strings.Builder, text bool) {
	b.WriteString("llmrouter: route ")
	b.WriteString(strconv.Quote(e.Route))
	b.WriteString(": ")
	writeCause(b, e.Err, text)
	for i, a := range e.Attempts {
		b.WriteString("; attempt ")
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(": ")
		a.write(b, text)
		b.WriteString(" (")
		b.WriteString(a.EffectiveClass().String())
		b.WriteString(")")
	}
	for _, s := range e.Skipped {
		b.WriteString("; skipped ")
		b.WriteString(s.Deployment)
		b.WriteString(": ")
		if s.Policy != "" {
			b.WriteString("policy ")
			b.WriteString(s.Policy)
			b.WriteString(": ")
		}
		b.WriteString(s.Reason)
	}
}

// Unwrap returns the cause followed by every attempt's error.
func (e *RouteError) Unwrap() []error {
	errs := make([]error, 0, 1+len(e.Attempts))
	errs = append(errs, e.Err)
	for _, a := range e.Attempts {
		errs = append(errs, a)
	}
	return errs
}

// StreamError ends a stream that failed after content had reached the
// caller. The caller has a partial answer; Usage says what it cost.
type StreamError struct {
	// Deployment served the stream.
	Deployment string
	// Usage is the partial usage: the provider's last report, or an estimate
	// (Usage.Estimated) when it sent none.
	Usage Usage
	// Err is the provider's classified error.
	Err *ProviderError
}

// Error describes the failure on one line.
func (e *StreamError) Error() string {
	var b strings.Builder
	e.write(&b, true)
	return b.String()
}

func (e *StreamError) write(b *strings.Builder, text bool) {
	b.WriteString("llmrouter: stream interrupted after content was sent (")
	b.WriteString(e.Deployment)
	b.WriteString("): ")
	e.Err.write(b, text)
}

// Is reports whether target is ErrStreamInterrupted.
func (e *StreamError) Is(target error) bool { return target == ErrStreamInterrupted }

// Unwrap returns the provider's error.
func (e *StreamError) Unwrap() error { return e.Err }
