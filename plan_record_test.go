package llmrouter_test

import (
	"context"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPlanRecordAgreesWithPlan records requests on one router, then plans
// each record on another and checks that PlanRecord answers exactly as
// Plan does for the live request: capabilities, context windows, tenant
// and label policies, streaming, limits.
func TestPlanRecordAgreesWithPlan(t *testing.T) {
	p := fake.New("openai")
	names := []string{"tools", "plain", "small", "eu", "tiny-tpm"}
	var open []llmrouter.Deployment
	for _, n := range names {
		open = append(open, dep(n, p))
	}
	sink := &recorder{}
	before, err := llmrouter.New(llmrouter.WithDeployments(open...),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{names[:2], names[2:]}}), llmrouter.WithLineage(sink))
	require.NoError(t, err)

	d := map[string]llmrouter.Deployment{}
	for _, n := range names {
		d[n] = dep(n, p)
	}
	tools, plain, small, eu, tiny := d["tools"], d["plain"], d["small"], d["eu"], d["tiny-tpm"]
	tools.Capabilities = llmrouter.CapTools | llmrouter.CapJSON | llmrouter.CapStreaming
	plain.Capabilities = llmrouter.CapStreaming
	small.ContextWindow = 100
	eu.Region, eu.Capabilities = "eu-west-1", llmrouter.CapTools|llmrouter.CapVision
	tiny.TPM = 50
	after, err := llmrouter.New(llmrouter.WithDeployments(tools, plain, small, eu, tiny),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{names[:2], names[2:]}}),
		llmrouter.WithPolicies(llmrouter.ContextFits()),
		llmrouter.WithTenantPolicies("bank", llmrouter.RegionIn("eu-*")),
		llmrouter.WithTenantPolicies("acme", llmrouter.RequireCapabilities(llmrouter.CapJSON)))
	require.NoError(t, err)

	long := strings.Repeat("word ", 200) // about 250 tokens
	reqs := map[string]func() *llmrouter.Request{
		"plain":      func() *llmrouter.Request { return hello("chat") },
		"tools":      func() *llmrouter.Request { r := hello("chat"); r.Tools = []llmrouter.Tool{{Name: "t"}}; return r },
		"json":       func() *llmrouter.Request { r := hello("chat"); r.ResponseFormat.Type = llmrouter.FormatJSON; return r },
		"long":       func() *llmrouter.Request { r := hello("chat"); r.Messages[0] = llmrouter.User(long); return r },
		"max output": func() *llmrouter.Request { r := hello("chat"); r.MaxOutputTokens = 90; return r },
		"bank":       func() *llmrouter.Request { r := hello("chat"); r.Tenant = "bank"; return r },
		"acme":       func() *llmrouter.Request { r := hello("chat"); r.Tenant = "acme"; return r },
		"acme tools": func() *llmrouter.Request { r := tenantHello("acme"); r.Tools = []llmrouter.Tool{{Name: "t"}}; return r },
		"image": func() *llmrouter.Request {
			r := hello("chat")
			r.Messages[0].Content = append(r.Messages[0].Content, llmrouter.ImagePart("https://x/y.png"))
			return r
		},
	}
	for name, mk := range reqs {
		t.Run(name, func(t *testing.T) {
			sink.records = nil
			_, err := before.Chat(context.Background(), mk())
			require.NoError(t, err)
			want, err := after.Plan(mk(), false)
			require.NoError(t, err)
			got, err := after.PlanRecord(sink.only(t))
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
	t.Run("stream", func(t *testing.T) {
		sink.records = nil
		s, err := before.ChatStream(context.Background(), hello("chat"))
		require.NoError(t, err)
		read(s)
		require.NoError(t, s.Close())
		want, err := after.Plan(hello("chat"), true)
		require.NoError(t, err)
		got, err := after.PlanRecord(sink.only(t))
		require.NoError(t, err)
		assert.Equal(t, want, got)
		assert.Equal(t, "lacks streaming", got.Candidates[3].Reason, "eu declares no streaming")
	})
}

// tenantHello is hello("chat") for tenant.
func tenantHello(tenant string) *llmrouter.Request { r := hello("chat"); r.Tenant = tenant; return r }

// TestPlanRecordEmbeddings refuses, for an embeddings record, a
// deployment whose provider serves none.
func TestPlanRecordEmbeddings(t *testing.T) {
	p := fake.New("openai")
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("emb", p), dep("chat-only", chatOnly{p})),
		llmrouter.WithRoute("vectors", llmrouter.Route{Tiers: [][]string{{"chat-only", "emb"}}}))
	require.NoError(t, err)
	plan, err := r.PlanRecord(&llmrouter.Record{RequestID: "x", Route: "vectors", Embed: true, Needs: llmrouter.CapEmbeddings,
		Prompt: llmrouter.PromptInfo{Messages: 2, Tokens: 10}})
	require.NoError(t, err)
	assert.Equal(t, []string{"emb"}, plan.Eligible())
	assert.Equal(t, "provider serves no embeddings", plan.Candidates[0].Reason)
}

// TestPlanRecordBadRecords names what is wrong with a record it cannot plan.
func TestPlanRecordBadRecords(t *testing.T) {
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p"))))
	require.NoError(t, err)
	for _, tc := range []struct {
		name  string
		rec   *llmrouter.Record
		field string
	}{
		{"nil", nil, "Record"},
		{"no route", &llmrouter.Record{Outcome: llmrouter.OutcomeInvalid}, "Record.Route"},
		{"unknown route", &llmrouter.Record{Route: "gone"}, "Record.Route"},
		{"negative output", &llmrouter.Record{Route: "a", MaxOutputTokens: -1}, "Record.MaxOutputTokens"},
		{"negative tokens", &llmrouter.Record{Route: "a", Prompt: llmrouter.PromptInfo{Tokens: -1}}, "Record.Prompt.Tokens"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.PlanRecord(tc.rec)
			var re *llmrouter.RequestError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tc.field, re.Field)
		})
	}
}
