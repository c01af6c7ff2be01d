package llmrouter

import (
	"context"
	"fmt"
	"reflect"
	"runtime/debug"
)

// User code: every function the router calls that a user may have written
// (a Provider and its streams, a Strategy, a Policy, a QuotaStore and a
// QuotaRule's Key, a Sink) is called through one of the wrappers below, so
// that a panic becomes a typed error and the request still releases every
// slot it holds and writes its one record. The wrappers are small enough to
// inline their fast path; recover costs nothing until something panics.

// Where a recovered panic happened, in PanicError.In.
const (
	inProvider = "provider"
	inStream   = "provider stream"
	inStrategy = "strategy"
	inPolicy   = "policy"
	inQuota    = "quota store"
	inQuotaKey = "quota rule key"
	inRouter   = "router"
)

func newPanic(in string, v any) *PanicError {
	return &PanicError{In: in, Value: v, Stack: debug.Stack()}
}

func panicError(d *deployment, in string, v any) *ProviderError {
	return &ProviderError{Provider: d.provider, Deployment: d.Name, Kind: KindPanic,
		Message: in + " panicked", Err: newPanic(in, v)}
}

// safeChat calls the provider, recovering a panic into a *ProviderError.
func safeChat(ctx context.Context, d *deployment, req *Request) (resp *Response, err error) {
	defer func() {
		if v := recover(); v != nil {
			resp, err = nil, panicError(d, inProvider, v)
		}
	}()
	return d.Provider.Chat(ctx, &d.Deployment, req)
}

// safeStream opens a stream, recovering a panic into a *ProviderError.
func safeStream(ctx context.Context, d *deployment, req *Request) (s ChunkStream, err error) {
	defer func() {
		if v := recover(); v != nil {
			s, err = nil, panicError(d, inProvider, v)
		}
	}()
	return d.Provider.Stream(ctx, &d.Deployment, req)
}

// safeNext advances cs and reads its chunk, recovering a panic in Next or
// Current into a *ProviderError.
func safeNext(cs ChunkStream, d *deployment, cur *Chunk) (ok bool, pe *ProviderError) {
	defer func() {
		if v := recover(); v != nil {
			ok, pe = false, panicError(d, inStream, v)
		}
	}()
	if !cs.Next() {
		return false, nil
	}
	*cur = cs.Current()
	return true, nil
}

// safeErr reads cs.Err, recovering a panic into a *ProviderError.
func safeErr(cs ChunkStream, d *deployment) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError(d, inStream, v)
		}
	}()
	return cs.Err()
}

// safeClose closes cs, dropping a panic: the stream is over either way.
func safeClose(cs ChunkStream) {
	defer func() { _ = recover() }()
	_ = cs.Close()
}

// safePick asks s to pick among cands. A panic ends the request (the
// strategy cannot say where to go); an index out of range picks the first.
func safePick(s Strategy, req *Request, cands []Candidate) (k int, pe *PanicError) {
	defer func() {
		if v := recover(); v != nil {
			k, pe = 0, newPanic(inStrategy, v)
		}
	}()
	k = s.Pick(req, cands)
	if k < 0 || k >= len(cands) {
		k = 0
	}
	return k, nil
}

// safeKey derives a quota rule's bucket key. A panic is an error: the
// request is refused rather than admitted unmetered. (admit calls the
// library's own keys, QuotaRule.ownKey, directly: they cannot panic.)
func safeKey(q *QuotaRule, req *Request) (key string, pe *PanicError) {
	defer func() {
		if v := recover(); v != nil {
			key, pe = "", newPanic(inQuotaKey, v)
		}
	}()
	return q.Key(req), nil
}

// safeReserve calls the store's Reserve, recovering a panic into an error.
func safeReserve(ctx context.Context, s QuotaStore, r Reservation) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = newPanic(inQuota, v)
		}
	}()
	return s.Reserve(ctx, r)
}

// safeSettle settles or cancels r (cancel when actual is nil), dropping a
// panic: the request is over either way, and the store owns its state.
func safeSettle(ctx context.Context, s QuotaStore, r Reservation, actual *Amount) {
	defer func() { _ = recover() }()
	if actual == nil {
		_ = s.Cancel(ctx, r)
		return
	}
	_ = s.Settle(ctx, r, *actual)
}

// writeSink hands rec to s, dropping a panic: lineage must never take the
// request down with it.
func writeSink(ctx context.Context, s Sink, rec *Record) {
	defer func() { _ = recover() }()
	s.Write(ctx, rec)
}

// panicValue formats a recovered value for an error message.
func panicValue(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 256 {
		s = s[:256] + "…"
	}
	return s
}

// safeCheckConfig asks a provider whether its configuration can work,
// recovering a panic into an error.
func safeCheckConfig(cc ConfigChecker) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = newPanic(inProvider, v)
		}
	}()
	return cc.CheckConfig()
}

// isComparable reports whether v can be a map key (a provider that is a
// non-comparable struct value is checked every time instead of once).
func isComparable(v any) bool { return reflect.TypeOf(v).Comparable() }
