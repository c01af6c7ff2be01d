package openai

import (
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// Default settings.
const (
	// DefaultBaseURL is the OpenAI API's base URL.
	DefaultBaseURL = "https://api.openai.com/v1"
	// DefaultAzureAPIVersion is the Azure OpenAI api-version Azure uses when
	// given none (the latest GA version at the time of writing).
	DefaultAzureAPIVersion = "2024-10-21"
)

// Base URLs of OpenAI-compatible services, for WithBaseURL (the presets
// below use them).
const (
	OpenRouterBaseURL = "https://openrouter.ai/api/v1"
	GroqBaseURL       = "https://api.groq.com/openai/v1"
	TogetherBaseURL   = "https://api.together.xyz/v1"
	MistralBaseURL    = "https://api.mistral.ai/v1"
	DeepSeekBaseURL   = "https://api.deepseek.com/v1"
	// OllamaBaseURL is a local Ollama server's OpenAI-compatible endpoint.
	OllamaBaseURL = "http://localhost:11434/v1"
	// VLLMBaseURL is a local vLLM server's default endpoint.
	VLLMBaseURL = "http://localhost:8000/v1"
	// LiteLLMBaseURL is a local LiteLLM proxy's default endpoint.
	LiteLLMBaseURL = "http://localhost:4000"
)

// Provider is an llmrouter.Provider speaking the Chat Completions API. It is
// safe for concurrent use. Create one with New.
type Provider struct {
	name       string
	apiKey     string
	baseURL    string
	chatURL    string // baseURL + "/chat/completions", when not Azure
	client     *http.Client
	maxTokens  string // "max_completion_tokens" or "max_tokens"
	noUsage    bool   // do not send stream_options
	azure      bool   // deployments path and api-version query
	azureVer   string
	omitModel  bool
	devSystem  bool   // send developer messages as system ones
	authHeader string // "Authorization" (Bearer) or "Api-Key"
	org        string
	project    string
	referer    string
	title      string
	extra      []header // WithHeader, in order

	headers       []header // every request's headers, built by New
	streamHeaders []header
	secrets       wire.Secrets // every credential, kept out of errors; built by New
	sameHost      bool         // WithSameHostRedirects
	dialect       dialect      // how reasoning is asked for and replayed
	noCacheKey    bool         // the server does not take prompt_cache_key
	litellm       bool         // read x-litellm-model-id into ServedBy
	tokenSrc      wire.TokenSource
	tokens        *wire.Tokens // the token source's cache, or nil
}

// header is one request header; its value slice is shared by every request
// and never modified (its capacity equals its length, so an append copies).
type header struct {
	key string
	val []string
}

var _ llmrouter.Provider = (*Provider)(nil)

// Option configures a Provider. Options apply in order, so a later one
// overrides an earlier one (a preset, say).
type Option func(*Provider)

// New returns a provider for OpenAI's API, or another server once an option
// (WithBaseURL, a preset) says so. With no options it calls
// https://api.openai.com/v1 without a key; set one with WithAPIKey.
func New(opts ...Option) *Provider {
	p := &Provider{
		name:       "openai",
		baseURL:    DefaultBaseURL,
		maxTokens:  "max_completion_tokens",
		authHeader: "Authorization",
	}
	for _, o := range opts {
		o(p)
	}
	p.client = wire.GuardRedirects(p.client, p.sameHost)
	p.baseURL = strings.TrimRight(p.baseURL, "/")
	p.chatURL = p.baseURL + "/chat/completions"
	p.buildHeaders()
	if p.tokenSrc != nil {
		p.tokens = wire.NewTokens(p.tokenSrc, &p.secrets, nil)
	}
	return p
}

func (p *Provider) buildHeaders() {
	add := func(k, v string) {
		k = textproto.CanonicalMIMEHeaderKey(k)
		for i := range p.headers {
			if p.headers[i].key == k {
				p.headers[i].val = []string{v}
				return
			}
		}
		p.headers = append(p.headers, header{k, []string{v}})
	}
	add("Content-Type", "application/json")
	if p.apiKey != "" {
		if p.authHeader == "Authorization" {
			add("Authorization", "Bearer "+p.apiKey)
		} else {
			add(p.authHeader, p.apiKey)
		}
		p.secrets.Add(p.apiKey)
	}
	p.secrets.AddURL(p.baseURL)
	if p.org != "" {
		add("OpenAI-Organization", p.org)
	}
	if p.project != "" {
		add("OpenAI-Project", p.project)
	}
	if p.referer != "" {
		add("HTTP-Referer", p.referer)
	}
	if p.title != "" {
		add("X-Title", p.title)
	}
	for _, h := range p.extra {
		add(h.key, h.val[0])
		p.secrets.AddHeader(h.key, h.val[0])
	}
	for i := range p.headers {
		p.headers[i].val = p.headers[i].val[:1:1]
	}
	p.streamHeaders = append(append([]header(nil), p.headers...), header{"Accept", []string{"text/event-stream"}})
}

// Name returns the provider's name: "openai" unless WithName or a preset set
// another.
func (p *Provider) Name() string { return p.name }

// HonorsContext reports true: every request, and every stream's Next, ends
// as soon as its context does (the HTTP request is bound to it), so the
// router calls this provider directly (see llmrouter.ContextHonoring).
func (p *Provider) HonorsContext() bool { return true }

// WithAPIKey sets the API key, sent as "Authorization: Bearer <key>" (or
// "api-key: <key>" for Azure). It never appears in errors.
func WithAPIKey(key string) Option { return func(p *Provider) { p.apiKey = key } }

// WithBaseURL sets the API's base URL, the part before /chat/completions.
// Default DefaultBaseURL.
func WithBaseURL(u string) Option { return func(p *Provider) { p.baseURL = u } }

// WithOrganization sends the OpenAI-Organization header.
func WithOrganization(org string) Option { return func(p *Provider) { p.org = org } }

// WithProject sends the OpenAI-Project header.
func WithProject(project string) Option { return func(p *Provider) { p.project = project } }

// WithHeader sends header k: v with every request (replacing any the
// adapter sets itself, Authorization included). The values of
// credential-like headers (Authorization, Api-Key, X-Api-Key, any name
// containing key, token, secret or auth: see wire.IsCredentialName) never
// appear in errors.
func WithHeader(k, v string) Option {
	return func(p *Provider) { p.extra = append(p.extra, header{k, []string{v}}) }
}

// WithHTTPClient sets the HTTP client. Default wire.NewHTTPClient(): pooled
// connections, HTTP/2 where offered, no overall timeout (the router's
// contexts bound each call). The provider uses a shallow copy of c whose
// CheckRedirect refuses redirects (see WithSameHostRedirects); c itself is
// not modified.
func WithHTTPClient(c *http.Client) Option { return func(p *Provider) { p.client = c } }

// WithSameHostRedirects lets the provider follow redirects to the scheme
// and host:port a request was sent to (up to 10; the caller's own
// CheckRedirect, if any, is then consulted). Default: every redirect is
// refused with a KindTransport, ClassFailover error wrapping a
// *wire.RedirectError that names the target host. Redirects to another
// host are always refused: they would carry the key and the prompt there.
func WithSameHostRedirects() Option { return func(p *Provider) { p.sameHost = true } }

// WithName sets the provider's name, as the OpenTelemetry
// gen_ai.provider.name attribute spells it where one exists
// ("azure.ai.openai", "groq", "mistral_ai", "deepseek"), or the server's own
// name ("openrouter", "vllm", "ollama"). Default "openai".
func WithName(name string) Option { return func(p *Provider) { p.name = name } }

// WithMaxTokensField sends the output cap as "max_tokens" instead of
// "max_completion_tokens", for servers that only know the older field
// (Ollama, older vLLM, Mistral, Together, DeepSeek, older Azure
// api-versions). OpenAI's reasoning models need max_completion_tokens.
func WithMaxTokensField() Option { return func(p *Provider) { p.maxTokens = "max_tokens" } }

// WithStreamUsage says whether streams send
// "stream_options":{"include_usage":true}. Default true: OpenAI sends a
// stream's usage only when asked. Turn it off for servers that reject the
// field (they usually send usage anyway).
func WithStreamUsage(on bool) Option { return func(p *Provider) { p.noUsage = !on } }

// WithDeveloperAsSystem sends developer messages with the "system" role,
// for servers that do not know the "developer" role OpenAI introduced. The
// presets other than Azure set it.
func WithDeveloperAsSystem() Option { return func(p *Provider) { p.devSystem = true } }

// WithOpenRouterApp sends OpenRouter's app attribution headers: HTTP-Referer
// (your site's URL) and X-Title (your app's name). Empty values are not sent.
func WithOpenRouterApp(siteURL, appName string) Option {
	return func(p *Provider) { p.referer, p.title = siteURL, appName }
}

// Azure configures Azure OpenAI's deployments API: requests go to
// {endpoint}/openai/deployments/{deployment}/chat/completions?api-version={apiVersion},
// where {deployment} is the llmrouter deployment's Model (or Name); the key
// is sent as an api-key header, and the name becomes "azure.ai.openai".
// endpoint is the resource's, as https://myres.openai.azure.com; an empty
// apiVersion means DefaultAzureAPIVersion. For Microsoft Entra ID, leave the
// key empty and send the token with WithHeader("Authorization", "Bearer "+token).
func Azure(endpoint, apiVersion string) Option {
	return func(p *Provider) {
		if apiVersion == "" {
			apiVersion = DefaultAzureAPIVersion
		}
		p.name = "azure.ai.openai"
		p.baseURL = endpoint
		p.azure, p.azureVer, p.omitModel = true, apiVersion, true
		p.authHeader = "Api-Key"
	}
}

// AzureV1 configures Azure OpenAI's v1 API ({endpoint}/openai/v1, the model
// in the body, no api-version), with the key sent as an api-key header and
// the name "azure.ai.openai".
func AzureV1(endpoint string) Option {
	return func(p *Provider) {
		p.name = "azure.ai.openai"
		p.baseURL = strings.TrimRight(endpoint, "/") + "/openai/v1"
		p.azure, p.omitModel = false, false
		p.authHeader = "Api-Key"
	}
}

// OpenRouter configures OpenRouter: base URL OpenRouterBaseURL, name
// "openrouter", max_tokens. Deployments may carry OpenRouterPreferences in
// Extra; the upstream that served a call is reported in Response.ServedBy.
// Request.Reasoning is sent as OpenRouter's reasoning object (effort, or
// max_tokens for a budget alone).
// See WithOpenRouterApp for attribution headers.
func OpenRouter() Option {
	return func(p *Provider) {
		p.name, p.baseURL, p.maxTokens = "openrouter", OpenRouterBaseURL, "max_tokens"
		p.devSystem, p.dialect = true, dialectOpenRouter
	}
}

// Groq configures GroqCloud: base URL GroqBaseURL, name "groq".
func Groq() Option {
	return func(p *Provider) {
		p.name, p.baseURL = "groq", GroqBaseURL
		p.devSystem, p.noCacheKey = true, true
	}
}

// Together configures Together AI: base URL TogetherBaseURL, name
// "together", max_tokens.
func Together() Option {
	return func(p *Provider) {
		p.name, p.baseURL, p.maxTokens = "together", TogetherBaseURL, "max_tokens"
		p.devSystem, p.noCacheKey = true, true
	}
}

// Mistral configures Mistral AI's API: base URL MistralBaseURL, name
// "mistral_ai", max_tokens, and no stream_options (Mistral rejects unknown
// fields and sends usage in its last chunk anyway).
func Mistral() Option {
	return func(p *Provider) {
		p.name, p.baseURL, p.maxTokens, p.noUsage = "mistral_ai", MistralBaseURL, "max_tokens", true
		p.devSystem, p.noCacheKey = true, true
	}
}

// DeepSeek configures DeepSeek's API: base URL DeepSeekBaseURL, name
// "deepseek", max_tokens. Request.Reasoning is sent as thinking
// enabled/disabled plus reasoning_effort on DeepSeek's scale (minimal and
// low as low, medium to xhigh as high, max as max); reasoning_content is
// read into Response.Reasoning and kept as a ReasoningBlock, which goes
// back as the assistant message's reasoning_content, as DeepSeek requires
// on tool-call turns.
func DeepSeek() Option {
	return func(p *Provider) {
		p.name, p.baseURL, p.maxTokens = "deepseek", DeepSeekBaseURL, "max_tokens"
		p.devSystem, p.noCacheKey, p.dialect = true, true, dialectDeepSeek
	}
}

// VLLM configures a vLLM server at baseURL (empty means VLLMBaseURL): name
// "vllm", max_tokens (which every vLLM version accepts). Set a key with
// WithAPIKey if the server was started with --api-key.
func VLLM(baseURL string) Option {
	return func(p *Provider) {
		p.name, p.baseURL, p.maxTokens = "vllm", orDefault(baseURL, VLLMBaseURL), "max_tokens"
		p.devSystem, p.noCacheKey = true, true
	}
}

// Ollama configures an Ollama server's OpenAI-compatible endpoint at baseURL
// (empty means OllamaBaseURL): name "ollama", max_tokens.
func Ollama(baseURL string) Option {
	return func(p *Provider) {
		p.name, p.baseURL, p.maxTokens = "ollama", orDefault(baseURL, OllamaBaseURL), "max_tokens"
		p.devSystem, p.noCacheKey = true, true
	}
}

// LiteLLM configures a LiteLLM proxy at baseURL (empty means
// LiteLLMBaseURL): name "litellm". Use the proxy's virtual key with
// WithAPIKey; deployments may carry LiteLLMMetadata in Extra. The proxy
// deployment that served a call (its x-litellm-model-id response header)
// is reported in Response.ServedBy and on a stream's first chunk.
func LiteLLM(baseURL string) Option {
	return func(p *Provider) {
		p.name, p.baseURL = "litellm", orDefault(baseURL, LiteLLMBaseURL)
		p.devSystem, p.litellm = true, true
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// urlFor returns the URL to post a chat request for model to.
func (p *Provider) urlFor(model string) string {
	if !p.azure {
		return p.chatURL
	}
	return p.baseURL + "/openai/deployments/" + url.PathEscape(model) +
		"/chat/completions?api-version=" + url.QueryEscape(p.azureVer)
}

// hostedAPIs are the hosts whose APIs refuse calls without a key.
var hostedAPIs = []string{"openai.com", "openai.azure.com", "services.ai.azure.com", "openrouter.ai",
	"groq.com", "together.xyz", "mistral.ai", "deepseek.com"}

// CheckConfig reports a provider pointed at a hosted API (OpenAI, Azure,
// OpenRouter, Groq, Together, Mistral, DeepSeek) without an API key, a
// token source or a credential header (see llmrouter.ConfigChecker).
// Self-hosted servers (vLLM, Ollama, LiteLLM) may need no key.
func (p *Provider) CheckConfig() error {
	if p.apiKey != "" || p.tokenSrc != nil {
		return nil
	}
	for _, h := range p.headers {
		if wire.IsCredentialName(h.key) && len(h.val) > 0 && h.val[0] != "" {
			return nil
		}
	}
	if host, ok := wire.NeedsKey(p.baseURL, hostedAPIs...); ok {
		return errors.New("openai: no API key for " + host + ": pass WithAPIKey or WithTokenSource")
	}
	return nil
}
