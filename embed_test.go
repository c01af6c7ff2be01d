package llmrouter_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
)

// chatOnly is a provider that serves chat but no embeddings.
type chatOnly struct{ *fake.Provider }

func (c chatOnly) Embed() {} // not the Embedder method: hides fake's

// Embeddings route like chat: the failing primary fails over, a deployment
// whose provider serves no embeddings or that declares capabilities
// without CapEmbeddings is skipped, and one lineage record is written.
func TestEmbedRoutesAndFailsOver(t *testing.T) {
	broken := fake.New("openai", fake.WithDefault(fake.ServerError()))
	good := fake.New("gcp.gemini")
	chat := chatOnly{fake.New("anthropic")}
	var recs []llmrouter.Record
	router, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "chat-only", Provider: chat},
			llmrouter.Deployment{Name: "declared-chat", Provider: fake.New("openai"), Capabilities: llmrouter.CapTools},
			llmrouter.Deployment{Name: "broken", Provider: broken, Capabilities: llmrouter.CapEmbeddings, Price: llmrouter.Price{InputPerMTok: 1}},
			llmrouter.Deployment{Name: "good", Provider: good, Model: "text-embedding-004", Price: llmrouter.Price{InputPerMTok: 0.1}},
		),
		llmrouter.WithRoute("embed", llmrouter.Route{Tiers: [][]string{{"chat-only", "declared-chat"}, {"broken"}, {"good"}}}),
		llmrouter.WithLineage(llmrouter.SinkFunc(func(_ context.Context, r *llmrouter.Record) { recs = append(recs, *r.Clone()) })),
	)
	require.NoError(t, err)
	resp, err := router.Embed(context.Background(), &llmrouter.EmbedRequest{Model: "embed", Inputs: []string{"a b c d", "a b c d", "other"}, Dimensions: 4, Tenant: "acme"})
	require.NoError(t, err)
	assert.Equal(t, "good", resp.Deployment)
	assert.Equal(t, "gcp.gemini", resp.Provider)
	assert.Equal(t, "text-embedding-004", resp.Model)
	require.Len(t, resp.Embeddings, 3)
	assert.Len(t, resp.Embeddings[0], 4)
	assert.Equal(t, resp.Embeddings[0], resp.Embeddings[1])
	assert.NotEqual(t, resp.Embeddings[0], resp.Embeddings[2])
	assert.Equal(t, 2+2+2, resp.Usage.InputTokens)
	assert.InDelta(t, 6*0.1/1e6, resp.Cost, 1e-12)
	assert.NotEmpty(t, resp.RequestID)
	assert.Zero(t, chat.CallCount())

	require.Len(t, recs, 1)
	r := recs[0]
	assert.Equal(t, "good", r.Deployment)
	assert.True(t, r.Embed)
	assert.Contains(t, string(r.AppendJSON(nil)), `"embed":true`)
	require.Len(t, r.Attempts, 2)
	assert.Equal(t, "broken", r.Attempts[0].Deployment)
	skipped := map[string]string{}
	for _, c := range r.Candidates {
		skipped[c.Deployment] = c.Reason
	}
	assert.Equal(t, "provider serves no embeddings", skipped["chat-only"])
	assert.Equal(t, "lacks embeddings", skipped["declared-chat"])
	require.Len(t, good.Calls(), 1)
	assert.Equal(t, []string{"a b c d", "a b c d", "other"}, good.Calls()[0].Embed.Inputs)
}

func TestEmbedQuotaAndValidation(t *testing.T) {
	p := fake.New("openai")
	router, err := llmrouter.New(
		llmrouter.WithDeployments(llmrouter.Deployment{Name: "e", Provider: p}),
		llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(llmrouter.RPM(1))),
	)
	require.NoError(t, err)
	req := &llmrouter.EmbedRequest{Model: "e", Inputs: []string{"hello"}, Tenant: "t"}
	_, err = router.Embed(context.Background(), req)
	require.NoError(t, err)
	_, err = router.Embed(context.Background(), req)
	assert.True(t, errors.Is(err, llmrouter.ErrQuotaExceeded), "%v", err)

	for name, bad := range map[string]*llmrouter.EmbedRequest{
		"Model":      {Inputs: []string{"x"}},
		"Inputs":     {Model: "e"},
		"Inputs[1]":  {Model: "e", Inputs: []string{"x", ""}},
		"Dimensions": {Model: "e", Inputs: []string{"x"}, Dimensions: -1},
		"Task":       {Model: "e", Inputs: []string{"x"}, Task: "poetry"},
	} {
		var re *llmrouter.RequestError
		_, err := router.Embed(context.Background(), bad)
		if assert.ErrorAs(t, err, &re, name) {
			assert.Equal(t, name, re.Field)
		}
	}
	var re *llmrouter.RequestError
	_, err = router.Embed(context.Background(), nil)
	assert.ErrorAs(t, err, &re)
	assert.Equal(t, 1, p.CallCount())
}

func TestEmbedWrongVectorCountFailsOver(t *testing.T) {
	short := fake.New("openai", fake.WithDefault(fake.Step{Embeddings: [][]float32{{1}}}))
	good := fake.New("openai")
	router, err := llmrouter.New(
		llmrouter.WithDeployments(llmrouter.Deployment{Name: "short", Provider: short}, llmrouter.Deployment{Name: "good", Provider: good}),
		llmrouter.WithRoute("r", llmrouter.Route{Tiers: [][]string{{"short"}, {"good"}}}),
	)
	require.NoError(t, err)
	resp, err := router.Embed(context.Background(), &llmrouter.EmbedRequest{Model: "r", Inputs: []string{"a", "b"}})
	require.NoError(t, err)
	assert.Equal(t, "good", resp.Deployment)
}

// Embeddings go through the same routes as chat.
func ExampleRouter_Embed() {
	p := fake.New("openai")
	router, _ := llmrouter.New(llmrouter.WithDeployments(
		llmrouter.Deployment{Name: "small", Provider: p, Model: "text-embedding-3-small", Capabilities: llmrouter.CapEmbeddings}))
	resp, err := router.Embed(context.Background(), &llmrouter.EmbedRequest{
		Model: "small", Inputs: []string{"first document", "second document"}, Dimensions: 256, Task: llmrouter.EmbedDocument})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(resp.Embeddings), len(resp.Embeddings[0]), resp.Deployment)
	// Output: 2 256 small
}

// distrusted is an embedder the router does not trust to honour its
// context: its calls run on a goroutine of their own.
type distrusted struct{ *fake.Provider }

func (distrusted) HonorsContext() bool { return false }

func TestEmbedGuardedProvider(t *testing.T) {
	router, err := llmrouter.New(llmrouter.WithDeployments(llmrouter.Deployment{Name: "e", Provider: distrusted{fake.New("openai")}}))
	require.NoError(t, err)
	resp, err := router.Embed(context.Background(), &llmrouter.EmbedRequest{Model: "e", Inputs: []string{"a", "b"}})
	require.NoError(t, err)
	assert.Len(t, resp.Embeddings, 2)
}
