package llmrouter

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
)

// KeepVersions is how many configuration versions a Router keeps for
// Versions and Rollback, the serving one included.
const KeepVersions = 8

// ErrCanaryRunning is returned by Apply and Rollback while a canary runs:
// Promote or AbortCanary it first. (A second Canary replaces the running
// one's candidate.)
var ErrCanaryRunning = errors.New("llmrouter: a canary is running; promote or abort it first")

// ErrNoCanary is returned by Promote and AbortCanary when no canary runs.
var ErrNoCanary = errors.New("llmrouter: no canary is running")

// serving is what the router serves now: the current version and, during a
// canary, the candidate and the requests it takes.
type serving struct {
	cur, cand *generation
	share     float64 // of requests the candidate takes
	threshold uint64  // requests whose canary key is below it go to cand
}

// lookup returns the deployment named name in the serving versions, or nil.
func (s *serving) lookup(name string) *deployment {
	if s == nil {
		return nil
	}
	if d := s.cur.byName[name]; d != nil {
		return d
	}
	if s.cand != nil {
		return s.cand.byName[name]
	}
	return nil
}

// find returns the first serving version (current, then candidate) that
// ok accepts, or nil.
func (s *serving) find(ok func(*generation) bool) *generation {
	switch {
	case s == nil:
		return nil
	case ok(s.cur):
		return s.cur
	case s.cand != nil && ok(s.cand):
		return s.cand
	}
	return nil
}

// pick returns the version that serves a request of tenant with affinity
// key (Request.AffinityKey): the current one, or during a canary the
// candidate for its share of tenants (of keys, for requests without a
// tenant; of requests, for those with neither).
func (r *Router) pick(tenant, key string) *generation {
	s := r.state.Load()
	if s.cand == nil {
		return s.cur
	}
	var k uint64
	switch {
	case tenant != "":
		k = mix64(hashString(tenant) ^ 0x7e4a9c1d3b5f2806) // salted: not Sticky's order
	case key != "":
		k = mix64(hashString(key) ^ 0x1c3e5a7b9d2f4608)
	default:
		k = rand.Uint64()
	}
	if k < s.threshold {
		return s.cand
	}
	return s.cur
}

// serve is pick for a chat request (nil: the current version).
func (r *Router) serve(req *Request) *generation {
	if req == nil {
		return r.state.Load().cur
	}
	return r.pick(req.Tenant, req.AffinityKey)
}

// versionLog keeps the versions Apply made, for Versions and Rollback, and
// serialises the calls that change what is served.
type versionLog struct {
	mu   sync.Mutex
	kept []*generation // oldest first, at most KeepVersions
}

func (l *versionLog) add(g *generation) {
	l.kept = append(l.kept, g)
	if len(l.kept) > KeepVersions {
		l.kept = slices.Delete(l.kept, 0, len(l.kept)-KeepVersions)
	}
}

// Apply validates the configuration opts describe, as New does, and makes
// it the one every request that starts afterwards is served by; requests
// already running finish on the version they started with. Options that
// only New takes (WithLineage, WithTracerProvider, WithMeterProvider,
// WithClock, WithContentCapture, WithStatsDecay, WithSharedCooldowns) are
// refused: they stay as New set them.
//
// What carries over to deployments that keep their name: breaker state
// (while the breaker policy is unchanged), cooldowns, calls in flight,
// statistics, and rate-limit counts (while their windows are unchanged);
// and to the router: the retry budget (while its policy is unchanged), each
// route's hedging budget, and, for a Config that registers no QuotaStore,
// the quota counters. A registered QuotaStore keeps its own.
//
// An invalid configuration is refused with New's error (a *ConfigError) and
// the serving one goes on. Apply returns the new version; applying a
// configuration equal to the serving one makes a new version with the same
// ID. Apply is safe for concurrent use (calls that change the configuration
// run one at a time) and returns ErrCanaryRunning during a canary.
func (r *Router) Apply(opts ...Option) (ConfigVersion, error) {
	c, err := r.buildApplied(opts)
	if err != nil {
		return ConfigVersion{}, err
	}
	r.versions.mu.Lock()
	defer r.versions.mu.Unlock()
	return r.serveOnly(c)
}

// serveOnly builds the version c describes on what is served and serves it
// alone, unless a canary runs. The caller holds r.versions.mu.
func (r *Router) serveOnly(c *config) (ConfigVersion, error) {
	s := r.state.Load()
	if s.cand != nil {
		return ConfigVersion{}, ErrCanaryRunning
	}
	g := r.build(c, s)
	r.state.Store(&serving{cur: g})
	r.versions.add(g)
	return g.version, nil
}

// buildApplied is buildConfig for Apply and Canary.
func (r *Router) buildApplied(opts []Option) (*config, error) {
	c, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	for _, f := range [...]struct {
		set  bool
		name string
	}{
		{len(c.sinks) > 0, "Lineage"}, {c.tracerProvider != nil, "TracerProvider"},
		{c.meterProvider != nil, "MeterProvider"}, {c.clock != nil, "Clock"},
		{c.captureContent, "ContentCapture"}, {c.statsDecay != 0, "StatsDecay"},
		{c.cooldownShare != nil, "SharedCooldowns"},
	} {
		if f.set {
			return nil, &ConfigError{f.name, "set by New only; Apply changes the configuration, not the router's sinks, telemetry or clock"}
		}
	}
	return c, nil
}

// ConfigVersion returns the version that serves requests (outside a
// canary's share).
func (r *Router) ConfigVersion() ConfigVersion { return r.state.Load().cur.version }

// Versions returns the versions kept for Rollback, newest first: at most
// KeepVersions, the serving one and a canary's candidate among them.
func (r *Router) Versions() []ConfigVersion {
	r.versions.mu.Lock()
	defer r.versions.mu.Unlock()
	out := make([]ConfigVersion, 0, len(r.versions.kept))
	for i := len(r.versions.kept) - 1; i >= 0; i-- {
		out = append(out, r.versions.kept[i].version)
	}
	return out
}

// Rollback applies the kept version whose ID is id again (see Apply: live
// state carries over as for any configuration). It returns the new
// version, with the same ID; an unknown id is an error naming it. It
// returns ErrCanaryRunning during a canary.
func (r *Router) Rollback(id string) (ConfigVersion, error) {
	r.versions.mu.Lock()
	defer r.versions.mu.Unlock()
	for i := len(r.versions.kept) - 1; i >= 0; i-- {
		if old := r.versions.kept[i]; old.version.ID == id {
			return r.serveOnly(old.cfg)
		}
	}
	return ConfigVersion{}, errors.New("llmrouter: no kept configuration version " + strconv.Quote(id))
}

// Canary validates the configuration opts describe, as Apply does, and
// serves share (within (0, 1]) of requests by it, the rest by the current
// version: sticky by tenant, so that a tenant sees one version, then by
// Request.AffinityKey for requests without a tenant; requests with neither
// are split at random. Records (Record.ConfigVersion), spans and metrics
// name the version that served each request. Promote makes the candidate
// the serving version; AbortCanary drops it. A second Canary replaces the
// first candidate.
func (r *Router) Canary(share float64, opts ...Option) (ConfigVersion, error) {
	if !(share > 0 && share <= 1) {
		return ConfigVersion{}, &ConfigError{"Canary.share", strconv.FormatFloat(share, 'g', -1, 64) + " is not within (0, 1]"}
	}
	c, err := r.buildApplied(opts)
	if err != nil {
		return ConfigVersion{}, err
	}
	r.versions.mu.Lock()
	defer r.versions.mu.Unlock()
	s := r.state.Load()
	g := r.build(c, s)
	threshold := uint64(math.MaxUint64)
	if share < 1 {
		threshold = uint64(share * (1 << 64))
	}
	r.state.Store(&serving{cur: s.cur, cand: g, share: share, threshold: threshold})
	r.versions.add(g)
	return g.version, nil
}

// CanaryStatus returns the running canary's candidate version and share,
// and whether one runs.
func (r *Router) CanaryStatus() (candidate ConfigVersion, share float64, running bool) {
	s := r.state.Load()
	if s.cand == nil {
		return ConfigVersion{}, 0, false
	}
	return s.cand.version, s.share, true
}

// Promote makes the canary's candidate the version that serves every
// request, and returns it.
func (r *Router) Promote() (ConfigVersion, error) {
	r.versions.mu.Lock()
	defer r.versions.mu.Unlock()
	s := r.state.Load()
	if s.cand == nil {
		return ConfigVersion{}, ErrNoCanary
	}
	r.state.Store(&serving{cur: s.cand})
	return s.cand.version, nil
}

// AbortCanary stops the canary: every request is served by the current
// version again. Requests the candidate is serving finish on it.
func (r *Router) AbortCanary() error {
	r.versions.mu.Lock()
	defer r.versions.mu.Unlock()
	s := r.state.Load()
	if s.cand == nil {
		return ErrNoCanary
	}
	r.state.Store(&serving{cur: s.cur})
	return nil
}
