// Package bedrock is the llmrouter adapter for the Amazon Bedrock Runtime
// Converse and ConverseStream APIs, over net/http. Requests are signed with
// the AWS SDK's own SigV4 signer (service "bedrock") and streamed answers
// are read with the SDK's binary event-stream decoder; the generated
// bedrockruntime client is not used.
//
//	p := bedrock.New(
//		bedrock.WithRegion("eu-west-1"),
//		bedrock.WithStaticCredentials(os.Getenv("AWS_ACCESS_KEY_ID"),
//			os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")),
//	)
//	d := llmrouter.Deployment{
//		Name:     "claude-eu",
//		Provider: p,
//		Model:    "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
//		Region:   "eu-west-1",
//	}
//
// Each call goes to https://bedrock-runtime.{region}.amazonaws.com, where
// region is the deployment's Region (or the WithRegion default), and asks
// for the deployment's upstream model: a model id, an inference profile id
// or an ARN. Any aws.CredentialsProvider can be given with WithCredentials
// (for example one built by the SDK's config package); a Bedrock API key
// can be used instead with WithAPIKey.
//
// # Mapping
//
// System and developer messages become the top-level system blocks; tool
// results become user-role toolResult blocks, and consecutive messages of
// one role are merged, as Converse requires. Images are sent inline (Data,
// or a base64 data: URL) or as s3:// locations; Converse fetches no http(s)
// URL, so such an image fails the call with a KindBadRequest error naming
// the field, before anything is sent. ToolNone has no Converse equivalent:
// the tools are left out, unless the conversation already holds tool calls
// or results (Converse then requires the tool configuration), in which case
// they are sent without a tool choice. Seed has no Converse field and is
// not sent. A JSON-schema response format uses Converse's structured output
// (outputConfig.textFormat) unless the deployment asks for JSONPrompt (see
// DeploymentOptions); a plain JSON-object format, which Converse cannot
// express, is asked for by an instruction appended to the system prompt.
// Request.Reasoning becomes outputConfig.effort (minimal sent as low) and,
// for Claude models, the Anthropic thinking object in
// additionalModelRequestFields (adaptive; disabled for EffortNone; enabled
// with budget_tokens for a budget alone); other models refuse a budget
// without an effort. reasoningContent blocks come back as
// Response.ReasoningBlocks and are replayed first in their assistant turn.
// Part.Cache inserts a cachePoint block after the part (TTL rounded up to
// 5m or 1h; longer, or more than four, refused). An entry "aws.bedrock" in
// Request.Extra is merged into the Converse body.
//
// Usage is normalised: Bedrock's inputTokens excludes cache reads and cache
// writes, so Usage.InputTokens is their sum. Bedrock announces no rate-limit
// headroom, so Response.RateLimit stays nil. Response.ID is the
// x-amzn-requestid of the call, and Response.Model the deployment's
// upstream model (Converse does not echo it).
//
// Error hygiene (shared by every adapter, through internal/wire): every
// credential the provider knows (the API key, the access key id, secret
// access key and session token each call is signed with, credentials in the
// base URL) is redacted from every error before its message is clipped to 1
// KiB (wire.MaxMessage, ending "…[truncated]"). Redirects are refused with a
// KindTransport, ClassFailover error naming only the target's host, since
// they would carry the credentials and the prompt elsewhere;
// WithSameHostRedirects lets redirects to the same scheme and host:port
// through. A client given with WithHTTPClient is copied, not modified.
//
// A Provider is safe for concurrent use.
package bedrock

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// ProviderName is the provider's Name, the OpenTelemetry
// gen_ai.provider.name of Amazon Bedrock.
const ProviderName = "aws.bedrock"

// SigningName is the SigV4 service name Bedrock Runtime requests are signed
// for.
const SigningName = "bedrock"

// Provider is the Bedrock Converse adapter. Create one with New.
type Provider struct {
	client   *http.Client
	creds    aws.CredentialsProvider
	apiKey   string
	region   string
	endpoint func(region string) string
	signer   *v4.Signer
	now      func() time.Time
	sameHost bool                       // WithSameHostRedirects
	secrets  wire.Secrets               // the API key and base URL's credentials; built by New
	signed   atomic.Pointer[signedWith] // the Secrets of the last credentials signed with
}

// Option configures a Provider.
type Option func(*Provider)

// WithHTTPClient sets the HTTP client. Default: wire.NewHTTPClient(), pooled
// and without an overall timeout (contexts bound each call). The provider
// uses a shallow copy of c whose CheckRedirect refuses redirects (see
// WithSameHostRedirects); c itself is not modified.
func WithHTTPClient(c *http.Client) Option { return func(p *Provider) { p.client = c } }

// WithSameHostRedirects lets the provider follow redirects to the scheme
// and host:port a request was sent to (up to 10; the caller's own
// CheckRedirect, if any, is then consulted). Default: every redirect is
// refused with a KindTransport, ClassFailover error wrapping a
// *wire.RedirectError that names the target host. Redirects to another
// host are always refused: they would carry the signed headers (the
// session token among them) and the prompt there.
func WithSameHostRedirects() Option { return func(p *Provider) { p.sameHost = true } }

// WithCredentials sets the AWS credentials requests are signed with. A
// provider that is not already an *aws.CredentialsCache is wrapped in one,
// so that expiring credentials are refreshed once, not per call.
func WithCredentials(cp aws.CredentialsProvider) Option {
	return func(p *Provider) {
		if cp == nil {
			p.creds = nil
			return
		}
		if _, ok := cp.(*aws.CredentialsCache); !ok {
			cp = aws.NewCredentialsCache(cp)
		}
		p.creds = cp
	}
}

// WithStaticCredentials signs requests with a fixed access key id, secret
// access key and optional session token.
func WithStaticCredentials(accessKeyID, secretAccessKey, sessionToken string) Option {
	creds := aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey,
		SessionToken: sessionToken, Source: "llmrouter/bedrock static"}
	return func(p *Provider) {
		p.creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })
	}
}

// WithAPIKey authenticates with a Bedrock API key, sent as
// "Authorization: Bearer <key>", instead of signing with SigV4. It takes
// precedence over any credentials.
func WithAPIKey(key string) Option { return func(p *Provider) { p.apiKey = key } }

// WithRegion sets the region used for deployments whose Region is empty.
// Default: none, so every deployment must name its region.
func WithRegion(region string) Option { return func(p *Provider) { p.region = region } }

// WithEndpoint sets the function giving the base URL (scheme and host, no
// trailing slash) of Bedrock Runtime in a region. Default:
// https://bedrock-runtime.{region}.amazonaws.com (amazonaws.com.cn for the
// cn- regions).
func WithEndpoint(f func(region string) string) Option {
	return func(p *Provider) {
		if f != nil {
			p.endpoint = f
		}
	}
}

// WithBaseURL sends every request to baseURL, whatever the region (the
// region is still used for signing). For tests, proxies and VPC endpoints.
func WithBaseURL(baseURL string) Option {
	baseURL = strings.TrimRight(baseURL, "/")
	endpoint := WithEndpoint(func(string) string { return baseURL })
	return func(p *Provider) {
		endpoint(p)
		p.secrets.AddURL(baseURL)
	}
}

// WithClock sets the clock that dates signatures. Default: time.Now. Tests
// fix it to make the Authorization header reproducible.
func WithClock(now func() time.Time) Option {
	return func(p *Provider) {
		if now != nil {
			p.now = now
		}
	}
}

// New returns a Provider configured by opts. Without credentials (from
// WithCredentials, WithStaticCredentials or WithAPIKey) every call fails
// with a KindAuth error.
func New(opts ...Option) *Provider {
	p := &Provider{endpoint: DefaultEndpoint, signer: v4.NewSigner(), now: time.Now}
	for _, o := range opts {
		o(p)
	}
	p.client = wire.GuardRedirects(p.client, p.sameHost)
	p.secrets.Add(p.apiKey)
	return p
}

// DefaultEndpoint is the public Bedrock Runtime endpoint of region.
func DefaultEndpoint(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "https://bedrock-runtime." + region + ".amazonaws.com.cn"
	}
	return "https://bedrock-runtime." + region + ".amazonaws.com"
}

// Name returns "aws.bedrock".
func (p *Provider) Name() string { return ProviderName }

// HonorsContext reports true: every request, and every stream's Next, ends
// as soon as its context does (the HTTP request is bound to it), so the
// router calls this provider directly (see llmrouter.ContextHonoring).
func (p *Provider) HonorsContext() bool { return true }

// JSONMode says how a deployment asks for JSON answers.
type JSONMode uint8

const (
	// JSONNative sends a JSON-schema response format as Converse structured
	// output (outputConfig.textFormat). Models without structured-output
	// support reject it with a ValidationException. The default.
	JSONNative JSONMode = iota
	// JSONPrompt appends an instruction (with the schema, if any) to the
	// system prompt instead, for models without structured output.
	JSONPrompt
)

// DeploymentOptions are per-deployment Bedrock settings, read from
// Deployment.Extra (as a DeploymentOptions or a *DeploymentOptions; any
// other value is ignored).
type DeploymentOptions struct {
	// JSONMode says how JSON-schema answers are asked for.
	JSONMode JSONMode
	// AdditionalModelRequestFields is a JSON object passed as Converse's
	// additionalModelRequestFields: model-specific parameters such as
	// {"top_k":40} or Claude's {"thinking":{"type":"enabled","budget_tokens":2048}}.
	AdditionalModelRequestFields []byte
	// Guardrail, when not nil, applies a Bedrock guardrail to the call.
	Guardrail *Guardrail
}

// Guardrail names a Bedrock guardrail (guardrailConfig). A prompt the
// guardrail (or a model's own filter) blocks, so that no answer is
// generated (the trace's input assessment says BLOCKED, or zero output
// tokens), is the blocked-prompt error every adapter reports:
// KindContentPolicy with Code "prompt_blocked", whole or streamed before
// any content. An answer filtered after generation stays an answer with
// FinishContentFilter. Set Trace to "enabled" for the surest signal.
type Guardrail struct {
	// Identifier and Version name the guardrail. Both are required.
	Identifier string
	Version    string
	// Trace is "enabled", "disabled" or "enabled_full"; empty omits it.
	Trace string
	// StreamProcessingMode is "sync" or "async" for streams; empty omits it.
	StreamProcessingMode string
	// HoldStream makes a stream hold back its chunks until Bedrock ends the
	// message, so that a prompt the guardrail blocks is the blocked-prompt
	// error even when ConverseStream streams the guardrail's blocked-input
	// text first (which it does: the text comes before the stop reason and
	// the trace that say it was a block). The router can then fail the
	// request over unseen (Route.ContentFallback) instead of delivering
	// the guardrail's message. The price is streaming itself: the caller
	// sees the first chunk when the whole answer has arrived. Off by
	// default.
	HoldStream bool
}

func deploymentOptions(d *llmrouter.Deployment) *DeploymentOptions {
	switch o := d.Extra.(type) {
	case DeploymentOptions:
		return &o
	case *DeploymentOptions:
		if o != nil {
			return o
		}
	}
	return &DeploymentOptions{}
}
