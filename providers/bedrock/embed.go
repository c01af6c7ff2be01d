package bedrock

import (
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/llmrouter/llmrouter"
)

// maxCohereBatch is the most texts a Cohere embed call takes.
const maxCohereBatch = 96

var _ llmrouter.Embedder = (*Provider)(nil)

// cohereInputTypes maps the canonical tasks onto Cohere's input_type. The
// empty task, and similarity (which Cohere does not name), are embedded as
// documents.
var cohereInputTypes = map[llmrouter.EmbedTask]string{
	"": "search_document", llmrouter.EmbedDocument: "search_document", llmrouter.EmbedSimilarity: "search_document",
	llmrouter.EmbedQuery: "search_query", llmrouter.EmbedClassification: "classification", llmrouter.EmbedClustering: "clustering",
}

type titanRequest struct {
	InputText  string `json:"inputText"`
	Dimensions int    `json:"dimensions,omitempty"`
}

type titanAnswer struct {
	Embedding           []float32 `json:"embedding"`
	InputTextTokenCount int       `json:"inputTextTokenCount"`
}

type cohereRequest struct {
	Texts     []string `json:"texts"`
	InputType string   `json:"input_type"`
}

type cohereAnswer struct {
	Embeddings json.RawMessage `json:"embeddings"` // [][]float32, or {"float": [][]float32}
}

// Embed implements llmrouter.Embedder with InvokeModel
// (/model/{id}/invoke), for the two embedding families Bedrock serves:
//   - Amazon Titan (model ids containing "titan-embed"): one call per
//     input, {"inputText"}, Dimensions as "dimensions" (Titan v2 takes 256,
//     512 or 1024; other values are refused before sending); Task is not
//     sent (Titan takes none).
//   - Cohere (ids containing "cohere.embed"): calls of up to 96 texts,
//     Task as input_type (query search_query; document, similarity and none
//     search_document; classification; clustering); Dimensions is not sent
//     (Cohere v3 has a fixed size).
//
// Usage is the X-Amzn-Bedrock-Input-Token-Count header (Titan's
// inputTextTokenCount otherwise). Other models are refused before sending
// (ClassFailover). Request.Extra is not merged into InvokeModel bodies.
func (p *Provider) Embed(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.EmbedRequest) (*llmrouter.EmbedResponse, error) {
	c := &call{deployment: d.Name, secrets: &p.secrets}
	model := strings.ToLower(d.UpstreamModel())
	out := &llmrouter.EmbedResponse{Model: d.UpstreamModel(), Embeddings: make([][]float32, 0, len(req.Inputs))}
	switch {
	case strings.Contains(model, "titan-embed"):
		if n := req.Dimensions; n != 0 && n != 256 && n != 512 && n != 1024 {
			return nil, requestError(c, &carriedElsewhere{fieldError{"Dimensions", "Titan embeddings take 256, 512 or 1024, not " + strconv.Itoa(n)}})
		}
		for _, in := range req.Inputs {
			var a titanAnswer
			tokens, pe := p.invoke(ctx, c, d, titanRequest{InputText: in, Dimensions: req.Dimensions}, &a)
			if pe != nil {
				return nil, pe
			}
			if len(a.Embedding) == 0 {
				return nil, c.fail(llmrouter.KindMalformed, 200, "", "Titan answered without an embedding")
			}
			out.Embeddings = append(out.Embeddings, a.Embedding)
			if tokens == 0 {
				tokens = a.InputTextTokenCount
			}
			out.Usage.InputTokens += tokens
		}
	case strings.Contains(model, "cohere.embed"):
		for lo := 0; lo < len(req.Inputs); lo += maxCohereBatch {
			texts := req.Inputs[lo:min(lo+maxCohereBatch, len(req.Inputs))]
			var a cohereAnswer
			tokens, pe := p.invoke(ctx, c, d, cohereRequest{Texts: texts, InputType: cohereInputTypes[req.Task]}, &a)
			if pe != nil {
				return nil, pe
			}
			vecs, ok := cohereVectors(a.Embeddings)
			if !ok || len(vecs) != len(texts) {
				return nil, c.fail(llmrouter.KindMalformed, 200, "", "Cohere answered without one float embedding per text")
			}
			out.Embeddings = append(out.Embeddings, vecs...)
			out.Usage.InputTokens += tokens
		}
	default:
		return nil, requestError(c, &carriedElsewhere{fieldError{"Model", "the bedrock adapter embeds with Titan and Cohere models only, not " + strconv.Quote(d.UpstreamModel())}})
	}
	return out, nil
}

// cohereVectors reads Cohere's embeddings: a list of float vectors, or an
// object whose "float" member is one.
func cohereVectors(raw json.RawMessage) ([][]float32, bool) {
	var vecs [][]float32
	if json.Unmarshal(raw, &vecs) == nil {
		return vecs, true
	}
	var byType struct {
		Float [][]float32 `json:"float"`
	}
	if json.Unmarshal(raw, &byType) == nil && byType.Float != nil {
		return byType.Float, true
	}
	return nil, false
}

// invoke posts body to InvokeModel and decodes the answer into out. It
// returns the input token count Bedrock announced in its headers, or 0.
func (p *Provider) invoke(ctx context.Context, c *call, d *llmrouter.Deployment, body any, out any) (int, *llmrouter.ProviderError) {
	region, pe := p.regionOf(c, d)
	if pe != nil {
		return 0, pe
	}
	b, err := json.Marshal(body)
	if err != nil {
		return 0, requestError(c, &fieldError{"Inputs", err.Error()})
	}
	resp, pe := p.post(ctx, c, d, region, "/invoke", "application/json", b)
	if pe != nil {
		return 0, pe
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return 0, c.transport(ctx, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return 0, c.fail(llmrouter.KindMalformed, 200, "", "unreadable InvokeModel answer: "+err.Error())
	}
	tokens, _ := strconv.Atoi(resp.Header.Get("X-Amzn-Bedrock-Input-Token-Count"))
	return max(tokens, 0), nil
}
