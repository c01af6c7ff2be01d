package llmrouter

import "time"

// Response is a whole answer. Adapters fill the answer and Usage; the router
// fills the routing fields (RequestID, Deployment, Provider, Cost).
type Response struct {
	// ID is the provider's id for the answer, when it gives one.
	ID string
	// Model is the model that answered, as the provider reports it.
	Model string
	// Text is the answer's text.
	Text string
	// Reasoning is the model's visible reasoning, for providers that return it.
	Reasoning string
	// ReasoningBlocks is the provider-bound reasoning state of the answer
	// (signed thinking blocks and the like), to send back with the
	// assistant message: Message keeps it.
	ReasoningBlocks []ReasoningBlock
	// ReasoningDropped counts the reasoning blocks of the request's
	// messages that another provider issued and the adapter therefore left
	// out (after a failover, say). The router sets it from the provider
	// that served the answer, and records it in lineage.
	ReasoningDropped int
	// ToolCalls are the tools the model called.
	ToolCalls []ToolCall
	// FinishReason says why the answer ended.
	FinishReason FinishReason
	// Refusal holds the model's refusal message when it declined to answer
	// (FinishReason is then FinishContentFilter).
	Refusal string
	// Usage counts the tokens of the call.
	Usage Usage
	// ServedBy names the upstream that actually served the call when the
	// provider is itself a router (a marketplace or a gateway) and says so.
	ServedBy string
	// RateLimit is the headroom the provider announced with the answer (its
	// rate-limit headers), or nil. The router steers away from a deployment
	// whose headroom is gone until its reset.
	RateLimit *RateLimit

	// RequestID identifies the request in lineage (set by the router).
	RequestID string
	// Deployment is the deployment that served the answer (set by the router).
	Deployment string
	// Provider is that deployment's provider name (set by the router).
	Provider string
	// Cost is the price of the call in US dollars, from the deployment's
	// Price and Usage (set by the router).
	Cost float64
}

// FinishReason says why an answer ended, normalised across providers.
type FinishReason string

// The finish reasons.
const (
	// FinishStop: the model ended its answer or hit a stop sequence.
	FinishStop FinishReason = "stop"
	// FinishLength: the answer hit MaxOutputTokens or the context window.
	FinishLength FinishReason = "length"
	// FinishToolCalls: the model stopped to call tools.
	FinishToolCalls FinishReason = "tool_calls"
	// FinishContentFilter: a safety system blocked or cut the answer, or the
	// model refused.
	FinishContentFilter FinishReason = "content_filter"
	// FinishOther: any other reason the provider gave.
	FinishOther FinishReason = "other"
)

// Usage counts the tokens of a call, normalised across providers: cached and
// cache-write tokens are part of InputTokens, reasoning tokens part of
// OutputTokens, whatever the provider's own convention.
type Usage struct {
	// InputTokens counts every input token, cached ones included.
	InputTokens int
	// OutputTokens counts every output token, reasoning included.
	OutputTokens int
	// CachedInputTokens is the part of InputTokens read from a prompt cache.
	CachedInputTokens int
	// CacheWriteTokens is the part of InputTokens written to a prompt cache.
	CacheWriteTokens int
	// CacheWrite1hTokens is the part of CacheWriteTokens written with a
	// one-hour TTL (Anthropic and Bedrock, which charge more for it than
	// for the default five minutes).
	CacheWrite1hTokens int
	// ReasoningTokens is the part of OutputTokens spent reasoning.
	ReasoningTokens int
	// Estimated is true when the provider reported no usage and the router
	// estimated it (a stream cut before its usage arrived, say).
	Estimated bool
	// Clamped is true when the provider reported a count the router could
	// not believe (negative, above MaxUsageTokens, or a part larger than its
	// whole) and clamped it.
	Clamped bool
}

// Total returns InputTokens + OutputTokens.
func (u Usage) Total() int { return satAddInt(u.InputTokens, u.OutputTokens) }

// add adds o to u; Estimated sticks once either side is estimated.
func (u *Usage) add(o Usage) {
	u.InputTokens += o.InputTokens
	u.OutputTokens += o.OutputTokens
	u.CachedInputTokens += o.CachedInputTokens
	u.CacheWriteTokens += o.CacheWriteTokens
	u.CacheWrite1hTokens += o.CacheWrite1hTokens
	u.ReasoningTokens += o.ReasoningTokens
	u.Estimated = u.Estimated || o.Estimated
	u.Clamped = u.Clamped || o.Clamped
}

// Chunk is a piece of a streamed answer. Text, Reasoning and ToolCalls are
// deltas: the answer is their concatenation in order.
type Chunk struct {
	// Text is the next piece of the answer's text.
	Text string
	// Reasoning is the next piece of the model's visible reasoning.
	Reasoning string
	// ToolCalls are pieces of tool calls, in order.
	ToolCalls []ToolCallDelta
	// FinishReason is set on the last chunk of a complete answer.
	FinishReason FinishReason
	// Usage, when not nil, is the usage of the whole call so far; the last
	// one seen wins. Adapters send it once, at the end, where they can.
	Usage *Usage
	// Refusal is the next piece of a refusal message, when the model
	// declines to answer (the stream then finishes with content_filter).
	Refusal string
	// RateLimit, when not nil, is the headroom the provider announced; the
	// adapter sets it on the first chunk, from the response headers.
	RateLimit *RateLimit
	// ServedBy, on the first chunk, names the upstream that actually serves
	// the stream when the provider is itself a router and says so.
	ServedBy string
	// ReasoningBlock, when not nil, is a whole reasoning block the provider
	// finished (its text came before, in Reasoning deltas; the block
	// repeats it): the Response's ReasoningBlocks, in order.
	ReasoningBlock *ReasoningBlock
}

// RateLimit is the headroom a provider announces in its rate-limit headers
// (x-ratelimit-remaining-requests, anthropic-ratelimit-tokens-remaining and
// the like). A negative count means not announced; a zero reset means
// unknown.
type RateLimit struct {
	RemainingRequests int
	RemainingTokens   int
	// ResetRequests and ResetTokens are how long until each count is
	// replenished.
	ResetRequests time.Duration
	ResetTokens   time.Duration
}

// visible reports whether the chunk carries content a caller would show:
// text, reasoning, a refusal or a tool-call delta. Chunks before the first visible one
// (role announcements, keep-alives, filter annotations) are a preamble the
// router holds back so that a failure there can still fail over unseen.
func (c *Chunk) visible() bool {
	return c.Text != "" || c.Reasoning != "" || c.Refusal != "" || len(c.ToolCalls) > 0 || c.ReasoningBlock != nil
}

// ToolCallDelta is a piece of a streamed tool call. The first piece of each
// call (by Index) carries its ID and Name; later pieces carry more of the
// Arguments text.
type ToolCallDelta struct {
	Index     int
	ID        string
	Name      string
	Arguments string
	// Signature, when set, is the call's ToolCall.Signature.
	Signature string
}
