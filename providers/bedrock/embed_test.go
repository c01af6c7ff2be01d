package bedrock

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/golden"
)

func embedDeployment(model string) *llmrouter.Deployment {
	return &llmrouter.Deployment{Name: "emb", Model: model, Region: "eu-west-1"}
}

func TestEmbedTitan(t *testing.T) {
	c := &capture{body: []byte(`{"embedding":[0.5,-0.25],"inputTextTokenCount":3,"embeddingsByType":{"float":[0.5,-0.25]}}`)}
	p := goldenProvider(c)
	resp, err := p.Embed(context.Background(), embedDeployment("amazon.titan-embed-text-v2:0"),
		&llmrouter.EmbedRequest{Model: "r", Inputs: []string{"one", "two"}, Dimensions: 256, Task: llmrouter.EmbedQuery})
	require.NoError(t, err)
	assert.Equal(t, [][]float32{{0.5, -0.25}, {0.5, -0.25}}, resp.Embeddings)
	assert.Equal(t, 6, resp.Usage.InputTokens)
	require.Len(t, c.bodies, 2)
	golden.Check(t, "embed_titan.body.golden", c.bodies[0])
	assert.Equal(t, "/model/amazon.titan-embed-text-v2:0/invoke", c.reqs[0].URL.Path)
	assert.Equal(t, "application/json", c.reqs[0].Header.Get("Accept"))
	assert.Contains(t, c.reqs[0].Header.Get("Authorization"), "AWS4-HMAC-SHA256")

	_, err = p.Embed(context.Background(), embedDeployment("amazon.titan-embed-text-v2:0"),
		&llmrouter.EmbedRequest{Model: "r", Inputs: []string{"x"}, Dimensions: 300})
	pe := asProviderError(t, err)
	assert.Equal(t, llmrouter.ClassFailover, pe.Class)
	assert.Contains(t, pe.Message, "Dimensions")
	assert.Len(t, c.bodies, 2, "refused before sending")
}

func TestEmbedCohere(t *testing.T) {
	c := &capture{body: []byte(`{"id":"x","response_type":"embeddings_floats","embeddings":[[1,2],[3,4]],"texts":["a","b"]}`),
		header: http.Header{"Content-Type": {"application/json"}, "X-Amzn-Bedrock-Input-Token-Count": {"4"}}}
	p := goldenProvider(c)
	resp, err := p.Embed(context.Background(), embedDeployment("cohere.embed-english-v3"),
		&llmrouter.EmbedRequest{Model: "r", Inputs: []string{"a", "b"}, Task: llmrouter.EmbedQuery})
	require.NoError(t, err)
	assert.Equal(t, [][]float32{{1, 2}, {3, 4}}, resp.Embeddings)
	assert.Equal(t, 4, resp.Usage.InputTokens)
	golden.Check(t, "embed_cohere.body.golden", c.bodies[0])

	// By type, and in batches of 96.
	c.body = []byte(`{"response_type":"embeddings_by_type","embeddings":{"float":[[1]]}}`)
	_, err = p.Embed(context.Background(), embedDeployment("cohere.embed-english-v3"),
		&llmrouter.EmbedRequest{Model: "r", Inputs: strings.Split(strings.Repeat("x,", 97)[:2*97-1], ",")})
	pe := asProviderError(t, err)
	assert.Equal(t, llmrouter.KindMalformed, pe.Kind, "one vector for 96 texts")
}

func TestEmbedOtherModelRefused(t *testing.T) {
	c := &capture{}
	_, err := goldenProvider(c).Embed(context.Background(), embedDeployment("anthropic.claude-3-haiku"),
		&llmrouter.EmbedRequest{Model: "r", Inputs: []string{"a"}})
	pe := asProviderError(t, err)
	assert.Equal(t, llmrouter.ClassFailover, pe.Class)
	assert.Empty(t, c.reqs)
}

func TestEmbedThrottled(t *testing.T) {
	c := &capture{status: 429, body: []byte(`{"message":"Too many requests, please wait before trying again."}`),
		header: http.Header{"Content-Type": {"application/json"}, "X-Amzn-Errortype": {"ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}}}
	_, err := goldenProvider(c).Embed(context.Background(), embedDeployment("amazon.titan-embed-text-v2:0"),
		&llmrouter.EmbedRequest{Model: "r", Inputs: []string{"a"}})
	assert.Equal(t, llmrouter.KindRateLimited, asProviderError(t, err).Kind)
}
