package llmrouter_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/faults"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPolicyPropertyNoCallReachesARefusedDeployment draws random catalogs,
// routes, policies and fault schedules, and checks the one property that
// matters most: whatever fails, retries or falls back, no call reaches a
// deployment that a policy in force refuses. The fake records every call.
func TestPolicyPropertyNoCallReachesARefusedDeployment(t *testing.T) {
	rng := rand.New(rand.NewPCG(faults.Seed, 7))
	regions := []string{"eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-south-1", ""}
	providerNames := []string{"openai", "anthropic", "gcp.gemini", "aws.bedrock"}
	retentions := []llmrouter.Retention{llmrouter.RetentionUnknown, llmrouter.ZeroRetention, llmrouter.LimitedRetention, llmrouter.StoredRetention}
	policyPool := []func() llmrouter.Policy{
		func() llmrouter.Policy { return llmrouter.RegionIn("eu-*") },
		func() llmrouter.Policy { return llmrouter.RegionIn("us-*", "ap-*") },
		func() llmrouter.Policy { return llmrouter.RequireZeroRetention() },
		func() llmrouter.Policy {
			return llmrouter.AllowProviders(providerNames[rng.IntN(4)], providerNames[rng.IntN(4)])
		},
		func() llmrouter.Policy { return llmrouter.DenyProviders(providerNames[rng.IntN(4)]) },
		func() llmrouter.Policy { return llmrouter.MaxPrice(float64(1+rng.IntN(10)), 0) },
		func() llmrouter.Policy { return llmrouter.ContextFits() },
		func() llmrouter.Policy { return llmrouter.RequireCapabilities(llmrouter.CapTools) },
		func() llmrouter.Policy {
			return llmrouter.Any(llmrouter.RegionIn("eu-*"), llmrouter.RequireZeroRetention())
		},
		func() llmrouter.Policy { return llmrouter.Not(llmrouter.RegionIn("us-*")) },
	}
	faults := []fake.Step{fake.ServerError(), fake.RateLimited(time.Millisecond), fake.Fail(llmrouter.KindAuth, 401),
		fake.Fail(llmrouter.KindContextLength, 400), fake.Fail(llmrouter.KindTimeout, 0), fake.StreamCut("a b c", 1),
		{Text: "", NoFinish: true}, fake.Fail(llmrouter.KindMalformed, 200)}

	const rounds = 300
	var requests, calls, refusedCalls, fellBack int
	for round := range rounds {
		providers := make([]*fake.Provider, len(providerNames))
		for i, name := range providerNames {
			frng := rand.New(rand.NewPCG(uint64(round), uint64(i)))
			providers[i] = fake.New(name, fake.WithFunc(func(fake.Call) fake.Step {
				if frng.IntN(3) == 0 {
					return fake.Reply("fine")
				}
				return faults[frng.IntN(len(faults))]
			}))
		}
		// Each provider's generator is used by one goroutine at a time:
		// requests here run one after another.
		n := 2 + rng.IntN(6)
		var deps []llmrouter.Deployment
		var names []string
		for i := range n {
			d := llmrouter.Deployment{
				Name:          "d" + strconv.Itoa(i),
				Provider:      providers[rng.IntN(len(providers))],
				Region:        regions[rng.IntN(len(regions))],
				Retention:     retentions[rng.IntN(len(retentions))],
				Price:         llmrouter.Price{InputPerMTok: float64(rng.IntN(15)), OutputPerMTok: float64(rng.IntN(60))},
				ContextWindow: []int{0, 50, 8000, 128000}[rng.IntN(4)],
			}
			if rng.IntN(2) == 0 {
				d.Capabilities = llmrouter.Capabilities(rng.IntN(16))
			}
			deps = append(deps, d)
			names = append(names, d.Name)
		}
		rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
		var tiers [][]string
		for len(names) > 0 {
			k := 1 + rng.IntN(len(names))
			tiers = append(tiers, names[:k])
			names = names[k:]
		}
		var global, tenant []llmrouter.Policy
		for range rng.IntN(3) {
			global = append(global, policyPool[rng.IntN(len(policyPool))]())
		}
		for range rng.IntN(2) {
			tenant = append(tenant, policyPool[rng.IntN(len(policyPool))]())
		}
		opts := []llmrouter.Option{
			llmrouter.WithDeployments(deps...),
			llmrouter.WithRoute("chat", llmrouter.Route{Tiers: tiers}),
			llmrouter.WithPolicies(global...),
			llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 8, InitialBackoff: 10 * time.Microsecond, MaxBackoff: 50 * time.Microsecond,
				MaxWait: 5 * time.Millisecond, Cooldown: time.Millisecond}),
			llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 3, OpenFor: time.Millisecond}),
		}
		if len(tenant) > 0 {
			opts = append(opts, llmrouter.WithTenantPolicies("t", tenant...))
		}
		// A fallback route (Request.Fallback) of some of the same
		// deployments, in another order: its candidates must pass every
		// policy too. Its own generator keeps the draws above unchanged.
		brng := rand.New(rand.NewPCG(uint64(round), 99))
		var backup []string
		for _, i := range brng.Perm(len(deps))[:1+brng.IntN(len(deps))] {
			backup = append(backup, deps[i].Name)
		}
		opts = append(opts, llmrouter.WithRoute("backup", llmrouter.Route{Tiers: [][]string{backup}}),
			llmrouter.WithLineage(llmrouter.SinkFunc(func(_ context.Context, rec *llmrouter.Record) {
				if len(rec.Fallbacks) > 0 {
					fellBack++
				}
			})))
		r, err := llmrouter.New(opts...)
		require.NoError(t, err)

		for k := range 20 {
			req := hello("chat")
			req.ID = fmt.Sprintf("r%d-%d", round, k)
			req.MaxOutputTokens = []int{0, 100, 10000}[rng.IntN(3)]
			if rng.IntN(2) == 0 {
				req.Tenant = "t"
			}
			if rng.IntN(3) == 0 {
				req.Tools = []llmrouter.Tool{{Name: "f"}}
			}
			if rng.IntN(4) == 0 {
				req.Policies = []llmrouter.Policy{policyPool[rng.IntN(len(policyPool))]()}
			}
			if brng.IntN(2) == 0 {
				req.Fallback = []string{"backup"}
			}
			inForce := append(append([]llmrouter.Policy(nil), global...), req.Policies...)
			if req.Tenant == "t" {
				inForce = append(inForce, tenant...)
			}
			requests++
			if rng.IntN(2) == 0 {
				if s, err := r.ChatStream(context.Background(), req); err == nil {
					read(s)
					s.Close()
				}
			} else {
				_, _ = r.Chat(context.Background(), req)
			}
			for _, p := range providers {
				for _, c := range p.Calls() {
					if c.Request != req {
						continue
					}
					calls++
					var d *llmrouter.Deployment
					for i := range deps {
						if deps[i].Name == c.Deployment {
							d = &deps[i]
						}
					}
					for _, pol := range inForce {
						if ok, reason := pol.Check(req, d); !ok {
							refusedCalls++
							t.Errorf("round %d %s: call to %s, refused by %s (%s)", round, req.ID, d.Name, pol.Name, reason)
						}
					}
				}
			}
		}
	}
	t.Logf("policy property: rounds=%d requests=%d upstream_calls=%d calls_to_refused=%d fell_back=%d", rounds, requests, calls, refusedCalls, fellBack)
	assert.Positive(t, fellBack, "some requests took their fallback route")
	fmt.Printf("policy-property: rounds=%d requests=%d upstream_calls=%d calls_to_refused=%d\n", rounds, requests, calls, refusedCalls)
}
