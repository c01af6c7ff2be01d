// Package redisstore is a llmrouter.QuotaStore kept in Redis (or Valkey),
// so that every replica of a service enforces one set of quotas: a
// tenant's requests, tokens and dollars per window, and its requests in
// flight, counted once for the whole fleet.
//
//	client := redis.NewUniversalClient(&redis.UniversalOptions{
//		Addrs: []string{"redis:6379"}, ContextTimeoutEnabled: true})
//	store, err := redisstore.New(client, redisstore.Options{})
//	defer store.Close()
//	router, err := llmrouter.New(..., llmrouter.WithQuota(store,
//		llmrouter.PerTenant(llmrouter.RPM(600), llmrouter.USDPerDay(50), llmrouter.MaxConcurrent(20))))
//
// # What one admission costs
//
// Reserve runs one Lua script (EVALSHA; EVAL once if Redis lacks it): it
// reads the server's clock (TIME), checks every limit of the reservation,
// and charges all of them or none. Settle and Cancel run one more script,
// applied once per reservation: a retried settlement (by go-redis after a
// timeout, or by the store after an outage) never counts twice, and a
// retried reservation is recognised and not charged again. A request with
// several rules (per tenant and per user, say) makes one such round trip
// per rule. Calls made at the same moment by many goroutines go out
// together in one pipeline (the first caller sends what is queued; no timer
// waits), so each is still in exactly one round trip while Redis reads and
// writes once per batch.
//
// # Keys
//
// Every key of one bucket (rule, key) carries the hash tag {<128-bit hash
// of rule and key>}, so a reservation's keys sit in one Cluster slot, and
// different tenants spread over the shards: Prefix:{tag}:c (one hash of
// counters for every window length of the bucket), Prefix:{tag}:lease (a
// sorted set of leases), Prefix:{tag}:res:<request id>@<time> (the
// reservation record, kept Options.MaxRequestTime, then 10 minutes once
// settled). Every key expires on its own. (Before this layout counters
// sat in one hash per window length, Prefix:{tag}:w:<ms>: replicas of the
// two versions do not see each other's counts, so switch a fleet at once,
// or expect one window's limits to be counted twice over.)
//
// # Concurrency
//
// A concurrency slot is a lease that expires Options.LeaseTTL after it was
// last renewed; the store renews its requests' leases every LeaseTTL/3 from
// one goroutine, so a replica that dies returns its slots within LeaseTTL.
//
// # When Redis fails
//
// Every operation has a timeout (Options.Timeout, 250 ms), and a circuit
// breaker opens after 5 failures in a row, so that while Redis is down a
// reservation costs one check of an atomic state, not a timeout. Reserve
// then refuses (FailClosed, the default: *UnavailableError, which is
// llmrouter.ErrQuotaExceeded) or admits against this replica's share of
// the limits in memory (FailLocal). A settlement that fails is retried in
// the background, once a second, until it lands or MaxRequestTime passes;
// a reservation whose outcome is unknown (a timeout) is cancelled the same
// way. Nothing is admitted twice and no slot outlives its lease.
//
// # Shared deployment state
//
// Cooldowns (NewCooldowns, for llmrouter.WithSharedCooldowns) share the
// deployments' rate-limit cooldowns among replicas through one hash, read
// every Refresh (1 s). A Store passed to llmrouter.WithSharedDeploymentLimits
// counts every deployment's RPM and TPM for the fleet, one reservation per
// call on a limited deployment, in buckets named "llmrouter.deployment".
package redisstore
