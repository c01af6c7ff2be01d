package anthropic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// Defaults of a Provider.
const (
	// DefaultBaseURL is where requests go unless WithBaseURL says otherwise.
	DefaultBaseURL = "https://api.anthropic.com"
	// DefaultVersion is the anthropic-version header sent unless WithVersion
	// says otherwise.
	DefaultVersion = "2023-06-01"
	// DefaultMaxTokens is the max_tokens sent when neither the request nor
	// the deployment sets a maximum output (see WithDefaultMaxTokens).
	DefaultMaxTokens = 4096
)

// name is the provider's OpenTelemetry gen_ai.provider.name.
const name = "anthropic"

// maxResponseBody bounds the size of a whole (non-streamed) answer.
const maxResponseBody = 64 << 20

// Provider is the Anthropic Messages API adapter. Create one with New; it is
// safe for concurrent use and holds no per-call state.
type Provider struct {
	apiKey    string
	baseURL   string
	version   string
	beta      []string
	header    http.Header
	client    *http.Client
	maxTokens int
	sameHost  bool         // WithSameHostRedirects
	secrets   wire.Secrets // every credential, kept out of errors; built by New
	tokenSrc  wire.TokenSource
	tokens    *wire.Tokens // the token source's cache, or nil
}

// Option configures a Provider.
type Option func(*Provider)

// WithAPIKey sets the API key, sent as the x-api-key header. Default: none
// (the API then answers 401).
func WithAPIKey(key string) Option { return func(p *Provider) { p.apiKey = key } }

// WithTokenSource takes the API key from src instead of WithAPIKey: each
// request carries src's current key as x-api-key, cached until a minute
// before the expiry src gives (a zero expiry is used for five minutes), so
// keys that rotate are picked up without a new Provider. A failing src
// fails the call with KindAuth before anything is sent. Keys never appear
// in errors.
func WithTokenSource(src func(ctx context.Context) (key string, expires time.Time, err error)) Option {
	return func(p *Provider) { p.tokenSrc = src }
}

// WithBaseURL sets the API root, without the /v1 path (for a proxy or a
// test server). Default: DefaultBaseURL.
func WithBaseURL(u string) Option {
	return func(p *Provider) { p.baseURL = strings.TrimRight(u, "/") }
}

// WithVersion sets the anthropic-version header. Default: DefaultVersion.
func WithVersion(v string) Option { return func(p *Provider) { p.version = v } }

// WithBeta adds values to the anthropic-beta header of every request
// ("prompt-caching-2024-07-31"). Settings.Beta adds more per deployment.
func WithBeta(values ...string) Option {
	return func(p *Provider) { p.beta = append(p.beta, values...) }
}

// WithHeader adds a header to every request. The headers the adapter sets
// itself (x-api-key, anthropic-version, content-type, accept, and
// anthropic-beta when WithBeta or Settings.Beta give values) take
// precedence. The values of credential-like headers (Authorization, any
// name containing key, token, secret or auth: see wire.IsCredentialName)
// never appear in errors.
func WithHeader(key, value string) Option {
	return func(p *Provider) { p.header.Add(key, value) }
}

// WithHTTPClient sets the HTTP client. Default: a pooled client from
// wire.NewHTTPClient, without an overall timeout (contexts bound each call).
// The provider uses a shallow copy of c whose CheckRedirect refuses
// redirects (see WithSameHostRedirects); c itself is not modified.
func WithHTTPClient(c *http.Client) Option { return func(p *Provider) { p.client = c } }

// WithSameHostRedirects lets the provider follow redirects to the scheme
// and host:port a request was sent to (up to 10; the caller's own
// CheckRedirect, if any, is then consulted). Default: every redirect is
// refused with a KindTransport, ClassFailover error wrapping a
// *wire.RedirectError that names the target host. Redirects to another
// host are always refused: they would carry the key and the prompt there.
func WithSameHostRedirects() Option { return func(p *Provider) { p.sameHost = true } }

// WithDefaultMaxTokens sets the max_tokens sent when neither
// Request.MaxOutputTokens nor Deployment.MaxOutputTokens is set. Default:
// DefaultMaxTokens. Values below 1 are ignored.
func WithDefaultMaxTokens(n int) Option {
	return func(p *Provider) {
		if n > 0 {
			p.maxTokens = n
		}
	}
}

// New returns a Provider configured by opts.
func New(opts ...Option) *Provider {
	p := &Provider{baseURL: DefaultBaseURL, version: DefaultVersion, header: http.Header{}, maxTokens: DefaultMaxTokens}
	for _, o := range opts {
		o(p)
	}
	p.client = wire.GuardRedirects(p.client, p.sameHost)
	p.secrets.Add(p.apiKey)
	p.secrets.AddHeaders(p.header)
	p.secrets.AddURL(p.baseURL)
	if p.tokenSrc != nil {
		p.tokens = wire.NewTokens(p.tokenSrc, &p.secrets, nil)
	}
	return p
}

// Settings are per-deployment settings, given as Deployment.Extra (a
// Settings or a *Settings). The zero value changes nothing.
type Settings struct {
	// Beta values are added to the anthropic-beta header for this
	// deployment, after the provider's (WithBeta).
	Beta []string
	// JSONSchemaInSystem asks for json_schema response formats with an
	// instruction in the system prompt (as for plain JSON) instead of
	// output_config.format, for models without structured outputs.
	JSONSchemaInSystem bool
	// TopK, when above zero, is sent as top_k.
	TopK int
	// ManualThinking sends Request.Reasoning as thinking
	// {"type":"enabled","budget_tokens":N} (the request's budget, else one
	// for its effort) instead of adaptive thinking with
	// output_config.effort, for models that take a budget and no effort
	// (before Claude 4.6; deprecated on 4.6, refused from 4.7).
	ManualThinking bool
}

// Name returns "anthropic".
func (p *Provider) Name() string { return name }

// HonorsContext reports true: every request, and every stream's Next, ends
// as soon as its context does (the HTTP request is bound to it), so the
// router calls this provider directly (see llmrouter.ContextHonoring).
func (p *Provider) HonorsContext() bool { return true }

// Chat implements llmrouter.Provider.
func (p *Provider) Chat(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (*llmrouter.Response, error) {
	resp, err := p.send(ctx, d, req, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return nil, p.transportError(ctx, d, err)
	}
	out, perr := decodeResponse(body)
	if perr != nil {
		perr.StatusCode = resp.StatusCode
		if perr.RequestID == "" {
			perr.RequestID = resp.Header.Get("Request-Id")
		}
		return nil, p.finish(perr, d)
	}
	out.RateLimit = rateLimit(resp.Header, nowFunc())
	out.ReasoningDropped = req.ForeignReasoning(name)
	return out, nil
}

// Stream implements llmrouter.Provider.
func (p *Provider) Stream(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (llmrouter.ChunkStream, error) {
	resp, err := p.send(ctx, d, req, true)
	if err != nil {
		return nil, err
	}
	ct := resp.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "text/event-stream") {
		// An answer that is not a stream: an error body sent with 200, or
		// a proxy's page.
		body := wire.ReadErrorBody(resp)
		pe := decodeError(resp.StatusCode, resp.Header, body, nowFunc())
		if pe.Kind == llmrouter.KindUnknown || pe.Code == "" {
			pe.Kind = llmrouter.KindMalformed
			pe.Message = "stream answered with content-type " + ct
		}
		return nil, p.finish(pe, d)
	}
	return newStream(ctx, p, d, resp), nil
}

// send encodes req, posts it and returns the response when its status is
// 200; any other status is read and classified.
func (p *Provider) send(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request, stream bool) (*http.Response, error) {
	settings, perr := settingsOf(d)
	if perr != nil {
		return nil, p.finish(perr, d)
	}
	body, perr := encodeRequest(req, d, settings, p.maxTokens, stream)
	if perr != nil {
		return nil, p.finish(perr, d)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, p.baseURL+"/v1/messages", bytes.NewReader(body))
	if err != nil {
		return nil, p.finish(&llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Class: llmrouter.ClassFailover,
			Message: "building the request: " + err.Error()}, d)
	}
	p.setHeaders(hreq.Header, settings, stream)
	if perr := p.tokens.Authorize(ctx, hreq.Header, "X-Api-Key", ""); perr != nil {
		return nil, p.finish(perr, d)
	}
	resp, err := p.client.Do(hreq)
	if err != nil {
		return nil, p.transportError(ctx, d, err)
	}
	if resp.StatusCode != http.StatusOK {
		body := wire.ReadErrorBody(resp)
		return nil, p.finish(decodeError(resp.StatusCode, resp.Header, body, nowFunc()), d)
	}
	return resp, nil
}

// setHeaders sets the request headers: the provider's extra headers first,
// then the ones the API needs.
func (p *Provider) setHeaders(h http.Header, s *Settings, stream bool) {
	for k, v := range p.header {
		h[k] = append([]string(nil), v...)
	}
	if p.apiKey != "" {
		h.Set("X-Api-Key", p.apiKey)
	}
	h.Set("Anthropic-Version", p.version)
	beta := p.beta
	if s != nil && len(s.Beta) > 0 {
		beta = append(append([]string(nil), p.beta...), s.Beta...)
	}
	if len(beta) > 0 {
		h.Set("Anthropic-Beta", strings.Join(beta, ","))
	}
	h.Set("Content-Type", "application/json")
	if stream {
		h.Set("Accept", "text/event-stream")
	} else {
		h.Set("Accept", "application/json")
	}
}

// settingsOf reads the deployment's Settings from d.Extra.
func settingsOf(d *llmrouter.Deployment) (*Settings, *llmrouter.ProviderError) {
	switch x := d.Extra.(type) {
	case nil:
		return nil, nil
	case Settings:
		return &x, nil
	case *Settings:
		return x, nil
	}
	return nil, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Class: llmrouter.ClassFailover,
		Message: fmt.Sprintf("Deployment.Extra is a %T; the anthropic adapter reads an anthropic.Settings", d.Extra)}
}

// finish fills the provider and deployment of pe, keeps every credential
// out of it, then bounds its message (wire.Secrets.Finish).
func (p *Provider) finish(pe *llmrouter.ProviderError, d *llmrouter.Deployment) *llmrouter.ProviderError {
	pe.Provider = name
	pe.Deployment = d.Name
	if p.tokens != nil {
		return p.tokens.Secrets().Finish(pe)
	}
	return p.secrets.Finish(pe)
}

// transportError classifies a failure to send or read.
func (p *Provider) transportError(ctx context.Context, d *llmrouter.Deployment, err error) *llmrouter.ProviderError {
	return p.finish(wire.TransportError(ctx, name, d.Name, err), d)
}

// CheckConfig reports a provider pointed at Anthropic's API with no API
// key, no token source and no credential header (see
// llmrouter.ConfigChecker). A proxy at another base URL may need none.
func (p *Provider) CheckConfig() error {
	if p.apiKey != "" || p.tokenSrc != nil || wire.HasCredentialHeader(p.header) {
		return nil
	}
	if host, ok := wire.NeedsKey(p.baseURL, "anthropic.com"); ok {
		return errors.New("anthropic: no API key for " + host + ": pass WithAPIKey or WithTokenSource")
	}
	return nil
}
