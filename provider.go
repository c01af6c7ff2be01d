package llmrouter

import (
	"context"
)

// Provider is the back end of the router: one wire protocol (OpenAI Chat
// Completions, Anthropic Messages, a fake, a user's own service) that can serve
// the deployments naming it. The router is its front end, as slog.Logger is
// for slog.Handler.
//
// A Provider must be safe for concurrent use: the router calls it from many
// goroutines at once. It must not modify the Request or the Deployment it is
// given, must stop promptly when ctx ends, and must classify every failure it
// returns once, as a *ProviderError (see ProviderError for the classes). The
// router never looks at status codes or message text.
//
// The conformance suite in providers/providertest checks these rules; every
// adapter in this module and the fake pass it.
type Provider interface {
	// Name identifies the provider in policies, lineage and traces. It should
	// be the OpenTelemetry gen_ai.provider.name value where one applies
	// ("openai", "anthropic", "gcp.gemini", "aws.bedrock", ...).
	Name() string

	// Chat sends one request to deployment d and returns the whole answer.
	// d.Model is the upstream model id to ask for; req.Model is the caller's
	// route name and must not be sent upstream.
	Chat(ctx context.Context, d *Deployment, req *Request) (*Response, error)

	// Stream sends one request to deployment d and returns its answer as a
	// stream of chunks. An error before the stream opens is returned here; an
	// error while it runs is returned by the stream's Err. The stream ends
	// when ctx ends or Close is called, whichever is first.
	Stream(ctx context.Context, d *Deployment, req *Request) (ChunkStream, error)
}

// ConfigChecker is implemented by providers that can tell, before any call,
// that their configuration cannot work: a hosted API without an API key,
// say. New calls CheckConfig once for every provider of its catalog and
// refuses a failing one with a *ConfigError naming the deployment, so a
// missing key is found at start-up, not as an upstream 401. The adapters
// of this module implement it (Bedrock's credentials come from the AWS
// chain at call time and are not checked).
type ConfigChecker interface {
	CheckConfig() error
}

// ChunkStream is a stream of answer chunks, read in the style of
// bufio.Scanner:
//
//	for s.Next() {
//		c := s.Current()
//		...
//	}
//	if err := s.Err(); err != nil { ... }
//	s.Close()
//
// Provider adapters return one; the router's *Stream is one too. A
// ChunkStream is not safe for concurrent use: cancel the context given to
// Stream to stop it from another goroutine.
//
// The last chunk of a complete answer carries a FinishReason. A stream that
// ends without error and without any FinishReason was cut short, and the
// router treats it as an interrupted stream rather than a short answer.
type ChunkStream interface {
	// Next advances to the next chunk and reports whether there is one. It
	// returns false at the end of the stream or on the first error.
	Next() bool
	// Current returns the chunk Next advanced to.
	Current() Chunk
	// Err returns the error that ended the stream, or nil at a clean end.
	Err() error
	// Close releases the stream and stops the upstream call if it is still
	// running. It is safe to call more than once.
	Close() error
}

// Deployment is one entry of the catalog: a model served by one provider,
// somewhere, at a price, under some terms. It is a plain value: its zero
// fields mean "not declared", and what that implies is stated per field.
type Deployment struct {
	// Name identifies the deployment in routes, lineage and policies. It must
	// be unique and not empty.
	Name string
	// Provider serves the deployment. It must not be nil.
	Provider Provider
	// Model is the upstream model id sent to the provider. Empty means Name.
	Model string
	// Region is where the deployment runs ("eu-west-1", "us-east"), matched
	// by the RegionIn policy. Empty means unknown.
	Region string
	// Price is what the deployment charges; it drives cost and USD budgets.
	Price Price
	// ContextWindow is the most tokens (input plus output) the model takes.
	// Zero means unknown: the ContextFits policy allows it.
	ContextWindow int
	// MaxOutputTokens is the most tokens the model will generate in one
	// answer. Zero means unknown.
	MaxOutputTokens int
	// Capabilities the deployment supports. Zero means undeclared: the router
	// assumes it can do what a request asks. Once any capability is declared,
	// requests needing an undeclared one (tools, JSON output, images,
	// streaming, reasoning) are refused for this deployment.
	Capabilities Capabilities
	// Retention is what the provider keeps of the data sent to it.
	Retention Retention
	// RPM and TPM are the deployment's own limits of requests and tokens per
	// minute. When one is reached the router routes around the deployment
	// rather than failing the request. Zero means unlimited.
	RPM, TPM int
	// MaxConcurrency caps the calls in flight to this deployment across all
	// requests; past it the deployment is skipped. Zero means unlimited.
	MaxConcurrency int
	// Weight is the deployment's share of traffic within its tier under the
	// default weighted-random strategy. Zero means 1; negative is invalid.
	Weight float64
	// Labels are free-form attributes for policies and lineage.
	Labels map[string]string
	// Timeouts, where a field is set, replace the router's (WithTimeouts)
	// for calls to this deployment: Attempt bounds a whole-answer call,
	// FirstToken and Idle a stream. A request's own Timeouts take
	// precedence over both. Total bounds a request, not a call, and must be
	// zero here. Zero fields keep the router's.
	Timeouts Timeouts
	// Breaker, where a field is set, replaces that field of the router's
	// BreakerPolicy (WithBreaker) for this deployment's circuit breaker: a
	// flaky deployment may trip sooner (Failures: 2) or stay out longer
	// (OpenFor), and Disabled turns its breaker off. Zero fields keep the
	// router's.
	Breaker BreakerPolicy
	// Extra carries adapter-specific settings for this deployment. Each
	// adapter documents the type it reads (for example per-deployment
	// upstream routing preferences); the router never looks inside.
	Extra any
}

// UpstreamModel returns d.Model, or d.Name when Model is empty: the model id
// an adapter sends upstream.
func (d *Deployment) UpstreamModel() string {
	if d.Model != "" {
		return d.Model
	}
	return d.Name
}

// Price is what a deployment charges, in US dollars per million tokens. The
// zero value is free.
type Price struct {
	// InputPerMTok is charged for each input token not read from or written
	// to a cache.
	InputPerMTok float64 `yaml:"input,omitempty"`
	// OutputPerMTok is charged for each output token, reasoning included.
	OutputPerMTok float64 `yaml:"output,omitempty"`
	// CachedInputPerMTok is charged for input tokens read from a prompt
	// cache. Zero means InputPerMTok.
	CachedInputPerMTok float64 `yaml:"cached_input,omitempty"`
	// CacheWritePerMTok is charged for input tokens written to a prompt
	// cache. Zero means InputPerMTok.
	CacheWritePerMTok float64 `yaml:"cache_write,omitempty"`
	// CacheWrite1hPerMTok is charged for input tokens written to a prompt
	// cache with a one-hour TTL (Usage.CacheWrite1hTokens; Anthropic
	// charges twice the input price, against 1.25 times for five minutes).
	// Zero means CacheWritePerMTok.
	CacheWrite1hPerMTok float64 `yaml:"cache_write_1h,omitempty"`
}

// Capabilities is a set of things a deployment can do.
type Capabilities uint16

// The capabilities a request can need. The router infers them from the
// request: tools need CapTools, a JSON response format needs CapJSON, an
// image part needs CapVision (and an image given by an http(s) URL also
// CapImageURL), ChatStream needs CapStreaming, and a request asking for
// reasoning (Request.Reasoning.On) needs CapReasoning.
const (
	CapTools Capabilities = 1 << iota
	CapJSON
	CapVision
	CapStreaming
	CapReasoning
	// CapEmbeddings: the deployment serves embeddings (Router.Embed), its
	// provider implementing Embedder.
	CapEmbeddings
	// CapImageURL: the deployment fetches images given by http(s) URL
	// (OpenAI, Anthropic, Gemini do; Bedrock's Converse takes bytes only).
	// A deployment that declares capabilities without it is never sent
	// such an image; one that declares none may be, and an adapter that
	// cannot carry it refuses before sending (KindBadRequest,
	// ClassFailover), so the route moves on.
	CapImageURL
)

// Has reports whether c includes every capability in want.
func (c Capabilities) Has(want Capabilities) bool { return c&want == want }

// lowest returns the lowest capability in c.
func (c Capabilities) lowest() Capabilities { return c & -c }

// String lists the capabilities, as "tools|json".
func (c Capabilities) String() string {
	if c == 0 {
		return "none"
	}
	s := ""
	for _, n := range capabilityNames {
		if c&n.cap != 0 {
			if s != "" {
				s += "|"
			}
			s += n.name
		}
	}
	return s
}

var capabilityNames = [...]struct {
	cap  Capabilities
	name string
}{{CapTools, "tools"}, {CapJSON, "json"}, {CapVision, "vision"}, {CapStreaming, "streaming"}, {CapReasoning, "reasoning"}, {CapEmbeddings, "embeddings"}, {CapImageURL, "image_url"}}

// Retention is what a provider keeps of the data a deployment is sent.
type Retention uint8

const (
	// RetentionUnknown means not declared. RequireZeroRetention refuses it.
	RetentionUnknown Retention = iota
	// ZeroRetention means the provider keeps nothing once it has answered.
	ZeroRetention
	// LimitedRetention means the provider keeps data for a bounded time
	// (abuse monitoring, typically 30 days) and does not train on it.
	LimitedRetention
	// StoredRetention means the provider may store or train on the data.
	StoredRetention
)

// String returns "unknown", "zero", "limited" or "stored".
func (r Retention) String() string {
	switch r {
	case ZeroRetention:
		return "zero"
	case LimitedRetention:
		return "limited"
	case StoredRetention:
		return "stored"
	}
	return "unknown"
}
