package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// maxEmbedBatch is the most inputs OpenAI takes in one embeddings request;
// Embed splits longer requests into batches of this size.
const maxEmbedBatch = 2048

var _ llmrouter.Embedder = (*Provider)(nil)

// embedRequest is the body of POST /embeddings.
type embedRequest struct {
	Model          string   `json:"model,omitempty"` // omitted for Azure's deployments API
	Input          []string `json:"input"`
	Dimensions     int      `json:"dimensions,omitempty"`
	EncodingFormat string   `json:"encoding_format"`
	User           string   `json:"user,omitempty"`
}

// embedResponse is the answer of POST /embeddings.
type embedResponse struct {
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	} `json:"data"`
	Model string `json:"model"`
	Usage struct {
		PromptTokens int `json:"prompt_tokens"`
	} `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// Embed implements llmrouter.Embedder with POST /embeddings (Azure:
// /openai/deployments/{deployment}/embeddings): the inputs as "input" (in
// batches of 2048, one request each, in order), Dimensions as
// "dimensions", User as "user", float vectors. EmbedRequest.Task is not
// sent: OpenAI's embeddings take no task. The entry of Request.Extra named
// by the provider's Name is merged into each batch's body. Failures are
// classified as Chat's are.
func (p *Provider) Embed(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.EmbedRequest) (*llmrouter.EmbedResponse, error) {
	out := &llmrouter.EmbedResponse{Embeddings: make([][]float32, 0, len(req.Inputs))}
	for lo := 0; lo < len(req.Inputs); lo += maxEmbedBatch {
		hi := min(lo+maxEmbedBatch, len(req.Inputs))
		if err := p.embedBatch(ctx, d, req, req.Inputs[lo:hi], out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// embedBatch embeds inputs and appends their vectors and usage to out.
func (p *Provider) embedBatch(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.EmbedRequest, inputs []string, out *llmrouter.EmbedResponse) *llmrouter.ProviderError {
	w := embedRequest{Input: inputs, Dimensions: req.Dimensions, EncodingFormat: "float", User: req.User}
	if !p.omitModel {
		w.Model = d.UpstreamModel()
	}
	body, err := json.Marshal(&w)
	if err != nil {
		return p.fail(d, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Message: "encoding the request: " + err.Error()})
	}
	body, pe := wire.MergeExtra(body, &llmrouter.Request{Extra: req.Extra}, p.name)
	if pe != nil {
		return p.fail(d, pe)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, p.embedURL(d.UpstreamModel()), bytes.NewReader(body))
	if err != nil {
		return p.fail(d, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Message: err.Error()})
	}
	for _, h := range p.headers {
		hreq.Header[h.key] = h.val
	}
	if pe := p.tokens.Authorize(ctx, hreq.Header, "Authorization", "Bearer "); pe != nil {
		return p.fail(d, pe)
	}
	resp, err := p.client.Do(hreq)
	if err != nil {
		return p.transportError(ctx, d, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return p.httpError(resp, d.Name)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	_ = resp.Body.Close()
	if err != nil {
		return p.transportError(ctx, d, err)
	}
	var er embedResponse
	if err := json.Unmarshal(raw, &er); err != nil {
		return p.malformed(d, resp, "unreadable embeddings response: "+err.Error())
	}
	if len(er.Error) > 0 && string(er.Error) != "null" {
		return p.classify(resp.StatusCode, resp.Header, raw, d.Name)
	}
	vecs := make([][]float32, len(inputs))
	for _, e := range er.Data {
		if e.Index < 0 || e.Index >= len(vecs) || vecs[e.Index] != nil {
			return p.malformed(d, resp, "embeddings response with index "+strconv.Itoa(e.Index)+" out of range or repeated")
		}
		vecs[e.Index] = e.Embedding
	}
	for i, v := range vecs {
		if v == nil {
			return p.malformed(d, resp, "embeddings response without a vector for input "+strconv.Itoa(i))
		}
	}
	out.Embeddings = append(out.Embeddings, vecs...)
	out.Model = er.Model
	out.Usage.InputTokens += er.Usage.PromptTokens
	return nil
}

// embedURL returns the URL to post an embeddings request for model to.
func (p *Provider) embedURL(model string) string {
	if !p.azure {
		return p.baseURL + "/embeddings"
	}
	return p.baseURL + "/openai/deployments/" + url.PathEscape(model) +
		"/embeddings?api-version=" + url.QueryEscape(p.azureVer)
}

// fail fills the provider and deployment of pe and keeps credentials out.
func (p *Provider) fail(d *llmrouter.Deployment, pe *llmrouter.ProviderError) *llmrouter.ProviderError {
	pe.Provider, pe.Deployment = p.name, d.Name
	return p.sec().Finish(pe)
}
