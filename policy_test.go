package llmrouter_test

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"path"
	"sync/atomic"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/racedetect"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuiltinPolicies(t *testing.T) {
	eu := llmrouter.Deployment{Name: "eu", Provider: fake.New("openai"), Region: "eu-west-1", Retention: llmrouter.ZeroRetention,
		Price: llmrouter.Price{InputPerMTok: 1, OutputPerMTok: 4}, ContextWindow: 1000, Capabilities: llmrouter.CapTools | llmrouter.CapStreaming}
	us := llmrouter.Deployment{Name: "us", Provider: fake.New("anthropic"), Region: "us-east-1", Retention: llmrouter.StoredRetention,
		Price: llmrouter.Price{InputPerMTok: 3, OutputPerMTok: 15}}
	req := hello("x")
	withTools := hello("x")
	withTools.Tools = []llmrouter.Tool{{Name: "f"}}
	big := hello("x")
	big.MaxOutputTokens = 2000

	cases := []struct {
		policy llmrouter.Policy
		req    *llmrouter.Request
		d      llmrouter.Deployment
		ok     bool
		reason string
		name   string
	}{
		{llmrouter.RegionIn("eu-*"), req, eu, true, "", "region-in(eu-*)"},
		{llmrouter.RegionIn("eu-*", "uk-*"), req, us, false, "region not in eu-*, uk-*", "region-in(eu-*,uk-*)"},
		{llmrouter.RegionIn("eu-west-1"), req, eu, true, "", "region-in(eu-west-1)"},
		{llmrouter.RegionIn("eu-*"), req, llmrouter.Deployment{Name: "x"}, false, "region unknown", "region-in(eu-*)"},
		{llmrouter.AllowProviders("openai"), req, eu, true, "", "allow-providers(openai)"},
		{llmrouter.AllowProviders("openai"), req, us, false, "provider not in openai", "allow-providers(openai)"},
		{llmrouter.DenyProviders("anthropic"), req, us, false, "provider is one of anthropic", "deny-providers(anthropic)"},
		{llmrouter.DenyProviders("anthropic"), req, eu, true, "", "deny-providers(anthropic)"},
		{llmrouter.RequireZeroRetention(), req, eu, true, "", "zero-retention"},
		{llmrouter.RequireZeroRetention(), req, us, false, "provider stores data", "zero-retention"},
		{llmrouter.RequireCapabilities(llmrouter.CapStreaming), req, eu, true, "", "capabilities(streaming)"},
		{llmrouter.RequireCapabilities(0), withTools, us, false, "lacks tools", "capabilities(none)"},
		{llmrouter.RequireCapabilities(0), withTools, eu, true, "", "capabilities(none)"},
		{llmrouter.MaxPrice(2, 0), req, us, false, "input price above $2/MTok", "max-price"},
		{llmrouter.MaxPrice(2, 5), req, eu, true, "", "max-price"},
		{llmrouter.MaxPrice(math.NaN(), 0), req, eu, false, "", "max-price"},
		{llmrouter.MaxPrice(0, -1), req, eu, false, "", "max-price"},
		{llmrouter.RegionIn("eu-*"), req, llmrouter.Deployment{Name: "slash", Region: "eu-x/us-east-1"}, false, "region not in eu-*", "region-in(eu-*)"},
		{llmrouter.RegionIn("*"), req, llmrouter.Deployment{Name: "slash", Region: "eu-x/us-east-1"}, false, "region not in *", "region-in(*)"},
		{llmrouter.ContextFits(), big, eu, false, "request exceeds the context window", "context-fits"},
		{llmrouter.ContextFits(), big, us, true, "", "context-fits"},
		{llmrouter.Not(llmrouter.RegionIn("us-*")), req, us, false, "", "not(region-in(us-*))"},
		{llmrouter.Any(llmrouter.RegionIn("us-*"), llmrouter.RequireZeroRetention()), req, eu, true, "", "any(region-in(us-*),zero-retention)"},
		{llmrouter.All(llmrouter.RegionIn("eu-*"), llmrouter.MaxPrice(0.5, 0)), req, eu, false, "max-price: input price above $0.5/MTok", "all(region-in(eu-*),max-price)"},
	}
	for _, c := range cases {
		t.Run(c.policy.Name+"/"+c.d.Name, func(t *testing.T) {
			ok, reason := c.policy.Check(c.req, &c.d)
			assert.Equal(t, c.ok, ok)
			if c.reason != "" {
				assert.Equal(t, c.reason, reason)
			}
			if !ok {
				assert.NotEmpty(t, reason, "a refusal gives a reason")
			}
			assert.Equal(t, c.name, c.policy.Name)
		})
	}
}

func TestPolicyRefusalsNameThePolicy(t *testing.T) {
	p := fake.New("p")
	us := dep("us", p)
	us.Region = "us-east-1"
	sink := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(us),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"us"}}}),
		llmrouter.WithPolicies(llmrouter.RegionIn("eu-*")), llmrouter.WithLineage(sink))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("chat"))
	require.ErrorIs(t, err, llmrouter.ErrPolicyDenied)
	var re *llmrouter.RouteError
	require.ErrorAs(t, err, &re)
	require.Len(t, re.Skipped, 1)
	assert.Equal(t, llmrouter.Skip{Deployment: "us", Policy: "region-in(eu-*)", Reason: "region not in eu-*"}, re.Skipped[0])
	assert.Equal(t, 0, p.CallCount(), "nothing is sent when every deployment is refused")
	rec := sink.only(t)
	assert.Equal(t, llmrouter.OutcomePolicyDenied, rec.Outcome)
	assert.Equal(t, llmrouter.CandidateRefused, rec.Candidates[0].Status)
	assert.Equal(t, "region-in(eu-*)", rec.Candidates[0].Policy)
}

func TestTenantAndRequestPolicies(t *testing.T) {
	open, zdr := fake.New("open"), fake.New("zdr")
	a, b := dep("stored", open), dep("zdr", zdr)
	a.Retention, b.Retention = llmrouter.StoredRetention, llmrouter.ZeroRetention
	r, err := llmrouter.New(llmrouter.WithDeployments(a, b),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"stored"}, {"zdr"}}}),
		llmrouter.WithTenantPolicies("bank", llmrouter.RequireZeroRetention()))
	require.NoError(t, err)

	req := hello("chat")
	req.Tenant = "bank"
	resp, err := r.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "zdr", resp.Deployment, "the tenant's policy applies to its requests")

	req = hello("chat")
	req.Tenant = "shop"
	resp, err = r.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "stored", resp.Deployment, "and only to them")

	req = hello("chat")
	req.Policies = []llmrouter.Policy{llmrouter.DenyProviders("open")}
	resp, err = r.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "zdr", resp.Deployment, "a request's own policies apply")
}

func TestCapabilitiesInferredFromRequest(t *testing.T) {
	plain, tools := fake.New("plain"), fake.New("tools")
	a, b := dep("plain", plain), dep("tools", tools)
	a.Capabilities = llmrouter.CapStreaming
	b.Capabilities = llmrouter.CapTools | llmrouter.CapJSON | llmrouter.CapStreaming
	r, err := llmrouter.New(llmrouter.WithDeployments(a, b),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"plain"}, {"tools"}}}))
	require.NoError(t, err)
	req := hello("chat")
	req.Tools = []llmrouter.Tool{{Name: "lookup", Parameters: json.RawMessage(`{"type":"object"}`)}}
	resp, err := r.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "tools", resp.Deployment)
	assert.Equal(t, 0, plain.CallCount())
}

// TestPoliciesRecheckedBeforeEveryAttempt: a policy whose answer changes
// between the first check and a fallback is obeyed at the fallback.
func TestPoliciesRecheckedBeforeEveryAttempt(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.ServerError()))
	b := fake.New("pb")
	c := fake.New("pc")
	var closed atomic.Bool
	revocable := llmrouter.Policy{Name: "b-until-revoked", Check: func(_ *llmrouter.Request, d *llmrouter.Deployment) (bool, string) {
		if d.Name == "b" && closed.Load() {
			return false, "revoked"
		}
		return true, ""
	}}
	sink := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a), dep("b", b), dep("c", c)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}, {"c"}}}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1}),
		llmrouter.WithPolicies(revocable), llmrouter.WithLineage(sink))
	require.NoError(t, err)
	req := hello("chat")
	req.Policies = []llmrouter.Policy{{Name: "revoke-after-first-check", Check: func(_ *llmrouter.Request, d *llmrouter.Deployment) (bool, string) {
		if d.Name == "c" {
			closed.Store(true) // the last candidate checked in the first pass
		}
		return true, ""
	}}}
	resp, err := r.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "c", resp.Deployment)
	assert.Equal(t, 0, b.CallCount(), "b was refused at its attempt, though allowed at first")
	rec := sink.only(t)
	assert.Equal(t, llmrouter.CandidateRefused, rec.Candidates[1].Status)
	assert.Equal(t, "b-until-revoked", rec.Candidates[1].Policy)
}

func TestPolicyAllowPathDoesNotAllocate(t *testing.T) {
	d := llmrouter.Deployment{Name: "eu", Provider: fake.New("openai"), Region: "eu-west-1", Retention: llmrouter.ZeroRetention}
	req := hello("x")
	ps := []llmrouter.Policy{llmrouter.RegionIn("eu-*"), llmrouter.RequireZeroRetention(), llmrouter.AllowProviders("openai"),
		llmrouter.MaxPrice(10, 10), llmrouter.ContextFits(), llmrouter.RequireCapabilities(0)}
	if racedetect.Enabled {
		t.Skip("allocation counts are not checked under the race detector")
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, p := range ps {
			if ok, _ := p.Check(req, &d); !ok {
				t.Fatal(p.Name)
			}
		}
	})
	assert.Zero(t, allocs)
}

// RegionIn matches exactly as path.Match, its documented syntax, whichever
// fast path a pattern takes.
func TestRegionInMatchesPathMatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const regionChars = "eu-swt12/x"
	const patternChars = "eu-swt12/x*?"
	randString := func(chars string, n int) string {
		b := make([]byte, rng.IntN(n+1))
		for i := range b {
			b[i] = chars[rng.IntN(len(chars))]
		}
		return string(b)
	}
	patterns := []string{"*", "eu-*", "eu-west-1", "eu-*-1", "eu-?", "eu-[ab]*", "eu-[", "eu-\\*", "eu-west/*", "*/*", ""}
	for range 300 {
		patterns = append(patterns, randString(patternChars, 6))
	}
	regions := []string{"eu-x/us-east-1", "eu-", "eu-west-1", "eu-a/", "/", "eu-*", "us-east-1", "eu-west/1"}
	for range 300 {
		regions = append(regions, randString(regionChars, 10))
	}
	d := llmrouter.Deployment{Name: "d"}
	for _, pat := range patterns {
		policy := llmrouter.RegionIn(pat)
		for _, region := range regions {
			if region == "" {
				continue // refused as unknown, whatever the pattern
			}
			d.Region = region
			want, _ := path.Match(pat, region)
			got, _ := policy.Check(hello("x"), &d)
			if got != want {
				t.Errorf("RegionIn(%q) on %q = %v; path.Match says %v", pat, region, got, want)
			}
		}
	}
}
