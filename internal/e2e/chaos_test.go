package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/faults"
	"github.com/llmrouter/llmrouter/internal/racedetect"
	"github.com/llmrouter/llmrouter/providers/anthropic"
	"github.com/llmrouter/llmrouter/providers/gemini"
	"github.com/llmrouter/llmrouter/providers/openai"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// issueFaults draws each attempt's fate with the issue's mix: 30% 5xx, 10%
// 429 with Retry-After, 5% hangs, 5% streams cut after content, 2%
// malformed bodies.
func issueFaults(server string, counts *[6]atomic.Int64) decider {
	return func(id string, n int64, stream bool) faults.Fate {
		f := faults.Pick(faults.Draw(faults.Seed, server+"/"+id, n), faults.IssueMix...)
		if f == faults.StreamCut && !stream {
			f = faults.OK
		}
		counts[f].Add(1)
		return f
	}
}

type countSink struct {
	n     atomic.Int64
	mu    sync.Mutex
	ids   map[string]int
	calls map[string]int // tenant/deployment -> attempts
}

func (s *countSink) Write(_ context.Context, r *llmrouter.Record) {
	s.n.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids[r.RequestID]++
	for _, a := range r.Attempts {
		s.calls[r.Tenant+"/"+a.Deployment]++
	}
}

// TestChaosHTTP is the chaos suite over real HTTP: 4 deployments on 3
// providers behind loopback servers speaking the OpenAI, Anthropic and
// Gemini wire formats, with the issue's fault mix on all but the Gemini
// one, which stays healthy and allowed for everyone.
func TestChaosHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos suite")
	}
	// Hangs end at the attempt or first-token timeout. Under the race
	// detector on a loaded 2-core machine a healthy answer can take longer
	// than 200 ms, so the timeouts grow there.
	timeouts := llmrouter.Timeouts{Attempt: 200 * time.Millisecond, FirstToken: 200 * time.Millisecond, Idle: 500 * time.Millisecond}
	if racedetect.Enabled {
		timeouts = llmrouter.Timeouts{Attempt: time.Second, FirstToken: time.Second, Idle: 2 * time.Second}
	}
	var counts [6]atomic.Int64
	oa := newUpstream(t, openaiDialect{}, issueFaults("openai", &counts))
	an := newUpstream(t, anthropicDialect{}, issueFaults("anthropic", &counts))
	ge := newUpstream(t, geminiDialect{}, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	defer client.CloseIdleConnections()
	key := "sk-chaos-0123456789"
	op := openai.New(openai.WithBaseURL(oa.URL), openai.WithAPIKey(key), openai.WithHTTPClient(client))
	ap := anthropic.New(anthropic.WithBaseURL(an.URL), anthropic.WithAPIKey(key), anthropic.WithHTTPClient(client))
	gp := gemini.New(gemini.WithBaseURL(ge.URL), gemini.WithAPIKey(key), gemini.WithHTTPClient(client))
	sink := &countSink{ids: map[string]int{}, calls: map[string]int{}}
	r, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "openai-eu", Provider: op, Model: "gpt", Region: "eu-west-1", Retention: llmrouter.ZeroRetention},
			llmrouter.Deployment{Name: "anthropic-eu", Provider: ap, Model: "claude", Region: "eu-central-1", Retention: llmrouter.LimitedRetention},
			llmrouter.Deployment{Name: "gemini-eu", Provider: gp, Model: "gemini", Region: "eu-north-1", Retention: llmrouter.ZeroRetention},
			llmrouter.Deployment{Name: "openai-us", Provider: op, Model: "gpt-us", Region: "us-east-1", Retention: llmrouter.ZeroRetention},
		),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"openai-eu", "anthropic-eu", "openai-us"}, {"gemini-eu"}}}),
		llmrouter.WithPolicies(llmrouter.RegionIn("eu-*")),
		llmrouter.WithTenantPolicies("bank", llmrouter.RequireZeroRetention()),
		llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 6, AttemptsPerDeployment: 3, InitialBackoff: 100 * time.Microsecond,
			MaxBackoff: time.Millisecond, MaxWait: 20 * time.Millisecond, Cooldown: 2 * time.Millisecond,
			Budget: llmrouter.RetryBudget{Tokens: 100, Ratio: 1}}),
		llmrouter.WithTimeouts(timeouts),
		llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 8, OpenFor: 5 * time.Millisecond}),
		llmrouter.WithLineage(sink),
	)
	require.NoError(t, err)

	n := 10_000
	if racedetect.Enabled {
		n = 2_000 // the race detector slows HTTP ten-fold
	}
	before := runtime.NumGoroutine()
	var ok, interrupted, noRoute, untyped atomic.Int64
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				id := "req-" + strconv.FormatInt(i, 10)
				req := &llmrouter.Request{ID: id, Model: "chat", Messages: []llmrouter.Message{llmrouter.User("Answer " + id)}}
				if i%3 == 0 {
					req.Tenant = "bank"
				}
				var err error
				if i%2 == 0 {
					var s *llmrouter.Stream
					if s, err = r.ChatStream(context.Background(), req); err == nil {
						var text strings.Builder
						for s.Next() {
							text.WriteString(s.Current().Text)
						}
						err = s.Err()
						s.Close()
						if err == nil && text.String() != answerText {
							t.Errorf("%s: a stream ended cleanly with %q", id, text.String())
						}
					}
				} else {
					var resp *llmrouter.Response
					if resp, err = r.Chat(context.Background(), req); err == nil && resp.Text != answerText {
						t.Errorf("%s: answer %q", id, resp.Text)
					}
				}
				var se *llmrouter.StreamError
				var re *llmrouter.RouteError
				switch {
				case err == nil:
					ok.Add(1)
				case errors.As(err, &se):
					interrupted.Add(1)
				case errors.As(err, &re):
					noRoute.Add(1)
					t.Errorf("%s: failed though gemini-eu was healthy and allowed: %v", id, err)
				default:
					untyped.Add(1)
					t.Errorf("%s: untyped failure %T: %v", id, err, err)
				}
			}
		}()
	}
	wg.Wait()
	client.CloseIdleConnections()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	leaked := max(runtime.NumGoroutine()-before, 0)

	violations := sink.calls["/openai-us"] + sink.calls["bank/openai-us"] + sink.calls["bank/anthropic-eu"]
	usCalls := oa.modelCalls("gpt-us")
	records := 0
	for _, c := range sink.ids {
		if c != 1 {
			violations += 1000
		}
		records += c
	}
	line := fmt.Sprintf("chaos/http: requests=%d successes=%d typed_failures=%d untyped_failures=%d interrupted_streams=%d policy_violations=%d lineage_records=%d leaked_goroutines=%d",
		n, ok.Load(), interrupted.Load()+noRoute.Load(), untyped.Load(), interrupted.Load(), violations, records, leaked)
	t.Log(line)
	fmt.Println(line)
	t.Logf("fates: ok=%d 5xx=%d 429=%d hang=%d cut=%d malformed=%d", counts[0].Load(), counts[1].Load(), counts[2].Load(), counts[3].Load(), counts[4].Load(), counts[5].Load())

	assert.EqualValues(t, n, records, "exactly one lineage record per request")
	assert.Zero(t, violations, "no attempt reached a refused deployment")
	assert.Zero(t, usCalls, "the OpenAI server saw no call for the refused US deployment")
	assert.Positive(t, oa.modelCalls("gpt"), "the count by model works: the EU deployment was called")
	assert.Zero(t, untyped.Load())
	assert.Zero(t, noRoute.Load())
	// Clean ends with a partial answer fail the test above; every cut that
	// reached the caller's content is a *StreamError. (A cut attempt whose
	// first chunk misses the first-token timeout fails over unseen.)
	assert.LessOrEqual(t, interrupted.Load(), counts[faults.StreamCut].Load())
	assert.Positive(t, interrupted.Load(), "cuts after content surface as *StreamError")
	assert.Zero(t, leaked, "no goroutine outlives its request")
}
