package openai

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/golden"
)

// embedServer answers embeddings requests with vectors [index, len(input)]
// listed in reverse order (clients must order by index), recording bodies.
func embedServer(t *testing.T, bodies *[][]byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		*bodies = append(*bodies, b)
		if !strings.HasSuffix(r.URL.Path, "/embeddings") {
			t.Errorf("path %s", r.URL.Path)
		}
		var req struct {
			Input []string `json:"input"`
		}
		require.NoError(t, json.Unmarshal(b, &req))
		var data []string
		for i := len(req.Input) - 1; i >= 0; i-- {
			data = append(data, `{"object":"embedding","index":`+strconv.Itoa(i)+`,"embedding":[`+strconv.Itoa(i)+`,`+strconv.Itoa(len(req.Input[i]))+`]}`)
		}
		serveJSON(200, `{"object":"list","data":[`+strings.Join(data, ",")+`],"model":"text-embedding-3-small","usage":{"prompt_tokens":`+
			strconv.Itoa(len(req.Input))+`,"total_tokens":`+strconv.Itoa(len(req.Input))+`}}`)(w, r)
	}
}

func TestEmbed(t *testing.T) {
	var bodies [][]byte
	p, _ := newTestServer(t, embedServer(t, &bodies))
	req := &llmrouter.EmbedRequest{Model: "r", Inputs: []string{"a", "bb", "ccc"}, Dimensions: 256, Task: llmrouter.EmbedQuery, User: "u-1",
		Extra: map[string]map[string]any{"openai": {"encoding_format": "float", "extra_field": 1}}}
	resp, err := p.Embed(ctx10s(t), testDeployment(p), req)
	require.NoError(t, err)
	assert.Equal(t, [][]float32{{0, 1}, {1, 2}, {2, 3}}, resp.Embeddings)
	assert.Equal(t, "text-embedding-3-small", resp.Model)
	assert.Equal(t, 3, resp.Usage.InputTokens)
	require.Len(t, bodies, 1)
	golden.Check(t, "embed_request.golden", bodies[0])
}

func TestEmbedBatchesAndAzure(t *testing.T) {
	var bodies [][]byte
	p, _ := newTestServer(t, embedServer(t, &bodies), Azure("", "2024-10-21"))
	inputs := make([]string, maxEmbedBatch+3)
	for i := range inputs {
		inputs[i] = strings.Repeat("x", i%5+1)
	}
	resp, err := p.Embed(ctx10s(t), testDeployment(p), &llmrouter.EmbedRequest{Model: "r", Inputs: inputs})
	require.NoError(t, err)
	require.Len(t, bodies, 2)
	require.Len(t, resp.Embeddings, len(inputs))
	assert.Equal(t, []float32{maxEmbedBatch - 1, float32(len(inputs[maxEmbedBatch-1]))}, resp.Embeddings[maxEmbedBatch-1])
	assert.Equal(t, []float32{2, float32(len(inputs[maxEmbedBatch+2]))}, resp.Embeddings[maxEmbedBatch+2])
	assert.Equal(t, len(inputs), resp.Usage.InputTokens)
	assert.NotContains(t, string(bodies[0]), `"model"`, "Azure's deployments API names the model in the path")
}

func TestEmbedErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		h    http.HandlerFunc
		kind llmrouter.Kind
	}{
		"rate limited":   {serveJSON(429, string(readFixture(t, "error_rate_limit.json")), "Retry-After", "3"), llmrouter.KindRateLimited},
		"server":         {serveJSON(500, string(readFixture(t, "error_server.json"))), llmrouter.KindServer},
		"error in 200":   {serveJSON(200, `{"error":{"message":"boom","type":"server_error"}}`), llmrouter.KindServer},
		"missing vector": {serveJSON(200, `{"data":[{"index":0,"embedding":[1]}],"model":"m","usage":{"prompt_tokens":1}}`), llmrouter.KindMalformed},
		"garbage":        {serveJSON(200, `{"data":`), llmrouter.KindMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			p, _ := newTestServer(t, tc.h)
			_, err := p.Embed(ctx10s(t), testDeployment(p), &llmrouter.EmbedRequest{Model: "r", Inputs: []string{"a", "b"}})
			var pe *llmrouter.ProviderError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.kind, pe.Kind)
			assert.Equal(t, "openai", pe.Provider)
			assert.NotContains(t, pe.Error(), "sk-")
		})
	}
}
