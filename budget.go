package llmrouter

import (
	"fmt"
	"sync/atomic"
)

// ErrRetryBudget is the cause of a request that failed with attempts left
// because the router's retry budget was spent. errors.Is(err, ErrNoRoute)
// holds for it too.
var ErrRetryBudget = fmt.Errorf("%w: retry budget exhausted", ErrNoRoute)

// RetryBudget bounds retries across all requests, as gRPC's retry
// throttling does: a bucket of Tokens, drained by one for every failed
// attempt and refilled by Ratio for every successful one. Calling a
// deployment a request has already called (a retry) is allowed only while
// the bucket is more than half full; failing over to a deployment the
// request has not tried is always allowed, bounded by the route and
// MaxAttempts (and by circuit breakers, which take failing deployments out).
// In steady state, retries stay under Ratio times the successful attempts
// plus a burst of Tokens/2; in a full outage each request tries each
// deployment at most once until the breakers open, then fails fast; the
// bucket refills as half-open probes succeed.
type RetryBudget struct {
	// Tokens is the bucket's size. Default 100.
	Tokens float64 `yaml:"tokens,omitempty"`
	// Ratio is what a successful attempt puts back. Default 0.5.
	Ratio float64 `yaml:"ratio,omitempty"`
	// Disabled lifts the budget: every request may use all its attempts.
	Disabled bool `yaml:"disabled,omitempty"`
}

func (b RetryBudget) withDefaults() RetryBudget {
	if b.Tokens == 0 {
		b.Tokens = 100
	}
	if b.Ratio == 0 {
		b.Ratio = 0.5
	}
	return b
}

// budget is a RetryBudget's live bucket, in thousandths of a token, shared
// by every request and changed with atomic operations only.
type budget struct {
	milli atomic.Int64
	max   int64
	ratio int64
	off   bool
}

func newBudget(b RetryBudget) *budget {
	bu := &budget{max: int64(b.Tokens * 1000), ratio: int64(b.Ratio * 1000), off: b.Disabled}
	bu.milli.Store(bu.max)
	return bu
}

// allow reports whether another attempt may be made.
func (b *budget) allow() bool { return b.off || b.milli.Load()*2 > b.max }

// success refills the bucket by Ratio.
func (b *budget) success() {
	for {
		v := b.milli.Load()
		if v >= b.max {
			return
		}
		if b.milli.CompareAndSwap(v, min(v+b.ratio, b.max)) {
			return
		}
	}
}

// failure drains one token.
func (b *budget) failure() {
	for {
		v := b.milli.Load()
		if v <= 0 {
			return
		}
		if b.milli.CompareAndSwap(v, max(v-1000, 0)) {
			return
		}
	}
}

// level returns how full the bucket is, from 0 to 1 (Stats.RetryBudget).
func (b *budget) level() float64 { return float64(b.milli.Load()) / float64(b.max) }
