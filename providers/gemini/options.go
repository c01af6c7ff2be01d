package gemini

import (
	"net/http"
	"strings"

	"github.com/llmrouter/llmrouter"
)

// Option configures a Provider.
type Option func(*Provider)

// WithAPIKey sets the API key, sent as the x-goog-api-key header. Default:
// none (every call then fails with an auth error from Gemini).
func WithAPIKey(key string) Option { return func(p *Provider) { p.key = key } }

// WithBaseURL sets the API's base URL, without the version. Default
// DefaultBaseURL.
func WithBaseURL(u string) Option {
	return func(p *Provider) { p.baseURL = strings.TrimRight(u, "/") }
}

// WithAPIVersion sets the API version path segment. Default
// DefaultAPIVersion ("v1beta").
func WithAPIVersion(v string) Option {
	return func(p *Provider) { p.version = strings.Trim(v, "/") }
}

// WithHeader adds a header to every request. The values of credential-like
// headers (Authorization, any name containing key, token, secret or auth:
// see wire.IsCredentialName) never appear in errors.
func WithHeader(key, value string) Option {
	return func(p *Provider) { p.header.Add(key, value) }
}

// WithHTTPClient sets the HTTP client. Default wire.NewHTTPClient(): pooled,
// with no overall timeout (the caller's context bounds each call). The
// provider uses a shallow copy of c whose CheckRedirect refuses redirects
// (see WithSameHostRedirects); c itself is not modified.
func WithHTTPClient(c *http.Client) Option { return func(p *Provider) { p.client = c } }

// WithSameHostRedirects lets the provider follow redirects to the scheme
// and host:port a request was sent to (up to 10; the caller's own
// CheckRedirect, if any, is then consulted). Default: every redirect is
// refused with a KindTransport, ClassFailover error wrapping a
// *wire.RedirectError that names the target host. Redirects to another
// host are always refused: they would carry the key and the prompt there.
func WithSameHostRedirects() Option { return func(p *Provider) { p.sameHost = true } }

// WithSafetySettings sets the safetySettings sent with every request, unless
// the deployment's Extra sets its own. Default: none (Gemini's defaults).
func WithSafetySettings(s ...SafetySetting) Option {
	return func(p *Provider) { p.safety = append([]SafetySetting(nil), s...) }
}

// WithOpenAPISchemas sends tool parameters as "parameters" and response
// schemas as "responseSchema" (Gemini's OpenAPI 3.0 subset) instead of the
// default "parametersJsonSchema" and "responseJsonSchema" (JSON Schema).
// Use it for gateways or API versions that lack the JSON Schema fields.
//
// The JSON Schemas of the request are converted to the subset before
// sending: what the subset has is kept, what maps is translated
// (["string","null"] types and null enum members to nullable, const to a
// one-value enum, local $refs inlined), annotations and
// additionalProperties true/false are dropped. A schema using anything
// else (oneOf, allOf, not, patternProperties, a recursive $ref, ...) is
// refused before sending with a *llmrouter.ProviderError of KindBadRequest
// and ClassFailover whose Err is a *SchemaError naming the keyword and its
// path: another deployment may take the schema as it is.
func WithOpenAPISchemas() Option { return func(p *Provider) { p.openAPI = true } }

// WithThoughtSignatureFallback sets the thoughtSignature replayed on the
// first functionCall part of an assistant turn whose call carries no
// ToolCall.Signature of its own, for models other than gemini-1.x and
// gemini-2.x. Default DefaultThoughtSignature; "" sends none.
func WithThoughtSignatureFallback(sig string) Option {
	return func(p *Provider) { p.thoughtSig = sig }
}

// SafetySetting is one entry of Gemini's safetySettings, passed through as
// given: Category such as "HARM_CATEGORY_HARASSMENT", Threshold such as
// "BLOCK_ONLY_HIGH" or "BLOCK_NONE".
type SafetySetting struct {
	Category  string `json:"category"`
	Threshold string `json:"threshold"`
}

// ThinkingConfig is Gemini's generationConfig.thinkingConfig. Zero fields
// are not sent.
type ThinkingConfig struct {
	// IncludeThoughts asks for thought summaries (returned as Reasoning).
	IncludeThoughts bool `json:"includeThoughts,omitempty"`
	// ThinkingBudget caps thinking tokens (Gemini 2.5); 0 turns thinking off
	// where the model allows, -1 lets the model decide.
	ThinkingBudget *int `json:"thinkingBudget,omitempty"`
	// ThinkingLevel is "minimal", "low", "medium" or "high" (Gemini 3).
	ThinkingLevel string `json:"thinkingLevel,omitempty"`
}

// Extra is the per-deployment setting the adapter reads from
// Deployment.Extra (as Extra or *Extra). Other types are ignored.
type Extra struct {
	// SafetySettings replace the provider's WithSafetySettings when not nil.
	SafetySettings []SafetySetting
	// Thinking, when not nil, is sent as generationConfig.thinkingConfig.
	Thinking *ThinkingConfig
	// CachedContent names a cached content ("cachedContents/abc") to use
	// as the prompt's prefix.
	CachedContent string
}

// extraOf returns the deployment's Extra, or the zero Extra.
func extraOf(d *llmrouter.Deployment) Extra {
	switch x := d.Extra.(type) {
	case Extra:
		return x
	case *Extra:
		if x != nil {
			return *x
		}
	}
	return Extra{}
}
