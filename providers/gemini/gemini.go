package gemini

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// Name is the provider's name: the OpenTelemetry gen_ai.provider.name of
// the Gemini Developer API.
const Name = "gcp.gemini"

// DefaultBaseURL is the Gemini Developer API endpoint.
const DefaultBaseURL = "https://generativelanguage.googleapis.com"

// DefaultAPIVersion is the API version used unless WithAPIVersion says
// otherwise.
const DefaultAPIVersion = "v1beta"

// DefaultThoughtSignature is the placeholder thought signature Google
// documents for replaying function calls whose real signature was lost.
const DefaultThoughtSignature = "skip_thought_signature_validator"

// maxBody is the most of a successful non-streamed answer the adapter reads.
const maxBody = 64 << 20

// Provider is the Gemini adapter. Create one with New. It is safe for
// concurrent use.
type Provider struct {
	key        string
	baseURL    string
	version    string
	header     http.Header
	client     *http.Client
	safety     []SafetySetting
	openAPI    bool
	thoughtSig string
	sameHost   bool         // WithSameHostRedirects
	secrets    wire.Secrets // every credential, kept out of errors; built by New
	tokenSrc   wire.TokenSource
	tokens     *wire.Tokens // the token source's cache, or nil
}

// New returns a Gemini provider configured by opts.
func New(opts ...Option) *Provider {
	p := &Provider{
		baseURL:    DefaultBaseURL,
		version:    DefaultAPIVersion,
		header:     http.Header{},
		thoughtSig: DefaultThoughtSignature,
	}
	for _, o := range opts {
		o(p)
	}
	p.client = wire.GuardRedirects(p.client, p.sameHost)
	p.secrets.Add(p.key)
	p.secrets.AddHeaders(p.header)
	p.secrets.AddURL(p.baseURL)
	if p.tokenSrc != nil {
		p.tokens = wire.NewTokens(p.tokenSrc, &p.secrets, nil)
	}
	return p
}

// Name implements llmrouter.Provider: it returns "gcp.gemini".
func (p *Provider) Name() string { return Name }

// HonorsContext reports true: every request, and every stream's Next, ends
// as soon as its context does (the HTTP request is bound to it), so the
// router calls this provider directly (see llmrouter.ContextHonoring).
func (p *Provider) HonorsContext() bool { return true }

// Chat implements llmrouter.Provider with generateContent.
func (p *Provider) Chat(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (*llmrouter.Response, error) {
	resp, perr := p.send(ctx, d, req, false)
	if perr != nil {
		return nil, perr
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, p.transportError(ctx, d, err)
	}
	out, perr := decodeResponse(body)
	if perr != nil {
		return nil, p.fill(perr, d)
	}
	out.ReasoningDropped = req.ForeignReasoning(Name)
	return out, nil
}

// Stream implements llmrouter.Provider with streamGenerateContent?alt=sse.
func (p *Provider) Stream(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (llmrouter.ChunkStream, error) {
	resp, perr := p.send(ctx, d, req, true)
	if perr != nil {
		return nil, perr
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		// Not an event stream: an error object some front ends send with
		// a 200, or a gateway that ignored alt=sse.
		b := wire.ReadErrorBody(resp)
		if w := parseError(b); w != nil {
			return nil, p.fill(errorFromWire(0, resp.Header, w, b), d)
		}
		return nil, p.fill(&llmrouter.ProviderError{Kind: llmrouter.KindMalformed, StatusCode: resp.StatusCode,
			Message: "expected an event stream, got application/json: " + snippet(b)}, d)
	}
	return newStream(ctx, p, d, resp.Body), nil
}

// send encodes req, posts it and returns a 2xx response, or the classified
// failure (the body of a failed response is read and closed).
func (p *Provider) send(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request, stream bool) (*http.Response, *llmrouter.ProviderError) {
	body, perr := p.encodeRequest(d, req)
	if perr != nil {
		return nil, p.fill(perr, d)
	}
	return p.post(ctx, d, p.endpoint(d.UpstreamModel(), stream), body, stream)
}

// post posts body to u and returns a 2xx response, or the classified
// failure (the body of a failed response is read and closed).
func (p *Provider) post(ctx context.Context, d *llmrouter.Deployment, u string, body []byte, stream bool) (*http.Response, *llmrouter.ProviderError) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, p.fill(&llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Message: err.Error(), Err: err}, d)
	}
	p.setHeaders(hreq.Header, stream)
	if perr := p.tokens.Authorize(ctx, hreq.Header, "Authorization", "Bearer "); perr != nil {
		return nil, p.fill(perr, d)
	}
	resp, err := p.client.Do(hreq)
	if err != nil {
		return nil, p.transportError(ctx, d, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b := wire.ReadErrorBody(resp)
		return nil, p.fill(errorFromResponse(resp.StatusCode, resp.Header, b), d)
	}
	return resp, nil
}

// endpoint returns the URL of the generateContent or streamGenerateContent
// method of model. "models/x" and "tunedModels/x" are accepted as given.
func (p *Provider) endpoint(model string, stream bool) string {
	if stream {
		return p.methodURL(model, ":streamGenerateContent?alt=sse")
	}
	return p.methodURL(model, ":generateContent")
}

// methodURL returns the URL of method (":generateContent", say) of model.
func (p *Provider) methodURL(model, method string) string {
	var b strings.Builder
	b.Grow(len(p.baseURL) + len(p.version) + len(model) + 48)
	b.WriteString(p.baseURL)
	b.WriteByte('/')
	b.WriteString(p.version)
	b.WriteByte('/')
	if !strings.Contains(model, "/") {
		b.WriteString("models/")
	}
	for i, seg := range strings.Split(model, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(url.PathEscape(seg))
	}
	b.WriteString(method)
	return b.String()
}

func (p *Provider) setHeaders(h http.Header, stream bool) {
	for k, vs := range p.header {
		h[k] = append([]string(nil), vs...)
	}
	h.Set("Content-Type", "application/json")
	if stream {
		h.Set("Accept", "text/event-stream")
	} else {
		h.Set("Accept", "application/json")
	}
	if p.key != "" && p.tokens == nil {
		h.Set("x-goog-api-key", p.key)
	}
}

// fill names the provider and deployment on e, keeps every credential out
// of it and bounds its message (wire.Secrets.Finish).
func (p *Provider) fill(e *llmrouter.ProviderError, d *llmrouter.Deployment) *llmrouter.ProviderError {
	e.Provider = Name
	if d != nil {
		e.Deployment = d.Name
	}
	if p.tokens != nil {
		return p.tokens.Secrets().Finish(e)
	}
	return p.secrets.Finish(e)
}

func (p *Provider) transportError(ctx context.Context, d *llmrouter.Deployment, err error) *llmrouter.ProviderError {
	return p.fill(wire.TransportError(ctx, Name, d.Name, err), d)
}

// CheckConfig reports a provider pointed at Google's API with no API key,
// no token source and no credential header (see llmrouter.ConfigChecker).
// A proxy at another base URL may need none.
func (p *Provider) CheckConfig() error {
	if p.key != "" || p.tokenSrc != nil || wire.HasCredentialHeader(p.header) {
		return nil
	}
	if host, ok := wire.NeedsKey(p.baseURL, "googleapis.com"); ok {
		return errors.New("gemini: no API key for " + host + ": pass WithAPIKey or WithTokenSource")
	}
	return nil
}
