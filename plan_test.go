package llmrouter_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanExplainsWithoutSending(t *testing.T) {
	eu, us, down := fake.New("openai"), fake.New("anthropic"), fake.New("gemini", fake.WithDefault(fake.ServerError()))
	a, b, c := dep("eu", eu), dep("us", us), dep("down", down)
	a.Region, b.Region, c.Region = "eu-west-1", "us-east-1", "eu-north-1"
	sink := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(a, b, c),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"down"}, {"eu", "us"}}}),
		llmrouter.WithPolicies(llmrouter.RegionIn("eu-*")),
		llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 1, OpenFor: time.Hour}),
		llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(llmrouter.RPM(1))),
		llmrouter.WithLineage(sink))
	require.NoError(t, err)
	_, _ = r.Chat(context.Background(), hello("down")) // trips the breaker
	req := hello("chat")
	req.Tenant = "acme"
	for range 3 {
		plan, err := r.Plan(req, false)
		require.NoError(t, err)
		assert.Equal(t, []string{"eu"}, plan.Eligible())
		assert.Equal(t, []string{"capabilities", "region-in(eu-*)"}, plan.Policies)
		assert.Equal(t, llmrouter.CandidateSkipped, plan.Candidates[0].Status)
		assert.Equal(t, "circuit breaker open", plan.Candidates[0].Reason)
		assert.Equal(t, llmrouter.CandidateRefused, plan.Candidates[2].Status)
		assert.Equal(t, "region-in(eu-*)", plan.Candidates[2].Policy)
	}
	assert.Zero(t, eu.CallCount()+us.CallCount(), "nothing is sent")
	assert.Len(t, sink.all(), 1, "no lineage for plans")
	_, err = r.Chat(context.Background(), req)
	require.NoError(t, err, "plans reserve no quota: RPM(1) still admits")

	_, err = r.Plan(hello("nope"), false)
	assert.ErrorIs(t, err, llmrouter.ErrInvalidRequest)
}

// Plan and Chat agree on a deployment that has used up its own limits:
// Plan used to call it eligible, and the next Chat skipped it.
func TestPlanAgreesWithChatOnDeploymentLimits(t *testing.T) {
	clk := newClock()
	limited, spare := fake.New("openai"), fake.New("anthropic")
	rpm, tpm, other := dep("rpm", limited), dep("tpm", limited), dep("spare", spare)
	rpm.RPM, tpm.TPM = 1, 1000
	r, err := llmrouter.New(llmrouter.WithDeployments(rpm, tpm, other), llmrouter.WithClock(clk.Now),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"rpm"}, {"tpm"}, {"spare"}}}))
	require.NoError(t, err)

	// tpm cannot hold this request's estimate at all (its input plus the
	// default 1,024 output tokens).
	req := hello("chat")
	plan, err := r.Plan(req, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"rpm", "spare"}, plan.Eligible())
	assert.Contains(t, plan.Candidates[1].Reason, "more than its whole TPM limit of 1000 tokens per 1m0s")
	resp, err := r.Chat(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, "rpm", resp.Deployment)

	// rpm has used its one request this minute.
	plan, err = r.Plan(req, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"spare"}, plan.Eligible())
	assert.Equal(t, llmrouter.CandidateSkipped, plan.Candidates[0].Status)
	assert.Equal(t, "at its 1 requests per 1m0s limit", plan.Candidates[0].Reason)
	resp, err = r.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, plan.Eligible()[0], resp.Deployment, "Chat goes where Plan said")

	small := hello("chat")
	small.MaxOutputTokens = 100
	plan, err = r.Plan(small, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"tpm", "spare"}, plan.Eligible(), "a request within tpm's limit may go there")
	resp, err = r.Chat(context.Background(), small)
	require.NoError(t, err)
	assert.Equal(t, "tpm", resp.Deployment)

	clk.Advance(time.Minute)
	plan, err = r.Plan(req, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"rpm", "spare"}, plan.Eligible(), "a new window frees rpm")
}

func TestPlanNilRequestIsInvalid(t *testing.T) {
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p"))))
	require.NoError(t, err)
	var plan *llmrouter.RoutePlan
	require.NotPanics(t, func() { plan, err = r.Plan(nil, false) })
	assert.Nil(t, plan)
	require.ErrorIs(t, err, llmrouter.ErrInvalidRequest)
	var re *llmrouter.RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "Request", re.Field)
}

// Plan says, before anything is sent, where a request may go and why not
// elsewhere.
func ExampleRouter_Plan() {
	router, _ := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "gpt-eu", Provider: fake.New("openai"), Region: "eu-west-1", Retention: llmrouter.ZeroRetention},
			llmrouter.Deployment{Name: "gpt-us", Provider: fake.New("openai"), Region: "us-east-1", Retention: llmrouter.ZeroRetention},
			llmrouter.Deployment{Name: "llama-eu", Provider: fake.New("together"), Region: "eu-central-1", Retention: llmrouter.StoredRetention},
		),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"gpt-eu", "gpt-us"}, {"llama-eu"}}}),
		llmrouter.WithPolicies(llmrouter.RegionIn("eu-*")),
		llmrouter.WithTenantPolicies("bank", llmrouter.RequireZeroRetention()),
	)
	plan, _ := router.Plan(&llmrouter.Request{Model: "chat", Tenant: "bank",
		Messages: []llmrouter.Message{llmrouter.User("hi")}}, false)
	for _, c := range plan.Candidates {
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%-8s tier %d %-8s %s %s", c.Deployment, c.Tier, c.Status, c.Policy, c.Reason)))
	}
	// Output:
	// gpt-eu   tier 0 eligible
	// gpt-us   tier 0 refused  region-in(eu-*) region not in eu-*
	// llama-eu tier 1 refused  zero-retention provider stores data
}

func TestPlanSaysWhyATPMBelowTheReservationSkips(t *testing.T) {
	// TPM 1,000 with the default output reservation of 1,024: every
	// request without a MaxOutputTokens reserves more than the whole
	// minute allows. The deployment is skipped, and Plan and the record
	// say so with the reservation rule, instead of leaving it silently
	// unreachable.
	small := dep("small", fake.New("p"))
	small.TPM = 1000
	rec := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(small, dep("big", fake.New("q"))),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"small"}, {"big"}}}), llmrouter.WithLineage(rec))
	require.NoError(t, err)

	plan, err := r.Plan(hello("chat"), false)
	require.NoError(t, err)
	require.Equal(t, llmrouter.CandidateSkipped, plan.Candidates[0].Status)
	assert.Contains(t, plan.Candidates[0].Reason, "reserves 1030 tokens")
	assert.Contains(t, plan.Candidates[0].Reason, "TPM limit of 1000 tokens per 1m0s")
	assert.Equal(t, []string{"big"}, plan.Eligible())

	resp, err := r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "big", resp.Deployment)
	cand := rec.only(t).Candidates[0]
	assert.Equal(t, llmrouter.CandidateSkipped, cand.Status)
	assert.Equal(t, plan.Candidates[0].Reason, cand.Reason)

	// With a small MaxOutputTokens the same deployment takes the request.
	req := hello("chat")
	req.MaxOutputTokens = 100
	plan, err = r.Plan(req, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"small", "big"}, plan.Eligible())
}
