package fake

import (
	"context"
	"hash/fnv"

	"github.com/llmrouter/llmrouter"
)

// defaultDimensions is the length of the fake's vectors when the request
// asks for none.
const defaultDimensions = 8

var _ llmrouter.Embedder = (*Provider)(nil)

// Embed implements llmrouter.Embedder. It follows the script like Chat
// (errors, latency, hangs, panics); an answering step returns its
// Embeddings, or else one vector per input of req.Dimensions (default 8)
// floats in [-1, 1) derived from the input's bytes, so equal inputs get
// equal vectors. Usage is the step's, or a quarter of the inputs' bytes.
func (p *Provider) Embed(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.EmbedRequest) (*llmrouter.EmbedResponse, error) {
	s := p.stepCall(Call{Deployment: d.Name, Model: d.UpstreamModel(), Embed: req})
	if err := p.prelude(ctx, d, &s); err != nil {
		return nil, err
	}
	resp := &llmrouter.EmbedResponse{Model: s.Model, Embeddings: s.Embeddings}
	if resp.Model == "" {
		resp.Model = d.UpstreamModel()
	}
	if resp.Embeddings == nil {
		dims := req.Dimensions
		if dims == 0 {
			dims = defaultDimensions
		}
		resp.Embeddings = make([][]float32, len(req.Inputs))
		for i, in := range req.Inputs {
			resp.Embeddings[i] = vector(in, dims)
		}
	}
	if s.Usage != nil {
		resp.Usage = *s.Usage
	} else {
		for _, in := range req.Inputs {
			resp.Usage.InputTokens += (len(in) + 3) / 4
		}
	}
	return resp, nil
}

// vector derives dims floats in [-1, 1) from text.
func vector(text string, dims int) []float32 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(text))
	x := h.Sum64()
	v := make([]float32, dims)
	for i := range v {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		v[i] = float32(x>>40)/float32(1<<23) - 1
	}
	return v
}
