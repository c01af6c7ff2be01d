package llmrouter_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/faults"
	"github.com/llmrouter/llmrouter/internal/racedetect"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The chaos suite drives thousands of requests through a router whose
// providers fail at random, and checks what the router promises on a bad
// day. Faults are drawn from a seeded generator keyed by (request, attempt),
// so a run is reproducible whatever the goroutine schedule.

// injector decides each attempt's fate from (seed, request id, attempt).
// Deployments in healthy never fail.
type injector struct {
	seed     uint64
	mix      []float64 // shares, in faults.Pick's order
	healthy  map[string]bool
	attempts sync.Map // request id -> *atomic.Int64
	counts   [6]atomic.Int64
}

func (in *injector) fate(reqID string, stream bool) faults.Fate {
	v, _ := in.attempts.LoadOrStore(reqID, new(atomic.Int64))
	n := v.(*atomic.Int64).Add(1)
	f := faults.Pick(faults.Draw(in.seed, reqID, n), in.mix...)
	if f == faults.StreamCut && !stream {
		f = faults.OK // a cut needs a stream to cut
	}
	in.counts[f].Add(1)
	return f
}

func (in *injector) step(c fake.Call) fake.Step {
	if in.healthy[c.Deployment] {
		return fake.Reply("a healthy answer")
	}
	switch in.fate(c.Request.ID, c.Stream) {
	case faults.Server:
		return fake.ServerError()
	case faults.RateLimited:
		return fake.RateLimited(2 * time.Millisecond)
	case faults.Hang:
		return fake.Hang()
	case faults.StreamCut:
		return fake.StreamCut("partial answer that gets cut", 2)
	case faults.Malformed:
		return fake.Fail(llmrouter.KindMalformed, 200)
	}
	return fake.Reply("a healthy answer")
}

// chaosResult is what a chaos run measured.
type chaosResult struct {
	requests, successes, typedFailures, untyped, interrupted int64
	policyViolations, records, leaked, noRoute               int64
}

func (r chaosResult) String() string {
	return fmt.Sprintf("requests=%d successes=%d typed_failures=%d untyped_failures=%d interrupted_streams=%d policy_violations=%d lineage_records=%d leaked_goroutines=%d",
		r.requests, r.successes, r.typedFailures, r.untyped, r.interrupted, r.policyViolations, r.records, r.leaked)
}

// chaosDeployments are four deployments on three providers; "us" is
// refused by the router's policy, "limited" by the bank tenant's.
func chaosDeployments(openai, anthropic, gemini llmrouter.Provider) []llmrouter.Deployment {
	return []llmrouter.Deployment{
		{Name: "openai-eu", Provider: openai, Model: "gpt", Region: "eu-west-1", Retention: llmrouter.ZeroRetention},
		{Name: "anthropic-eu", Provider: anthropic, Model: "claude", Region: "eu-central-1", Retention: llmrouter.LimitedRetention},
		{Name: "gemini-eu", Provider: gemini, Model: "gemini", Region: "europe-west4", Retention: llmrouter.ZeroRetention},
		{Name: "openai-us", Provider: openai, Model: "gpt", Region: "us-east-1", Retention: llmrouter.ZeroRetention},
	}
}

func chaosRouter(t testing.TB, deps []llmrouter.Deployment, sink llmrouter.Sink) *llmrouter.Router {
	// An attempt's timeouts end hung calls; they must not end healthy ones
	// that a loaded machine (64 workers under -race) is slow to schedule.
	attempt := 100 * time.Millisecond
	if racedetect.Enabled {
		attempt = 400 * time.Millisecond
	}
	r, err := llmrouter.New(
		llmrouter.WithDeployments(deps...),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"openai-eu", "anthropic-eu", "openai-us"}, {"gemini-eu"}}}),
		llmrouter.WithPolicies(llmrouter.Any(llmrouter.RegionIn("eu-*"), llmrouter.RegionIn("europe-*"))),
		llmrouter.WithTenantPolicies("bank", llmrouter.RequireZeroRetention()),
		llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 6, AttemptsPerDeployment: 3, InitialBackoff: 100 * time.Microsecond, MaxBackoff: time.Millisecond,
			MaxWait: 20 * time.Millisecond, Cooldown: 2 * time.Millisecond,
			// Nearly half the attempts fail here: the budget must let a
			// retry follow each success for the healthy half to get through.
			Budget: llmrouter.RetryBudget{Tokens: 100, Ratio: 1}}),
		llmrouter.WithTimeouts(llmrouter.Timeouts{Attempt: attempt, FirstToken: attempt, Idle: 2 * attempt}),
		llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 8, OpenFor: 5 * time.Millisecond}),
		llmrouter.WithLineage(sink),
	)
	require.NoError(t, err)
	return r
}

// runChaos sends n requests (every other one streamed, every third for the
// bank tenant) from 64 workers and checks every promise.
func runChaos(t *testing.T, r *llmrouter.Router, n int, sink *countSink, refused func(deployment string) bool) chaosResult {
	t.Helper()
	before := runtime.NumGoroutine()
	var res chaosResult
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				req := hello("chat")
				req.ID = "req-" + strconv.FormatInt(i, 10)
				if i%3 == 0 {
					req.Tenant = "bank"
				}
				var err error
				if i%2 == 0 {
					var s *llmrouter.Stream
					s, err = r.ChatStream(context.Background(), req)
					if err == nil {
						text := read(s)
						err = s.Err()
						s.Close()
						if err == nil && text != "a healthy answer" {
							t.Errorf("%s: a stream ended cleanly with %q", req.ID, text)
						}
					}
				} else {
					var resp *llmrouter.Response
					resp, err = r.Chat(context.Background(), req)
					if err == nil && resp.Text != "a healthy answer" {
						t.Errorf("%s: answer %q", req.ID, resp.Text)
					}
				}
				atomic.AddInt64(&res.requests, 1)
				var re *llmrouter.RouteError
				var se *llmrouter.StreamError
				switch {
				case err == nil:
					atomic.AddInt64(&res.successes, 1)
				case errors.As(err, &se):
					atomic.AddInt64(&res.interrupted, 1)
					atomic.AddInt64(&res.typedFailures, 1)
				case errors.As(err, &re) && errors.Is(err, llmrouter.ErrNoRoute):
					atomic.AddInt64(&res.typedFailures, 1)
					if k := atomic.AddInt64(&res.noRoute, 1); k <= 3 && testing.Verbose() {
						fmt.Printf("sample failure: %v\n", err)
					}
					if len(re.Attempts) == 0 && len(re.Skipped) == 0 {
						t.Errorf("%s: a failure that names no attempt and no skipped candidate: %v", req.ID, err)
					}
				default:
					atomic.AddInt64(&res.untyped, 1)
					t.Errorf("%s: untyped failure %T: %v", req.ID, err, err)
				}
			}
		}()
	}
	wg.Wait()
	res.records = sink.n.Load()
	res.policyViolations = sink.violations(refused)
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	res.leaked = int64(max(runtime.NumGoroutine()-before, 0))
	return res
}

// countSink counts records and the attempts each made, per deployment and
// tenant.
type countSink struct {
	n        atomic.Int64
	mu       sync.Mutex
	attempts map[string]int // tenant + "/" + deployment -> attempts
	ids      map[string]int
}

func newCountSink() *countSink { return &countSink{attempts: map[string]int{}, ids: map[string]int{}} }

func (s *countSink) Write(_ context.Context, r *llmrouter.Record) {
	s.n.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids[r.RequestID]++
	for _, a := range r.Attempts {
		s.attempts[r.Tenant+"/"+a.Deployment]++
	}
}

func (s *countSink) violations(refused func(string) bool) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v int64
	for k, n := range s.attempts {
		if refused(k) {
			v += int64(n)
		}
	}
	for _, n := range s.ids {
		if n != 1 {
			v += 1000 // a request with other than one record is as bad
		}
	}
	return v
}

func refusedInChaos(key string) bool {
	return key == "/openai-us" || key == "bank/openai-us" || key == "bank/anthropic-eu"
}

func TestChaosFake(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos suite")
	}
	// gemini-eu is healthy and allowed for every tenant: every request has
	// a deployment that would serve it, so every request must get through,
	// apart from streams cut after their content began (which must surface
	// as *StreamError).
	in := &injector{seed: faults.Seed, mix: faults.IssueMix, healthy: map[string]bool{"gemini-eu": true}}
	providers := []*fake.Provider{
		fake.New("openai", fake.WithFunc(in.step), fake.WithCallRecording(true)),
		fake.New("anthropic", fake.WithFunc(in.step), fake.WithCallRecording(true)),
		fake.New("gcp.gemini", fake.WithFunc(in.step), fake.WithCallRecording(true)),
	}
	sink := newCountSink()
	r := chaosRouter(t, chaosDeployments(providers[0], providers[1], providers[2]), sink)
	const n = 10_000
	res := runChaos(t, r, n, sink, refusedInChaos)
	t.Logf("chaos/fake: %v", res)
	t.Logf("fates: ok=%d server=%d 429=%d hang=%d cut=%d malformed=%d", in.counts[0].Load(), in.counts[1].Load(), in.counts[2].Load(), in.counts[3].Load(), in.counts[4].Load(), in.counts[5].Load())
	fmt.Printf("chaos/fake: %v\n", res)

	// The fake recorded every call: none reached a refused deployment.
	for _, p := range providers {
		for _, c := range p.Calls() {
			if c.Deployment == "openai-us" || (c.Request.Tenant == "bank" && c.Deployment == "anthropic-eu") {
				t.Errorf("%s reached refused deployment %s", c.Request.ID, c.Deployment)
			}
		}
	}
	assert.EqualValues(t, n, res.requests)
	assert.EqualValues(t, n, res.records, "exactly one lineage record per request")
	assert.Zero(t, res.policyViolations)
	assert.Zero(t, res.untyped)
	assert.Zero(t, res.leaked)
	assert.EqualValues(t, n, res.successes+res.typedFailures)
	// A cut happens after content reached the caller, so it must come back
	// as a *StreamError (a stream that ended cleanly with a partial answer
	// fails the test above). On a loaded machine a few cut attempts are
	// abandoned by the first-token timeout before their content arrives,
	// and fail over unseen instead.
	assert.LessOrEqual(t, res.interrupted, in.counts[faults.StreamCut].Load())
	assert.Positive(t, res.interrupted, "cuts after content surface as *StreamError")
	assert.EqualValues(t, n, res.successes+res.interrupted, "every request with a healthy, allowed deployment got through")
}

// TestFullOutage: every provider down. Retries stay within the budget, the
// router fails fast with ErrNoRoute naming causes, and it recovers through
// half-open probes when the providers return.
func TestFullOutage(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	step := func(fake.Call) fake.Step {
		if down.Load() {
			return fake.ServerError()
		}
		return fake.Reply("back")
	}
	ps := []*fake.Provider{fake.New("a", fake.WithFunc(step)), fake.New("b", fake.WithFunc(step)), fake.New("c", fake.WithFunc(step))}
	sink := newCountSink()
	r, err := llmrouter.New(
		llmrouter.WithDeployments(dep("a", ps[0]), dep("b", ps[1]), dep("c", ps[2])),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a", "b", "c"}}}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{InitialBackoff: 50 * time.Microsecond, MaxBackoff: 100 * time.Microsecond,
			Budget: llmrouter.RetryBudget{Tokens: 20, Ratio: 0.5}}),
		llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 5, OpenFor: 50 * time.Millisecond}),
		llmrouter.WithLineage(sink),
	)
	require.NoError(t, err)
	calls := func() int { return ps[0].CallCount() + ps[1].CallCount() + ps[2].CallCount() }

	const n = 1000
	start := time.Now()
	for range n {
		_, err := r.Chat(context.Background(), hello("chat"))
		require.ErrorIs(t, err, llmrouter.ErrNoRoute)
		var re *llmrouter.RouteError
		require.ErrorAs(t, err, &re)
		require.True(t, len(re.Attempts) > 0 || len(re.Skipped) > 0, "the error names its causes: %v", err)
	}
	elapsed := time.Since(start)
	total := calls()
	extra := total - n
	t.Logf("full outage: %d requests, %d upstream calls (%d beyond one per request) in %v; budget level %.2f",
		n, total, extra, elapsed, r.Stats().RetryBudget)
	fmt.Printf("full-outage: requests=%d upstream_calls=%d retry_budget_level=%.2f elapsed=%v\n", n, total, r.Stats().RetryBudget, elapsed.Round(time.Millisecond))
	assert.LessOrEqual(t, total, 3*5+20, "breakers open after 5 failures each; the budget allows ~10 extra attempts")
	assert.Less(t, elapsed, 2*time.Second, "fails fast")

	down.Store(false)
	time.Sleep(60 * time.Millisecond) // breakers go half-open
	recovered := 0
	for range 50 {
		if _, err := r.Chat(context.Background(), hello("chat")); err == nil {
			recovered++
		}
	}
	t.Logf("after recovery: %d/50 succeeded", recovered)
	assert.GreaterOrEqual(t, recovered, 49, "half-open probes close the breakers")
	assert.EqualValues(t, n+50, sink.n.Load())
}
