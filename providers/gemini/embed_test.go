package gemini

import (
	"context"
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

// embedServer answers batchEmbedContents with the vector [i, len(text)]
// per request, recording the bodies.
func embedServer(t *testing.T, bodies *[]recorded) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		*bodies = append(*bodies, recorded{r.Method, r.URL.RequestURI(), r.Header.Clone(), b})
		var batch struct {
			Requests []struct {
				Content struct {
					Parts []struct{ Text string } `json:"parts"`
				} `json:"content"`
			} `json:"requests"`
		}
		require.NoError(t, json.Unmarshal(b, &batch))
		var vecs []string
		for i, rq := range batch.Requests {
			vecs = append(vecs, `{"values":[`+strconv.Itoa(i)+`,`+strconv.Itoa(len(rq.Content.Parts[0].Text))+`]}`)
		}
		writeJSON(w, 200, `{"embeddings":[`+strings.Join(vecs, ",")+`]}`)
	}
}

func TestEmbed(t *testing.T) {
	var bodies []recorded
	p := newTestProvider(t, embedServer(t, &bodies))
	req := &llmrouter.EmbedRequest{Model: "r", Inputs: []string{"a", "bb"}, Dimensions: 768, Task: llmrouter.EmbedDocument}
	resp, err := p.Embed(context.Background(), deployment(p, "gemini-embedding-001"), req)
	require.NoError(t, err)
	assert.Equal(t, [][]float32{{0, 1}, {1, 2}}, resp.Embeddings)
	assert.Zero(t, resp.Usage, "the Gemini API reports no embeddings usage")
	golden.Check(t, "embed_request.golden", bodies[0].golden(t))

	inputs := make([]string, maxEmbedBatch+1)
	for i := range inputs {
		inputs[i] = strings.Repeat("y", i%3+1)
	}
	bodies = nil
	resp, err = p.Embed(context.Background(), deployment(p, "gemini-embedding-001"), &llmrouter.EmbedRequest{Model: "r", Inputs: inputs})
	require.NoError(t, err)
	assert.Len(t, bodies, 2)
	require.Len(t, resp.Embeddings, len(inputs))
	assert.Equal(t, []float32{0, float32(len(inputs[maxEmbedBatch]))}, resp.Embeddings[maxEmbedBatch])
}

func TestEmbedErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		h    http.HandlerFunc
		kind llmrouter.Kind
	}{
		"rate limited": {func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 429, `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}`)
		}, llmrouter.KindRateLimited},
		"bad request": {func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 400, `{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}`)
		}, llmrouter.KindBadRequest},
		"wrong count": {func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"embeddings":[{"values":[1]}]}`) }, llmrouter.KindMalformed},
		"error in 200": {func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"error":{"code":500,"message":"x","status":"INTERNAL"}}`)
		}, llmrouter.KindServer},
	} {
		t.Run(name, func(t *testing.T) {
			p := newTestProvider(t, tc.h)
			_, err := p.Embed(context.Background(), deployment(p, "gemini-embedding-001"), &llmrouter.EmbedRequest{Model: "r", Inputs: []string{"a", "b"}})
			var pe *llmrouter.ProviderError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.kind, pe.Kind)
			assert.Equal(t, Name, pe.Provider)
		})
	}
}
