package llmrouter

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// WithSharedDeploymentLimits counts every deployment's RPM and TPM
// (Deployment.RPM, Deployment.TPM) in store instead of in this process, so
// that all the replicas of a service whose routers share store send a
// deployment no more than its limits between them. Off by default: each
// replica counts alone, and N replicas may send N× a deployment's RPM.
// redisstore.Store is the store meant for it (it may be the one WithQuota
// uses; the buckets are named "llmrouter.deployment" and the deployment's
// name, so deployments of one name share their counters fleet-wide).
//
// Each call on a deployment with limits makes one Reserve (one round trip
// to a redisstore) before it is sent and one Settle when it ends, which
// charges its actual tokens in place of the estimate; a call the store
// refuses passes the deployment over as its local limits would (the next
// candidate is tried, or the request waits for the window when none is
// left). Deployments without RPM or TPM cost nothing more.
//
// When the store fails (any error but a *QuotaError, for example Redis
// down or its breaker open), the call is counted against this process's
// own counters with every limit divided by replicas (at least 1 each), so
// that the fleet stays under the provider's limits while the store is out
// (rather than sending blind into a 429 storm, or refusing every call of
// every deployment). replicas must be at least 1. Plan does not consult
// the shared counters (it would cost a round trip per deployment).
func WithSharedDeploymentLimits(store QuotaStore, replicas int) Option {
	return func(c *config) { c.limitShare = &limitShare{store: store, replicas: replicas} }
}

// limitShare is WithSharedDeploymentLimits' configuration.
type limitShare struct {
	store    QuotaStore
	replicas int
}

// sharedDeploymentRule names the buckets deployment limits are kept in.
const sharedDeploymentRule = "llmrouter.deployment"

// validate checks WithSharedDeploymentLimits' arguments; nil when unset.
func (ls *limitShare) validate() error {
	switch {
	case ls == nil:
		return nil
	case ls.store == nil:
		return &ConfigError{"WithSharedDeploymentLimits", "store is nil"}
	case ls.replicas < 1:
		return &ConfigError{"WithSharedDeploymentLimits", "replicas must be at least 1: " +
			"while the store is out each replica counts its share of every limit"}
	}
	return nil
}

// shareLimits moves the limits of every deployment of g that has some to
// the shared store. The deployment's own counter (limiter) is dropped: the
// shared limiter keeps a local one for when the store fails, carried over
// from the version before (old) while the limits keep their windows.
func (g *generation) shareLimits(ls *limitShare, old func(string) *deployment) {
	_, free := ls.store.(contextFree)
	for _, d := range g.deployments {
		if len(d.limits) == 0 {
			continue
		}
		sl := &sharedLimits{store: ls.store, name: d.Name, limits: d.limits, free: free, local: &bucket{}}
		for _, l := range d.limits {
			sl.localLimits = append(sl.localLimits, Limit{Window: l.Window,
				Requests: shareOf(l.Requests, ls.replicas), Tokens: shareOf(l.Tokens, ls.replicas)})
		}
		if p := old(d.Name); p != nil && p.shared != nil && sameWindows(p.limits, d.limits) {
			sl.local = p.shared.local
		}
		d.shared, d.limiter = sl, nil
	}
}

// shareOf is one replica's share of limit v (0 = unlimited stays 0).
func shareOf(v int64, replicas int) int64 {
	if v <= 0 {
		return v
	}
	return max(v/int64(replicas), 1)
}

// sharedLimits counts one deployment's RPM and TPM in a shared store. The
// claims of calls in flight are kept here under a handle (the call's slot
// carries the handle), from reserve to settle or cancel.
type sharedLimits struct {
	store       QuotaStore
	name        string
	limits      []Limit
	free        bool    // the store ignores contexts (no detached one needed)
	local       *bucket // counts against localLimits while the store fails
	localLimits []Limit
	seq         atomic.Int64 // the last handle given; also makes reservation IDs unique
	claims      sync.Map     // handle -> *sharedClaim, for calls in flight
	fallbacks   atomic.Int64 // calls counted locally because the store failed
}

// sharedClaim is one call's claim on a deployment's shared limits.
type sharedClaim struct {
	res   Reservation
	local bool // counted by sharedLimits.local: the store had failed
}

// reserve claims one request and tokens on the deployment at now, for the
// request requestID. It returns the claim's handle (never 0), or why the
// deployment refuses and until when, as deployment.acquire does.
func (sl *sharedLimits) reserve(ctx context.Context, requestID string, tokens int64, now time.Time) (handle int64, reason string, until int64) {
	handle = sl.seq.Add(1)
	res := Reservation{ID: requestID + "/" + strconv.FormatInt(handle, 36), Rule: sharedDeploymentRule,
		Key: sl.name, Limits: sl.limits, Amount: Amount{Requests: 1, Tokens: tokens}, Time: now}
	err := safeReserve(ctx, sl.store, res)
	var qe *QuotaError
	switch {
	case err == nil:
		sl.claims.Store(handle, &sharedClaim{res: res})
		return handle, "", 0
	case errors.As(err, &qe):
		reason, until = limitRefusal(qe, now, tokens)
		return 0, reason, until
	}
	// The store failed: count this replica's share here.
	sl.fallbacks.Add(1)
	if qe, _ := sl.local.reserve(sl.localLimits, res.Amount, now); qe != nil {
		reason, until = limitRefusal(qe, now, tokens)
		return 0, reason, until
	}
	sl.claims.Store(handle, &sharedClaim{res: res, local: true})
	return handle, "", 0
}

// settle charges the call's actual tokens in place of the estimate (the
// request stays counted), once.
func (sl *sharedLimits) settle(handle, actual int64) {
	sl.end(handle, &Amount{Requests: 1, Tokens: actual})
}

// cancel returns the whole claim: the call was never sent.
func (sl *sharedLimits) cancel(handle int64) { sl.end(handle, nil) }

func (sl *sharedLimits) end(handle int64, actual *Amount) {
	v, ok := sl.claims.LoadAndDelete(handle)
	if !ok {
		return
	}
	cl := v.(*sharedClaim)
	if cl.local {
		a := Amount{}
		if actual != nil {
			a = *actual
		}
		sl.local.settle(cl.res.Amount, a, cl.res.Time)
		return
	}
	ctx := context.Background()
	if !sl.free {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, settleTimeout)
		defer cancel()
	}
	safeSettle(ctx, sl.store, cl.res, actual)
}
