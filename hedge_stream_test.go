package llmrouter_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hedged streams, on the fake provider inside a testing/synctest bubble:
// the fake's latency (before the stream opens) and chunk delay (before
// each chunk after the empty preamble) pass on the bubble's clock, as does
// the hedge delay.

var streamHedge = llmrouter.Hedge{Delay: 500 * time.Millisecond, MaxExtra: 1}

// firstChunkAfter streams text whose first visible chunk comes d after
// the call: the stream opens at once and sends its (invisible) preamble,
// then waits d before each chunk.
func firstChunkAfter(d time.Duration, text string) fake.Step {
	return fake.Step{Text: text, ChunkDelay: d}
}

// noSlotsLeft checks that every deployment's calls in flight are back.
func noSlotsLeft(t *testing.T, r *llmrouter.Router) {
	t.Helper()
	for _, s := range r.Stats().Deployments {
		assert.Zero(t, s.InFlight, "%s holds a slot", s.Name)
	}
}

func TestHedgedStreamHedgeWins(t *testing.T) {
	for name, slow := range map[string]fake.Step{
		"slow to open":        slowStep(5 * time.Second),
		"slow to first chunk": firstChunkAfter(5*time.Second, "from a"),
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{}
				r, ps := hedgeRouter(t, streamHedge, rec, map[string]fake.Step{"a": slow}, []string{"a"}, []string{"b"})
				start := time.Now()
				s, err := r.ChatStream(context.Background(), hello("chat"))
				require.NoError(t, err)
				assert.Equal(t, 600*time.Millisecond, time.Since(start), "the hedge left after 500ms and reached its first chunk in 100ms")
				assert.Equal(t, "b", s.Deployment())
				st := r.Stats()
				assert.Equal(t, int64(0), st.Deployments[0].InFlight, "a's slot is released")
				assert.Equal(t, int64(1), st.Deployments[1].InFlight, "b's is the stream's")
				assert.Equal(t, "from b", read(s))
				require.NoError(t, s.Err())
				record := rec.only(t)
				require.Len(t, record.Attempts, 2, "both attempts are in the record")
				lost, won := record.Attempts[0], record.Attempts[1]
				assert.Equal(t, "a", lost.Deployment)
				assert.Equal(t, llmrouter.KindCanceled, lost.Kind, "the slower attempt is stopped")
				assert.Equal(t, llmrouter.HedgeLost, lost.Code)
				assert.Equal(t, "b", won.Deployment)
				assert.Equal(t, "ok", won.Status)
				assert.Equal(t, 600*time.Millisecond, record.TTFT)
				assert.Equal(t, llmrouter.OutcomeSuccess, record.Outcome)
				assert.Equal(t, 1, ps["a"].CallCount())
				noSlotsLeft(t, r)
				a, _ := r.Stats().Deployment("a")
				assert.GreaterOrEqual(t, a.TTFT, 590*time.Millisecond, "a's TTFT is at least the time it ran without a chunk")
			})
		})
	}
}

func TestHedgedStreamNotSentWhenTheFirstChunkComesInTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		r, ps := hedgeRouter(t, streamHedge, rec, map[string]fake.Step{"a": firstChunkAfter(400*time.Millisecond, "from a")},
			[]string{"a"}, []string{"b"})
		s, err := r.ChatStream(context.Background(), hello("chat"))
		require.NoError(t, err)
		assert.Equal(t, "from a", read(s))
		assert.Zero(t, ps["b"].CallCount())
		assert.Len(t, rec.only(t).Attempts, 1)
		noSlotsLeft(t, r)
	})
}

// TestHedgedStreamNoHedgeAfterTheFirstChunk: a stream that stalls after
// its first chunk is the caller's; hedging is over.
func TestHedgedStreamNoHedgeAfterTheFirstChunk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, ps := hedgeRouter(t, streamHedge, &recorder{}, map[string]fake.Step{"a": {Text: "one two three", HangAfter: 1}},
			[]string{"a"}, []string{"b"})
		s, err := r.ChatStream(context.Background(), hello("chat"))
		require.NoError(t, err)
		require.True(t, s.Next())
		time.Sleep(10 * time.Second)
		assert.Zero(t, ps["b"].CallCount())
		require.NoError(t, s.Close())
		noSlotsLeft(t, r)
	})
}

// TestHedgedStreamPrimaryWinsTheRace: the primary reaches its first chunk
// 1ms before the hedge, or at the same instant (then either may serve):
// one serves, the other is lost, its chunk never delivered.
func TestHedgedStreamPrimaryWinsTheRace(t *testing.T) {
	for name, hedgeFirst := range map[string]time.Duration{"just before the hedge": 101 * time.Millisecond, "a tie": 100 * time.Millisecond} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{}
				r, ps := hedgeRouter(t, streamHedge, rec, map[string]fake.Step{
					"a": firstChunkAfter(600*time.Millisecond, "from a"),
					"b": firstChunkAfter(hedgeFirst, "from b"), // sent at 500ms
				}, []string{"a"}, []string{"b"})
				s, err := r.ChatStream(context.Background(), hello("chat"))
				require.NoError(t, err)
				served := s.Deployment()
				if hedgeFirst > 100*time.Millisecond {
					assert.Equal(t, "a", served)
				}
				assert.Equal(t, "from "+served, read(s))
				record := rec.only(t)
				require.Len(t, record.Attempts, 2)
				lost := record.Attempts[0]
				assert.NotEqual(t, served, lost.Deployment)
				assert.Equal(t, llmrouter.HedgeLost, lost.Code)
				if lost.Deployment == "b" && hedgeFirst > 100*time.Millisecond {
					assert.Zero(t, lost.Usage, "stopped before its first chunk, it reported nothing")
				}
				assert.Equal(t, 1, ps["b"].CallCount())
				noSlotsLeft(t, r)
			})
		})
	}
}

func TestHedgedStreamFailures(t *testing.T) {
	late := func(s fake.Step, d time.Duration) fake.Step { s.Latency = d; return s }
	for name, tc := range map[string]struct {
		steps    map[string]fake.Step
		served   string
		attempts []string // deployment:status, in record order
	}{
		"both fail, failover continues": {
			steps:    map[string]fake.Step{"a": late(fake.ServerError(), time.Second), "b": late(fake.ServerError(), time.Second)},
			served:   "c",
			attempts: []string{"a:error", "b:error", "c:ok"},
		},
		"the primary fails after the hedge left, the hedge serves": {
			steps:    map[string]fake.Step{"a": late(fake.ServerError(), time.Second), "b": firstChunkAfter(800*time.Millisecond, "from b")},
			served:   "b",
			attempts: []string{"a:error", "b:ok"},
		},
		"the hedge's provider panics, the primary serves": {
			steps:    map[string]fake.Step{"a": firstChunkAfter(time.Second, "from a"), "b": fake.Panic("boom")},
			served:   "a",
			attempts: []string{"b:error", "a:ok"},
		},
		"the hedge fails, the primary serves": {
			steps:    map[string]fake.Step{"a": firstChunkAfter(time.Second, "from a"), "b": late(fake.ServerError(), 100*time.Millisecond)},
			served:   "a",
			attempts: []string{"b:error", "a:ok"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{}
				r, _ := hedgeRouter(t, streamHedge, rec, tc.steps, []string{"a"}, []string{"b"}, []string{"c"})
				s, err := r.ChatStream(context.Background(), hello("chat"))
				require.NoError(t, err)
				assert.Equal(t, tc.served, s.Deployment())
				assert.Equal(t, "from "+tc.served, read(s))
				var got []string
				for _, a := range rec.only(t).Attempts {
					got = append(got, a.Deployment+":"+a.Status)
				}
				assert.Equal(t, tc.attempts, got)
				noSlotsLeft(t, r)
			})
		})
	}
}

func TestHedgedStreamCanceledDuringTheRace(t *testing.T) {
	for name, cancelAt := range map[string]time.Duration{
		"before the hedge": 300 * time.Millisecond,
		"after the hedge":  time.Second,
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{}
				r, ps := hedgeRouter(t, streamHedge, rec, map[string]fake.Step{"a": fake.Hang(), "b": fake.Hang()}, []string{"a"}, []string{"b"})
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(cancelAt, cancel)
				start := time.Now()
				_, err := r.ChatStream(ctx, hello("chat"))
				require.ErrorIs(t, err, context.Canceled)
				assert.Equal(t, cancelAt, time.Since(start), "returns as the caller cancels")
				record := rec.only(t)
				assert.Equal(t, llmrouter.OutcomeCanceled, record.Outcome)
				hedged := cancelAt > streamHedge.Delay
				assert.Equal(t, map[bool]int{false: 0, true: 1}[hedged], ps["b"].CallCount())
				assert.Len(t, record.Attempts, 1+map[bool]int{false: 0, true: 1}[hedged])
				for _, a := range record.Attempts {
					assert.Equal(t, llmrouter.KindCanceled, a.Kind)
				}
				noSlotsLeft(t, r)
			})
		})
	}
}

func TestHedgedStreamTotalTimeoutDuringTheRace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		r, _ := hedgeRouter(t, streamHedge, rec, map[string]fake.Step{"a": fake.Hang(), "b": fake.Hang()}, []string{"a"}, []string{"b"}, []string{"c"})
		req := hello("chat")
		req.Timeouts = &llmrouter.Timeouts{Total: time.Second}
		_, err := r.ChatStream(context.Background(), req)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Len(t, rec.only(t).Attempts, 2)
		noSlotsLeft(t, r)
	})
}

// TestHedgedStreamClosedOrDropped: the caller closes the stream the hedge
// won at once, or drops it: every slot comes back, one record is written.
func TestHedgedStreamClosedOrDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		r, _ := hedgeRouter(t, streamHedge, rec, map[string]fake.Step{"a": slowStep(5 * time.Second)}, []string{"a"}, []string{"b"})
		s, err := r.ChatStream(context.Background(), hello("chat"))
		require.NoError(t, err)
		require.NoError(t, s.Close())
		assert.Equal(t, llmrouter.OutcomeClosed, rec.only(t).Outcome)
		noSlotsLeft(t, r)
	})

	// Dropped: the garbage collector's cleanup runs outside any bubble, so
	// this runs in real time, with a short delay.
	rec := &recorder{}
	h := llmrouter.Hedge{Delay: 5 * time.Millisecond, MaxExtra: 1}
	r, _ := hedgeRouter(t, h, rec, map[string]fake.Step{"a": slowStep(3 * time.Second), "b": {Text: "from b"}}, []string{"a"}, []string{"b"})
	func() {
		s, err := r.ChatStream(context.Background(), hello("chat"))
		require.NoError(t, err)
		require.Equal(t, "b", s.Deployment())
		require.True(t, s.Next())
		// dropped here, unclosed
	}()
	require.Eventually(t, func() bool { runtime.GC(); return len(rec.all()) == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, llmrouter.OutcomeAbandoned, rec.only(t).Outcome)
	assert.Len(t, rec.only(t).Attempts, 2)
	noSlotsLeft(t, r)
}

// usageThenHang is a provider whose stream reports input usage before any
// content (as Anthropic's message_start does) and then waits for its
// context: a loser with a bill.
type usageThenHang struct{ input int }

func (usageThenHang) Name() string        { return "pu" }
func (usageThenHang) HonorsContext() bool { return true }
func (usageThenHang) Chat(context.Context, *llmrouter.Deployment, *llmrouter.Request) (*llmrouter.Response, error) {
	panic("not used")
}
func (p usageThenHang) Stream(ctx context.Context, _ *llmrouter.Deployment, _ *llmrouter.Request) (llmrouter.ChunkStream, error) {
	var n atomic.Int32
	return &funcStream{
		next: func() bool {
			if n.Add(1) == 1 {
				return true
			}
			<-ctx.Done()
			return false
		},
		current: func() llmrouter.Chunk { return llmrouter.Chunk{Usage: &llmrouter.Usage{InputTokens: p.input}} },
		err:     func() error { return ctx.Err() },
	}, nil
}

// TestHedgedStreamQuotaSettlesTheLoserAtItsUsage: the loser's reservation
// (on its deployment's TPM and in the tenant's quota) is given back, and
// what it reported using before it was stopped is charged.
func TestHedgedStreamQuotaSettlesTheLoserAtItsUsage(t *testing.T) {
	for name, loser := range map[string]struct {
		p     llmrouter.Provider
		input int
	}{
		"reported nothing": {fake.New("pa", fake.WithDefault(slowStep(5*time.Second))), 0},
		"reported input":   {usageThenHang{input: 7}, 7},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				store := llmrouter.NewMemoryQuotaStore()
				b := fake.New("pb", fake.WithDefault(fake.Step{Text: "ok", Latency: 100 * time.Millisecond,
					Usage: &llmrouter.Usage{InputTokens: 5, OutputTokens: 1}}))
				da := dep("a", loser.p)
				da.TPM = 100_000
				rec := &recorder{}
				r, err := llmrouter.New(llmrouter.WithDeployments(da, dep("b", b)),
					llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}, Hedge: streamHedge}),
					llmrouter.WithQuota(store, llmrouter.PerTenant(llmrouter.TPM(1_000_000))),
					llmrouter.WithLineage(rec))
				require.NoError(t, err)
				req := hello("chat")
				req.Tenant, req.MaxOutputTokens = "acme", 100
				s, err := r.ChatStream(context.Background(), req)
				require.NoError(t, err)
				assert.Equal(t, "ok", read(s))
				used, inFlight := store.Usage("tenant", "acme", time.Minute, time.Now())
				assert.Zero(t, inFlight)
				assert.Equal(t, int64(6+loser.input), used.Tokens, "the winner's usage and what the loser reported; no reservation kept")
				a, _ := r.Stats().Deployment("a")
				assert.Equal(t, int64(loser.input), a.TPMUsed, "the loser's deployment is charged its actual usage")
				assert.Equal(t, int64(1), a.RPMUsed)
				assert.Equal(t, loser.input, rec.only(t).Attempts[0].Usage.InputTokens)
				assert.Equal(t, 6+loser.input, rec.only(t).Usage.Total())
				noSlotsLeft(t, r)
			})
		})
	}
}

func TestHedgedStreamBudgetPoliciesAndTools(t *testing.T) {
	stream := func(r *llmrouter.Router, req *llmrouter.Request) string {
		s, err := r.ChatStream(context.Background(), req)
		require.NoError(t, err)
		read(s)
		return s.Deployment()
	}
	synctest.Test(t, func(t *testing.T) {
		r, ps := hedgeRouter(t, llmrouter.Hedge{Delay: 500 * time.Millisecond, MaxExtra: 0.25}, &recorder{},
			map[string]fake.Step{"a": slowStep(time.Second)}, []string{"a"}, []string{"b"})
		for range 40 {
			stream(r, hello("chat"))
		}
		assert.Equal(t, 10, ps["b"].CallCount(), "a quarter of the streams may be hedged")
	})
	synctest.Test(t, func(t *testing.T) {
		r, ps := hedgeRouter(t, streamHedge, &recorder{}, map[string]fake.Step{"a": slowStep(time.Second)}, []string{"a"}, []string{"us"})
		assert.Equal(t, "a", stream(r, hello("chat")))
		assert.Zero(t, ps["us"].CallCount(), "no hedge goes where a policy forbids")
	})
	for _, allow := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			h := streamHedge
			h.Tools = allow
			r, ps := hedgeRouter(t, h, &recorder{}, map[string]fake.Step{"a": slowStep(time.Second)}, []string{"a"}, []string{"b"})
			req := hello("chat")
			req.Tools = []llmrouter.Tool{{Name: "refund_order"}}
			stream(r, req)
			assert.Equal(t, map[bool]int{false: 0, true: 1}[allow], ps["b"].CallCount(), "tools allowed: %v", allow)
		})
	}
}

func TestHedgedStreamAtP95(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var script []fake.Step
		for range 30 {
			script = append(script, firstChunkAfter(200*time.Millisecond, "a"))
		}
		a := fake.New("pa", fake.WithScript(script...), fake.WithDefault(firstChunkAfter(5*time.Second, "a")))
		b := fake.New("pb", fake.WithDefault(firstChunkAfter(100*time.Millisecond, "b")))
		r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a), dep("b", b)),
			llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}},
				Hedge: llmrouter.Hedge{Delay: 10 * time.Second, AtP95: true, MaxExtra: 1}}))
		require.NoError(t, err)
		for range 30 {
			s, err := r.ChatStream(context.Background(), hello("chat"))
			require.NoError(t, err)
			require.Equal(t, "a", s.Deployment())
			read(s)
		}
		p95 := r.Stats().Deployments[0].TTFTP95
		assert.InDelta(t, float64(200*time.Millisecond), float64(p95), float64(20*time.Millisecond))
		start := time.Now()
		s, err := r.ChatStream(context.Background(), hello("chat"))
		require.NoError(t, err)
		assert.Equal(t, "b", s.Deployment())
		assert.Equal(t, p95+100*time.Millisecond, time.Since(start), "hedged at a's TTFT p95, not at Delay")
		require.NoError(t, s.Close())
	})
}

// TestHedgeDelayIsRealTime: the hedge delay is waited in real time, not on
// the router's clock (WithClock) or its sleep (which tests replace): with a
// router clock that never moves and a sleep that never returns, the hedge
// still leaves after its delay, and not before. Outside a bubble, on the
// real clock; the slow deployment is stopped when the hedge wins.
func TestHedgeDelayIsRealTime(t *testing.T) {
	const delay = 20 * time.Millisecond
	for _, stream := range []bool{false, true} {
		t.Run(map[bool]string{false: "chat", true: "stream"}[stream], func(t *testing.T) {
			a := fake.New("pa", fake.WithDefault(slowStep(3*time.Second)))
			b := fake.New("pb", fake.WithDefault(fake.Reply("from b")))
			frozen := newClock()
			r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a), dep("b", b)),
				llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}, Hedge: llmrouter.Hedge{Delay: delay, MaxExtra: 1}}),
				llmrouter.WithClock(frozen.Now))
			require.NoError(t, err)
			llmrouter.SetSleep(r, func(ctx context.Context, _ time.Duration) error { <-ctx.Done(); return ctx.Err() })
			start := time.Now()
			var served string
			if stream {
				s, err := r.ChatStream(context.Background(), hello("chat"))
				require.NoError(t, err)
				served = s.Deployment()
				require.NoError(t, s.Close())
			} else {
				resp, err := r.Chat(context.Background(), hello("chat"))
				require.NoError(t, err)
				served = resp.Deployment
			}
			assert.Equal(t, "b", served)
			assert.GreaterOrEqual(t, time.Since(start), delay, "the hedge waited its delay")
		})
	}
}
