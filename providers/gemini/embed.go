package gemini

import (
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// maxEmbedBatch is the most inputs Embed sends in one batchEmbedContents
// request; longer requests are split.
const maxEmbedBatch = 100

var _ llmrouter.Embedder = (*Provider)(nil)

// taskTypes maps the canonical tasks onto Gemini's taskType.
var taskTypes = map[llmrouter.EmbedTask]string{
	llmrouter.EmbedQuery: "RETRIEVAL_QUERY", llmrouter.EmbedDocument: "RETRIEVAL_DOCUMENT",
	llmrouter.EmbedSimilarity: "SEMANTIC_SIMILARITY", llmrouter.EmbedClassification: "CLASSIFICATION",
	llmrouter.EmbedClustering: "CLUSTERING",
}

type embedBatch struct {
	Requests []embedContent `json:"requests"`
}

type embedContent struct {
	Model                string      `json:"model"`
	Content              wireContent `json:"content"`
	TaskType             string      `json:"taskType,omitempty"`
	OutputDimensionality int         `json:"outputDimensionality,omitempty"`
}

type embedAnswer struct {
	Embeddings []struct {
		Values []float32 `json:"values"`
	} `json:"embeddings"`
}

// Embed implements llmrouter.Embedder with batchEmbedContents: each input
// is one request of the batch (at most 100 per call; longer requests are
// split), Task as taskType (query RETRIEVAL_QUERY, document
// RETRIEVAL_DOCUMENT, similarity SEMANTIC_SIMILARITY, classification,
// clustering), Dimensions as outputDimensionality. The Gemini API reports
// no usage for embeddings: Usage is left zero and the router estimates it.
// An entry "gcp.gemini" in Request.Extra is merged into each batch's body.
func (p *Provider) Embed(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.EmbedRequest) (*llmrouter.EmbedResponse, error) {
	model := d.UpstreamModel()
	out := &llmrouter.EmbedResponse{Model: model, Embeddings: make([][]float32, 0, len(req.Inputs))}
	name := model
	if !strings.Contains(name, "/") {
		name = "models/" + name
	}
	for lo := 0; lo < len(req.Inputs); lo += maxEmbedBatch {
		batch := embedBatch{}
		for _, in := range req.Inputs[lo:min(lo+maxEmbedBatch, len(req.Inputs))] {
			batch.Requests = append(batch.Requests, embedContent{Model: name, Content: wireContent{Parts: []wirePart{{Text: in}}},
				TaskType: taskTypes[req.Task], OutputDimensionality: req.Dimensions})
		}
		vecs, pe := p.embedBatch(ctx, d, req, &batch)
		if pe != nil {
			return nil, pe
		}
		out.Embeddings = append(out.Embeddings, vecs...)
	}
	return out, nil
}

// embedBatch posts one batch and returns its vectors, one per request.
func (p *Provider) embedBatch(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.EmbedRequest, batch *embedBatch) ([][]float32, *llmrouter.ProviderError) {
	body, err := json.Marshal(batch)
	if err != nil {
		return nil, p.fill(badRequest("cannot encode the request: "+err.Error()), d)
	}
	body, pe := wire.MergeExtra(body, &llmrouter.Request{Extra: req.Extra}, Name)
	if pe != nil {
		return nil, p.fill(pe, d)
	}
	resp, pe := p.post(ctx, d, p.methodURL(d.UpstreamModel(), ":batchEmbedContents"), body, false)
	if pe != nil {
		return nil, pe
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	_ = resp.Body.Close()
	if err != nil {
		return nil, p.transportError(ctx, d, err)
	}
	if w := parseError(raw); w != nil {
		return nil, p.fill(errorFromWire(resp.StatusCode, resp.Header, w, raw), d)
	}
	var a embedAnswer
	if err := json.Unmarshal(raw, &a); err != nil || len(a.Embeddings) != len(batch.Requests) {
		return nil, p.fill(&llmrouter.ProviderError{Kind: llmrouter.KindMalformed, StatusCode: resp.StatusCode,
			Message: "embeddings answer unreadable or with " + strconv.Itoa(len(a.Embeddings)) + " vectors for " +
				strconv.Itoa(len(batch.Requests)) + " inputs: " + snippet(raw)}, d)
	}
	vecs := make([][]float32, len(a.Embeddings))
	for i, e := range a.Embeddings {
		vecs[i] = e.Values
	}
	return vecs, nil
}
