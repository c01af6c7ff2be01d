package llmrouter

import (
	"context"
	"sync/atomic"
)

// ContextHonoring is implemented by providers whose calls return promptly
// once their context ends: Chat, Stream, and the Next of the streams they
// return. The router calls such providers directly. A provider that does not
// implement it (or says false) is called on a goroutine of its own, so the
// router still returns at its deadline when the provider ignores ctx; the
// abandoned call keeps its deployment slot (in-flight count, limits,
// breaker permit) until it really returns, and its attempt record says so.
//
// Every adapter in this module and the fake implement it, and
// providertest.Run checks that a provider claiming it returns promptly.
type ContextHonoring interface {
	HonorsContext() bool
}

func honorsContext(p Provider) bool {
	h, ok := p.(ContextHonoring)
	return ok && h.HonorsContext()
}

// guarded runs f on a goroutine of its own and waits for it or for ctx to
// end, whichever comes first. It reports false when ctx ended first: f is
// then abandoned, and its result, when it comes, goes to late on f's
// goroutine (which releases whatever the call held). Exactly one of the
// caller (true) and late receives f's result.
func guarded[T any](ctx context.Context, f func() T, late func(T)) (T, bool) {
	g := &guard[T]{done: make(chan struct{})}
	go func() {
		g.v = f()
		if g.state.CompareAndSwap(guardRunning, guardReturned) {
			close(g.done)
			return
		}
		late(g.v)
	}()
	select {
	case <-g.done:
		return g.v, true
	case <-ctx.Done():
		if g.state.CompareAndSwap(guardRunning, guardAbandoned) {
			var zero T
			return zero, false
		}
		<-g.done
		return g.v, true
	}
}

type guard[T any] struct {
	state atomic.Int32
	done  chan struct{}
	v     T
}

const (
	guardRunning int32 = iota
	guardReturned
	guardAbandoned
)
