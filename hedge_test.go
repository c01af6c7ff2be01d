package llmrouter_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hedgeRouter routes "chat" over tiers of deployments a, b, c (and "us",
// refused by a region policy), each answering after its latency, with
// hedge h. Run it inside a synctest bubble: latencies and the hedge delay
// pass on the bubble's fake clock.
func hedgeRouter(t *testing.T, h llmrouter.Hedge, rec *recorder, steps map[string]fake.Step, tiers ...[]string) (*llmrouter.Router, map[string]*fake.Provider) {
	t.Helper()
	ps := map[string]*fake.Provider{}
	var deps []llmrouter.Deployment
	for _, name := range []string{"a", "b", "c", "us"} {
		step, ok := steps[name]
		if !ok {
			step = fake.Step{Text: "from " + name, Latency: 100 * time.Millisecond}
		}
		ps[name] = fake.New("p"+name, fake.WithDefault(step))
		d := dep(name, ps[name])
		d.Region = "eu-west-1"
		if name == "us" {
			d.Region = "us-east-1"
		}
		deps = append(deps, d)
	}
	r, err := llmrouter.New(llmrouter.WithDeployments(deps...),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: tiers, Hedge: h}),
		llmrouter.WithPolicies(llmrouter.RegionIn("eu-*")),
		llmrouter.WithLineage(rec))
	require.NoError(t, err)
	return r, ps
}

func slowStep(d time.Duration) fake.Step { return fake.Step{Text: "slow", Latency: d} }

func TestHedgeTakesTheFirstAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		r, ps := hedgeRouter(t, llmrouter.Hedge{Delay: 500 * time.Millisecond, MaxExtra: 1}, rec,
			map[string]fake.Step{"a": slowStep(5 * time.Second)}, []string{"a"}, []string{"b"})
		start := time.Now()
		resp, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
		assert.Equal(t, "b", resp.Deployment)
		assert.Equal(t, 600*time.Millisecond, time.Since(start), "the hedge left after 500ms and answered in 100ms")
		record := rec.only(t)
		require.Len(t, record.Attempts, 2, "both attempts are in the record")
		assert.Equal(t, "b", record.Attempts[0].Deployment)
		assert.Equal(t, "ok", record.Attempts[0].Status)
		assert.Equal(t, "a", record.Attempts[1].Deployment)
		assert.Equal(t, llmrouter.KindCanceled, record.Attempts[1].Kind, "the slower attempt is stopped")
		assert.Equal(t, llmrouter.HedgeLost, record.Attempts[1].Code)
		assert.Equal(t, 1, ps["a"].CallCount())
		assert.Equal(t, int64(0), r.Stats().Deployments[0].InFlight, "both slots are released")
		assert.Equal(t, int64(0), r.Stats().Deployments[1].InFlight)
	})
}

func TestHedgeNotSentWhenTheFirstAnswersInTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		r, ps := hedgeRouter(t, llmrouter.Hedge{Delay: 500 * time.Millisecond, MaxExtra: 1}, rec, nil, []string{"a"}, []string{"b"})
		resp, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
		assert.Equal(t, "a", resp.Deployment)
		assert.Zero(t, ps["b"].CallCount())
		assert.Len(t, rec.only(t).Attempts, 1)
	})
}

func TestHedgeBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, ps := hedgeRouter(t, llmrouter.Hedge{Delay: 500 * time.Millisecond, MaxExtra: 0.25}, &recorder{},
			map[string]fake.Step{"a": slowStep(time.Second)}, []string{"a"}, []string{"b"})
		for range 40 {
			_, err := r.Chat(context.Background(), hello("chat"))
			require.NoError(t, err)
		}
		assert.Equal(t, 10, ps["b"].CallCount(), "a quarter of the requests may be hedged")
	})
}

func TestHedgeNeverWithToolsUnlessAsked(t *testing.T) {
	for _, allow := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			r, ps := hedgeRouter(t, llmrouter.Hedge{Delay: 500 * time.Millisecond, MaxExtra: 1, Tools: allow}, &recorder{},
				map[string]fake.Step{"a": slowStep(time.Second)}, []string{"a"}, []string{"b"})
			req := hello("chat")
			req.Tools = []llmrouter.Tool{{Name: "refund_order"}}
			_, err := r.Chat(context.Background(), req)
			require.NoError(t, err)
			want := 0
			if allow {
				want = 1
			}
			assert.Equal(t, want, ps["b"].CallCount(), "tools allowed: %v", allow)
		})
	}
}

func TestHedgeObeysPolicies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, ps := hedgeRouter(t, llmrouter.Hedge{Delay: 500 * time.Millisecond, MaxExtra: 1}, &recorder{},
			map[string]fake.Step{"a": slowStep(time.Second)}, []string{"a"}, []string{"us"})
		resp, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
		assert.Equal(t, "a", resp.Deployment)
		assert.Zero(t, ps["us"].CallCount(), "no hedge goes where a policy forbids")
	})
}

func TestHedgeBothFailThenFailOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		fail := fake.ServerError()
		fail.Latency = time.Second
		r, _ := hedgeRouter(t, llmrouter.Hedge{Delay: 500 * time.Millisecond, MaxExtra: 1}, rec,
			map[string]fake.Step{"a": fail, "b": fail}, []string{"a"}, []string{"b"}, []string{"c"})
		resp, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
		assert.Equal(t, "c", resp.Deployment)
		assert.Len(t, rec.only(t).Attempts, 3)
	})
}

func TestHedgeCanceledByTheCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, _ := hedgeRouter(t, llmrouter.Hedge{Delay: 500 * time.Millisecond, MaxExtra: 1}, &recorder{},
			map[string]fake.Step{"a": slowStep(5 * time.Second), "b": slowStep(5 * time.Second)}, []string{"a"}, []string{"b"})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := r.Chat(ctx, hello("chat"))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		for _, s := range r.Stats().Deployments {
			assert.Zero(t, s.InFlight, s.Name)
		}
	})
}

func TestHedgeQuotaChargesTheStoppedCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := llmrouter.NewMemoryQuotaStore()
		a := fake.New("pa", fake.WithDefault(slowStep(5*time.Second)))
		b := fake.New("pb", fake.WithDefault(fake.Step{Text: "ok", Latency: 100 * time.Millisecond,
			Usage: &llmrouter.Usage{InputTokens: 5, OutputTokens: 1}}))
		r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a), dep("b", b)),
			llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}},
				Hedge: llmrouter.Hedge{Delay: 500 * time.Millisecond, MaxExtra: 1}}),
			llmrouter.WithQuota(store, llmrouter.PerTenant(llmrouter.TPM(1_000_000))))
		require.NoError(t, err)
		req := hello("chat")
		req.Tenant, req.MaxOutputTokens = "acme", 100
		resp, err := r.Chat(context.Background(), req)
		require.NoError(t, err)
		assert.Equal(t, 6, resp.Usage.Total())
		used, inFlight := store.Usage("tenant", "acme", time.Minute, time.Now())
		assert.Zero(t, inFlight)
		assert.GreaterOrEqual(t, used.Tokens, int64(100), "the stopped call may bill: the reservation is kept, not the 6 tokens reported")
	})
}

func TestHedgeAtP95(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var script []fake.Step
		for range 30 {
			script = append(script, fake.Step{Text: "a", Latency: 200 * time.Millisecond})
		}
		a := fake.New("pa", fake.WithScript(script...), fake.WithDefault(slowStep(5*time.Second)))
		b := fake.New("pb", fake.WithDefault(fake.Step{Text: "b", Latency: 100 * time.Millisecond}))
		r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a), dep("b", b)),
			llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}},
				Hedge: llmrouter.Hedge{Delay: 10 * time.Second, AtP95: true, MaxExtra: 1}}))
		require.NoError(t, err)
		for range 30 {
			resp, err := r.Chat(context.Background(), hello("chat"))
			require.NoError(t, err)
			require.Equal(t, "a", resp.Deployment)
		}
		p95 := r.Stats().Deployments[0].AnswerP95
		assert.InDelta(t, float64(200*time.Millisecond), float64(p95), float64(20*time.Millisecond))
		start := time.Now()
		resp, err := r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
		assert.Equal(t, "b", resp.Deployment)
		assert.Equal(t, p95+100*time.Millisecond, time.Since(start), "hedged at a's p95, not at Delay")
	})
}
