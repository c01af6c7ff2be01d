package llmrouter_test

import (
	"context"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImageURLsGoWhereTheyCanBeFetched: an image given by URL needs
// CapImageURL, so it is never routed to a deployment that declares it
// cannot fetch one (Bedrock takes bytes only); an inline image may go to
// either.
func TestImageURLsGoWhereTheyCanBeFetched(t *testing.T) {
	bytesOnly := fake.New("aws.bedrock", fake.WithDefault(fake.Reply("from bedrock")))
	fetches := fake.New("openai", fake.WithDefault(fake.Reply("from openai")))
	b, o := dep("bedrock", bytesOnly), dep("openai", fetches)
	b.Capabilities = llmrouter.CapVision | llmrouter.CapStreaming
	o.Capabilities = llmrouter.CapVision | llmrouter.CapImageURL | llmrouter.CapStreaming
	r, err := llmrouter.New(llmrouter.WithDeployments(b, o),
		llmrouter.WithRoute("vision", llmrouter.Route{Tiers: [][]string{{"bedrock"}, {"openai"}}}))
	require.NoError(t, err)
	ask := func(img llmrouter.Part) *llmrouter.Request {
		return &llmrouter.Request{Model: "vision", Messages: []llmrouter.Message{{Role: llmrouter.RoleUser,
			Content: []llmrouter.Part{llmrouter.TextPart("what is this?"), img}}}}
	}

	resp, err := r.Chat(context.Background(), ask(llmrouter.ImagePart("https://example.com/cat.png")))
	require.NoError(t, err)
	assert.Equal(t, "openai", resp.Deployment)
	assert.Zero(t, bytesOnly.CallCount(), "the URL never reached the deployment that cannot fetch it")
	plan, err := r.Plan(ask(llmrouter.ImagePart("https://example.com/cat.png")), false)
	require.NoError(t, err)
	assert.Equal(t, "lacks image_url", plan.Candidates[0].Reason)

	inline := llmrouter.Part{Type: llmrouter.PartImage, Image: &llmrouter.Image{Data: []byte{0x89, 'P', 'N', 'G'}, MediaType: "image/png"}}
	resp, err = r.Chat(context.Background(), ask(inline))
	require.NoError(t, err)
	assert.Equal(t, "bedrock", resp.Deployment, "inline bytes go to the first tier")
}
