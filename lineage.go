package llmrouter

import (
	"context"
	"encoding/hex"
	"math"
	"time"
)

// Record is the lineage of one request: what the router considered, what it
// refused and why, every attempt it made, and how the request ended. The
// router hands exactly one Record to the sinks for every request, whatever
// happens: success, failover, refusal by policy or quota, cancellation, an
// invalid request, a provider that panics.
//
// A Record carries no secrets and, unless content capture is on
// (WithContentCapture), no prompt or answer text: Prompt holds a hash and
// sizes instead.
//
// The router reuses Records: a Sink may read the Record it is given only
// until Write returns. Call Clone to keep one.
type Record struct {
	RequestID string
	// Route is the route or deployment name the request asked for.
	Route string
	// ConfigVersion is the ID of the configuration version that served
	// the request (ConfigVersion.ID; see Router.Apply and Canary).
	ConfigVersion string
	Tenant        string
	User          string
	Labels        map[string]string
	Stream        bool
	// Embed is true for an embeddings request (Router.Embed); Prompt then
	// describes its inputs, one user message each.
	Embed bool
	// Needs is what the request required of a deployment (tools, JSON
	// output, images, streaming, reasoning, embeddings), as the router's
	// capability check read it; zero for a request found invalid before.
	// With Prompt.Tokens, MaxOutputTokens, the route, tenant, user and
	// labels it lets Router.PlanRecord plan the request again without its
	// prompt (package replay).
	Needs Capabilities
	// MaxOutputTokens is the request's Request.MaxOutputTokens: zero when
	// it set none. (An int32, which MaxRequestTokens bounds: it fills the
	// padding after the flags above, so a Record, held by every request in
	// flight, grows by nothing.)
	MaxOutputTokens int32
	// Start is when the router received the request; Duration is how long it
	// took, to the end of the stream for streams.
	Start    time.Time
	Duration time.Duration
	// TTFT is, for a stream, the time from Start to the first visible chunk
	// the caller could read, failovers included.
	TTFT time.Duration
	// Policies names every policy applied to the request, in order.
	Policies []string
	// Candidates are the deployments of the route, in tier order, with what
	// the router did with each; then those of each fallback route taken,
	// route by route.
	Candidates []CandidateRecord
	// Fallbacks names the fallback routes the request moved to, in order,
	// after Route had nowhere left to go (Request.Fallback); nil when it
	// stayed on Route.
	Fallbacks []string
	// Attempts are the calls made, in order.
	Attempts []AttemptRecord
	// Outcome says how the request ended; Error is its error, if any,
	// without provider message text unless content capture is on.
	Outcome Outcome
	Error   string
	// Deployment, Provider and Model name what served the answer;
	// ServedBy, the upstream that actually served it when the provider is
	// itself a router (a marketplace or a gateway) and says so.
	Deployment string
	Provider   string
	Model      string
	ServedBy   string
	// ReasoningDropped counts the reasoning blocks of the request's
	// messages (Message.Reasoning) that a provider other than the serving
	// one issued, and that its adapter therefore left out: the trace of a
	// conversation moved to another provider, after a failover say.
	ReasoningDropped int
	// Usage sums the usage of every attempt that reported one; Cost is its
	// price in US dollars.
	Usage Usage
	Cost  float64
	// Prompt describes the prompt without its text. Its Hash is filled on
	// demand: call PromptHash (AppendJSON and Clone do).
	Prompt PromptInfo
	// Content holds the prompt and answer when content capture is on, and
	// is nil otherwise.
	Content *Content

	// msgs and hasher let PromptHash hash the prompt only when a sink asks.
	// msgs points at the request's Messages (a pointer rather than the
	// slice, to keep the Record small); hasher at the pooled call's, which
	// the first hash makes. The router sets both together, or neither.
	msgs   *[]Message
	hasher **promptHasher
}

// PromptHash returns the SHA-256 of the prompt's canonical form (see
// HashPrompt), computing it on first use, and stores it in Prompt.Hash. The
// router leaves hashing to the sinks that want it, so a request whose sinks
// never ask pays nothing for it.
func (r *Record) PromptHash() Hash {
	if r.msgs == nil {
		return r.Prompt.Hash
	}
	if msgs := *r.msgs; msgs != nil {
		if *r.hasher == nil {
			*r.hasher = new(promptHasher)
		}
		r.Prompt.Hash = (*r.hasher).sum(msgs)
	}
	r.msgs = nil
	return r.Prompt.Hash
}

// satInt32 converts n to an int32, saturating: a valid request's
// MaxOutputTokens fits (MaxRequestTokens bounds it); an invalid one's is
// recorded at the nearest bound.
func satInt32(n int) int32 {
	return int32(min(max(n, math.MinInt32), math.MaxInt32))
}

// CandidateRecord is what the router did with one candidate deployment.
type CandidateRecord struct {
	Deployment string
	Provider   string
	// Tier is the candidate's tier in the route, from 0.
	Tier int
	// Status is what happened to it; Policy and Reason say why it was
	// refused or skipped.
	Status CandidateStatus
	Policy string
	Reason string
}

// CandidateStatus is what the router did with a candidate.
type CandidateStatus string

// The candidate statuses.
const (
	CandidateChosen  CandidateStatus = "chosen"  // an attempt served the request
	CandidateTried   CandidateStatus = "tried"   // attempted, and failed
	CandidateRefused CandidateStatus = "refused" // a policy refused it
	CandidateSkipped CandidateStatus = "skipped" // allowed, but unavailable (breaker open, cooling down, at its limits)
	CandidateUnused  CandidateStatus = "unused"  // allowed, but not needed
)

// AttemptRecord is one call to a provider.
type AttemptRecord struct {
	Deployment string
	Provider   string
	Model      string
	Start      time.Time
	Duration   time.Duration
	// TTFT is, for a stream, the time to its first visible chunk.
	TTFT time.Duration
	// Status is "ok" or "error"; for errors Class, Kind, StatusCode, Code
	// (the provider's error code or type), RetryAfter and Error describe
	// it. Error leaves out the provider's message text (servers echo
	// prompts in them) unless content capture is on.
	Status     string
	Class      Class
	Kind       Kind
	StatusCode int
	Code       string
	RetryAfter time.Duration
	Error      string
	// Orphaned is true when the provider ignored the end of the attempt's
	// context: the router moved on at its deadline, and the call kept its
	// deployment slot until it returned.
	Orphaned bool
	// Usage is what the attempt reported (estimated for a cut stream).
	Usage Usage
}

// Outcome is how a request ended.
type Outcome string

// The outcomes.
const (
	OutcomeSuccess       Outcome = "success"
	OutcomeFailed        Outcome = "failed"         // no deployment served it (ErrNoRoute), or a provider stopped it
	OutcomePolicyDenied  Outcome = "policy_denied"  // ErrPolicyDenied
	OutcomeQuotaExceeded Outcome = "quota_exceeded" // ErrQuotaExceeded
	OutcomeInvalid       Outcome = "invalid"        // ErrInvalidRequest
	OutcomeCanceled      Outcome = "canceled"       // the caller's context ended
	OutcomeInterrupted   Outcome = "interrupted"    // a stream failed after content was sent
	OutcomeClosed        Outcome = "closed"         // the caller closed a stream before its end
	OutcomeAbandoned     Outcome = "abandoned"      // the caller dropped a stream without closing it
)

// PromptInfo describes a prompt without its text.
type PromptInfo struct {
	// Hash is the SHA-256 of the prompt's canonical form (see HashPrompt);
	// in a Record given to a Sink, read it with Record.PromptHash.
	Hash Hash
	// Messages, Bytes and Tokens count the messages, the bytes of text, and
	// the estimated input tokens.
	Messages int
	Bytes    int
	Tokens   int
}

// Hash is a SHA-256 digest, shown and encoded as lowercase hex.
type Hash [32]byte

// String returns the hex form.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText implements encoding.TextMarshaler.
func (h Hash) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, h[:]), nil }

// Content is the prompt and answer, captured only when asked for.
type Content struct {
	Messages []Message
	Output   string
	// Truncated is true when Output was cut at the capture bound (1 MiB of
	// a stream's text).
	Truncated bool
}

// Clone returns a deep copy of r that the caller may keep.
func (r *Record) Clone() *Record {
	r.PromptHash()
	c := *r
	c.hasher = nil
	c.Policies = append([]string(nil), r.Policies...)
	c.Candidates = append([]CandidateRecord(nil), r.Candidates...)
	if r.Fallbacks != nil {
		c.Fallbacks = append([]string(nil), r.Fallbacks...)
	}
	c.Attempts = append([]AttemptRecord(nil), r.Attempts...)
	if r.Labels != nil {
		c.Labels = make(map[string]string, len(r.Labels))
		for k, v := range r.Labels {
			c.Labels[k] = v
		}
	}
	if r.Content != nil {
		cc := Content{Messages: append([]Message(nil), r.Content.Messages...), Output: r.Content.Output, Truncated: r.Content.Truncated}
		c.Content = &cc
	}
	return &c
}

// Sink receives lineage records. Write is called once per request, after the
// request has ended (for a stream: when it ends or is closed), on the
// caller's goroutine, with the request's context (which may be done by
// then). It must be safe for concurrent use and must not keep r after it
// returns (see Record.Clone). A panic in Write is recovered and dropped.
type Sink interface {
	Write(ctx context.Context, r *Record)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(ctx context.Context, r *Record)

// Write calls f(ctx, r).
func (f SinkFunc) Write(ctx context.Context, r *Record) { f(ctx, r) }
