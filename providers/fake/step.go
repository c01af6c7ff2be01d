package fake

import (
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// Step is what the fake does for one call: answer, wait, fail, hang or
// panic, and for streams how the answer is cut into chunks and whether the
// stream breaks. The zero Step answers an empty text.
type Step struct {
	// Text is the answer; ToolCalls the tools it calls.
	Text      string
	ToolCalls []llmrouter.ToolCall
	// Reasoning, when not empty, is the model's reasoning: Response.Reasoning
	// and one signed ReasoningBlock (Signature "fake-signature") issued by
	// the fake, streamed as one chunk before the text.
	Reasoning string
	// Embeddings, when not nil, are the vectors an Embed call returns;
	// nil means one deterministic vector per input (see Provider.Embed).
	Embeddings [][]float32
	// FinishReason defaults to stop, or tool_calls when ToolCalls is set.
	FinishReason llmrouter.FinishReason
	// Usage is reported as given; nil means a deterministic count: the
	// router's input estimate, and a quarter of the answer's bytes out.
	Usage *llmrouter.Usage
	// Model is reported as the answering model; empty means the
	// deployment's upstream model.
	Model string
	// ServedBy is reported as the upstream that served the call (as a
	// marketplace like OpenRouter reports it), on the response and on the
	// first chunk of a stream.
	ServedBy string

	// Latency delays the answer (or the error); the call ends early, with a
	// cancellation or timeout error, if its context ends first.
	Latency time.Duration
	// Err fails the call with a copy of this error, Provider and Deployment
	// filled in. For streams it fails the opening of the stream.
	Err *llmrouter.ProviderError
	// Hang blocks until the call's context ends.
	Hang bool
	// Panic, when not nil, makes the call panic with this value.
	Panic any

	// Chunks is how many pieces a streamed Text is cut into (at byte
	// boundaries that keep UTF-8 whole). Zero means one per word.
	Chunks int
	// ChunkDelay waits before each chunk after the first.
	ChunkDelay time.Duration
	// BreakAfter, when above zero, breaks the stream after that many
	// visible chunks with StreamErr (default: a transport error); when
	// negative, right after the preamble, before any content.
	BreakAfter int
	StreamErr  *llmrouter.ProviderError
	// HangAfter, when above zero, stalls the stream after that many
	// visible chunks until its context ends.
	HangAfter int
	// NoFinish ends the stream cleanly but without a finish reason, as a
	// cut connection looks to a careless adapter.
	NoFinish bool
	// NoUsage leaves usage out of the stream.
	NoUsage bool
}

// Reply answers text.
func Reply(text string) Step { return Step{Text: text} }

// Fail fails with an error of the given kind and HTTP status; the class is
// the kind's default.
func Fail(kind llmrouter.Kind, status int) Step {
	return Step{Err: &llmrouter.ProviderError{Kind: kind, StatusCode: status, Message: "injected " + kind.String() + " failure"}}
}

// PromptBlocked fails as every adapter reports a prompt a safety filter
// refused before answering: KindContentPolicy, Code "prompt_blocked" (a
// stream fails at its opening). An answer filtered after generation is
// Step{FinishReason: llmrouter.FinishContentFilter} instead.
func PromptBlocked() Step {
	return Step{Err: &llmrouter.ProviderError{Kind: llmrouter.KindContentPolicy, Code: wire.CodePromptBlocked, Message: "injected prompt blocked"}}
}

// ServerError fails with a 500.
func ServerError() Step { return Fail(llmrouter.KindServer, 500) }

// RateLimited fails with a 429 asking to retry after retryAfter (zero: no
// Retry-After).
func RateLimited(retryAfter time.Duration) Step {
	s := Fail(llmrouter.KindRateLimited, 429)
	s.Err.RetryAfter = retryAfter
	return s
}

// Hang blocks until the call's context ends.
func Hang() Step { return Step{Hang: true} }

// Panic panics with v.
func Panic(v any) Step { return Step{Panic: v} }

// StreamCut streams text cut after `after` visible chunks with a transport
// error.
func StreamCut(text string, after int) Step { return Step{Text: text, BreakAfter: after} }

func (s *Step) finishReason() llmrouter.FinishReason {
	switch {
	case s.FinishReason != "":
		return s.FinishReason
	case len(s.ToolCalls) > 0:
		return llmrouter.FinishToolCalls
	}
	return llmrouter.FinishStop
}

// reasoningBlocks is the reasoning state the step issues, as provider.
func (s *Step) reasoningBlocks(provider string) []llmrouter.ReasoningBlock {
	if s.Reasoning == "" {
		return nil
	}
	return []llmrouter.ReasoningBlock{{Provider: provider, Text: s.Reasoning, Signature: "fake-signature"}}
}
