package llmrouter

import (
	"context"
	"errors"
	"strconv"
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

// shareLimits moves the limits of every deployment that has some to the
// shared store. The deployment's own counter (limiter) is dropped: the
// shared limiter keeps a local one for when the store fails.
func (r *Router) shareLimits(ls *limitShare) error {
	switch {
	case ls.store == nil:
		return &ConfigError{"WithSharedDeploymentLimits", "store is nil"}
	case ls.replicas < 1:
		return &ConfigError{"WithSharedDeploymentLimits", "replicas must be at least 1: " +
			"while the store is out each replica counts its share of every limit"}
	}
	_, free := ls.store.(contextFree)
	for _, d := range r.deployments {
		if d.limiter == nil {
			continue
		}
		sl := &sharedLimits{store: ls.store, name: d.Name, limits: d.limits, free: free, local: &bucket{}}
		for _, l := range d.limits {
			sl.localLimits = append(sl.localLimits, Limit{Window: l.Window,
				Requests: shareOf(l.Requests, ls.replicas), Tokens: shareOf(l.Tokens, ls.replicas)})
		}
		d.shared, d.limiter = sl, nil
	}
	return nil
}

// shareOf is one replica's share of limit v (0 = unlimited stays 0).
func shareOf(v int64, replicas int) int64 {
	if v <= 0 {
		return v
	}
	return max(v/int64(replicas), 1)
}

// sharedLimits counts one deployment's RPM and TPM in a shared store.
type sharedLimits struct {
	store       QuotaStore
	name        string
	limits      []Limit
	free        bool    // the store ignores contexts (no detached one needed)
	local       *bucket // counts against localLimits while the store fails
	localLimits []Limit
	seq         atomic.Uint64 // makes each reservation's ID unique
	fallbacks   atomic.Int64  // calls counted locally because the store failed
}

// sharedLease is one call's claim on a deployment's shared limits, held in
// its slot; nil holds nothing.
type sharedLease struct {
	sl    *sharedLimits
	res   Reservation
	local bool // counted by sl.local: the store had failed
}

// reserve claims one request and tokens on the deployment at now, for the
// request requestID. It returns why the deployment refuses, and until when,
// as deployment.acquire does.
func (sl *sharedLimits) reserve(ctx context.Context, requestID string, tokens int64, now time.Time) (l *sharedLease, reason string, until int64) {
	res := Reservation{ID: requestID + "/" + strconv.FormatUint(sl.seq.Add(1), 36), Rule: sharedDeploymentRule,
		Key: sl.name, Limits: sl.limits, Amount: Amount{Requests: 1, Tokens: tokens}, Time: now}
	err := safeReserve(ctx, sl.store, res)
	var qe *QuotaError
	switch {
	case err == nil:
		return &sharedLease{sl: sl, res: res}, "", 0
	case errors.As(err, &qe):
		reason, until = limitRefusal(qe, now)
		return nil, reason, until
	}
	// The store failed: count this replica's share here.
	sl.fallbacks.Add(1)
	if qe, _ := sl.local.reserve(sl.localLimits, res.Amount, now); qe != nil {
		reason, until = limitRefusal(qe, now)
		return nil, reason, until
	}
	return &sharedLease{sl: sl, res: res, local: true}, "", 0
}

// settle charges the call's actual tokens in place of the estimate (the
// request stays counted), once; it does nothing for a nil lease.
func (l *sharedLease) settle(actual int64) {
	l.end(&Amount{Requests: 1, Tokens: actual})
}

// cancel returns the whole claim: the call was never sent.
func (l *sharedLease) cancel() { l.end(nil) }

func (l *sharedLease) end(actual *Amount) {
	if l == nil || l.sl == nil {
		return
	}
	sl := l.sl
	l.sl = nil
	if l.local {
		a := Amount{}
		if actual != nil {
			a = *actual
		}
		sl.local.settle(l.res.Amount, a, l.res.Time)
		return
	}
	ctx := context.Background()
	if !sl.free {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, settleTimeout)
		defer cancel()
	}
	safeSettle(ctx, sl.store, l.res, actual)
}
