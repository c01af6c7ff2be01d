package redisstore

import (
	"time"

	"github.com/llmrouter/llmrouter"
)

// Options configure a Store. The zero value takes every default: fixed
// windows, fail closed, 30 s leases, 250 ms per operation.
type Options struct {
	// Prefix starts every key the store writes. Default "llmr".
	Prefix string
	// Windows chooses how windowed limits count. Default FixedWindows.
	Windows WindowMode
	// LeaseTTL is how long a concurrency slot outlives the last renewal of
	// its request: the store renews the leases its requests hold every
	// LeaseTTL/3, so a replica that dies returns its slots within LeaseTTL.
	// Default 30s; at least 1s.
	LeaseTTL time.Duration
	// MaxRequestTime is how long a reservation stays settleable: a request
	// still running after it settles nothing (its estimate stays charged,
	// its slot lapses with its lease). Default 1h.
	MaxRequestTime time.Duration
	// Timeout bounds each Redis operation (the client must have
	// ContextTimeoutEnabled for a deadline to cut a read short). Default
	// 250ms.
	Timeout time.Duration
	// OnFailure says what Reserve does when Redis fails or its breaker is
	// open. Default FailClosed.
	OnFailure FailureMode
	// Replicas is the number of replicas sharing the limits, required (at
	// least 1) with FailLocal: each replica then admits up to its share of
	// every limit on its own while Redis is out.
	Replicas int
	// Breaker guards Redis: after Breaker.Failures operations in a row fail
	// (timeouts, refused connections, server errors), every operation fails
	// at once, without a round trip, for Breaker.OpenFor; then one probe
	// goes through, and a success closes it.
	Breaker Breaker
}

// Breaker configures the circuit breaker around Redis. Zero fields keep
// their defaults.
type Breaker struct {
	// Failures in a row that open the breaker. Default 5.
	Failures uint32
	// OpenFor is how long it stays open before a probe. Default 5s.
	OpenFor time.Duration
}

// WindowMode is how windowed limits (requests, tokens, USD per window)
// count.
type WindowMode uint8

const (
	// FixedWindows count in windows aligned to multiples of their length
	// since the Unix epoch (UTC days), as NewMemoryQuotaStore does: a
	// counter resets when its window ends, so up to twice a limit can pass
	// across a boundary (the end of one window and the start of the next).
	FixedWindows WindowMode = iota
	// SlidingWindows count the current window plus the previous window's
	// count weighted by how much of it still overlaps the last Window: a
	// rolling window, with no burst at boundaries (exact when the previous
	// window's traffic was even). Settlements still land in the window the
	// request was reserved in.
	SlidingWindows
)

// FailureMode is what the store does when Redis cannot answer.
type FailureMode uint8

const (
	// FailClosed refuses: Reserve returns an *UnavailableError, which is
	// ErrQuotaExceeded and wraps the cause. Nothing is over-admitted; while
	// Redis is out no request passes a rule this store keeps.
	FailClosed FailureMode = iota
	// FailLocal admits against an in-memory store in this process, with
	// every limit divided by Options.Replicas (at least 1 of each), so the
	// fleet stays near its limits while Redis is out. What is admitted
	// locally is settled locally; Redis never learns of it.
	FailLocal
)

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = "llmr"
	}
	def(&o.LeaseTTL, 30*time.Second)
	def(&o.MaxRequestTime, time.Hour)
	def(&o.Timeout, 250*time.Millisecond)
	if o.Breaker.Failures == 0 {
		o.Breaker.Failures = 5
	}
	def(&o.Breaker.OpenFor, 5*time.Second)
	return o
}

func def(v *time.Duration, d time.Duration) {
	if *v == 0 {
		*v = d
	}
}

// validate returns a *llmrouter.ConfigError naming the first bad field.
func (o Options) validate() error {
	bad := func(field, reason string) error {
		return &llmrouter.ConfigError{Field: "redisstore.Options." + field, Reason: reason}
	}
	switch {
	case o.Windows > SlidingWindows:
		return bad("Windows", "unknown mode; use FixedWindows or SlidingWindows")
	case o.LeaseTTL < time.Second:
		return bad("LeaseTTL", "must be at least 1s (renewals run every LeaseTTL/3)")
	case o.MaxRequestTime < time.Second:
		return bad("MaxRequestTime", "must be at least 1s")
	case o.Timeout < time.Millisecond:
		return bad("Timeout", "must be at least 1ms")
	case o.Breaker.OpenFor < 0:
		return bad("Breaker.OpenFor", "must not be negative")
	case o.OnFailure > FailLocal:
		return bad("OnFailure", "unknown mode; use FailClosed or FailLocal")
	case o.OnFailure == FailLocal && o.Replicas < 1:
		return bad("Replicas", "FailLocal divides limits among replicas: set the replica count (at least 1)")
	case o.Replicas < 0:
		return bad("Replicas", "must not be negative")
	}
	return nil
}
