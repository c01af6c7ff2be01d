package llmrouter

import "strconv"

// Effort is how hard a reasoning model should think before it answers,
// normalised across providers. Adapters map it to the provider's own scale
// (OpenAI reasoning_effort, Anthropic output_config.effort, Gemini
// thinkingLevel, Bedrock outputConfig.effort); the README's request surface
// table says how, and what each provider lacks.
type Effort string

// The effort levels, from none to max. Not every model takes every level:
// a model that does not know a level answers with a bad-request error.
const (
	EffortNone    Effort = "none"
	EffortMinimal Effort = "minimal"
	EffortLow     Effort = "low"
	EffortMedium  Effort = "medium"
	EffortHigh    Effort = "high"
	EffortXHigh   Effort = "xhigh"
	EffortMax     Effort = "max"
)

// Reasoning asks a reasoning model to think before it answers. A nil
// *Reasoning in a Request leaves the provider's default.
type Reasoning struct {
	// Effort is how hard to think. Empty means the provider's default (or,
	// with BudgetTokens, the budget alone); EffortNone turns reasoning off
	// where the model allows it.
	Effort Effort
	// BudgetTokens caps the tokens spent reasoning, for providers that take
	// a budget (Anthropic thinking.budget_tokens on models that still take
	// it, Gemini 2.5 thinkingBudget, OpenRouter reasoning.max_tokens). Zero
	// means none. Providers without a budget (OpenAI) use Effort only and
	// refuse a request that gives a budget without an effort.
	BudgetTokens int
}

// On reports whether r asks for reasoning: an effort other than none, or a
// budget. A request that does needs CapReasoning of its deployment.
func (r *Reasoning) On() bool {
	return r != nil && (r.Effort != "" && r.Effort != EffortNone || r.BudgetTokens > 0)
}

// ReasoningBlock is reasoning state a provider issued with an answer and
// wants back, unchanged, when the conversation continues with it: an
// Anthropic thinking block with its signature (or a redacted one), a
// Bedrock reasoningContent block, DeepSeek's reasoning_content on a
// tool-call turn, an OpenRouter reasoning_details entry. Keep the blocks on
// the assistant message (Response.Message does) and send them back as they
// are.
//
// A block belongs to the provider that issued it (Provider): an adapter
// replays only its own provider's blocks, in order, and leaves the others
// out (they would be rejected, or misread, elsewhere), reporting how many
// in Response.ReasoningDropped. Text is never turned into visible text.
type ReasoningBlock struct {
	// Provider is the Name of the provider that issued the block.
	Provider string
	// Text is the reasoning text (a summary on some models); empty for a
	// redacted block.
	Text string
	// Signature is the provider's opaque signature of Text.
	Signature string
	// Redacted is opaque, encrypted reasoning (Anthropic redacted_thinking
	// data, Bedrock redactedContent in base64, OpenRouter reasoning.encrypted
	// data).
	Redacted string
	// Raw, when set, is the block in the provider's own JSON encoding, for
	// providers whose blocks say more than Text, Signature and Redacted: an
	// OpenRouter reasoning_details entry, with its type, id and format. The
	// adapter replays Raw as it is; Text, Signature and Redacted then only
	// inform the caller.
	Raw string
}

// ReasoningFor returns the blocks of m that provider issued, and how many
// of m's blocks it left out because another provider issued them. Adapters
// call it to replay reasoning state.
func (m *Message) ReasoningFor(provider string) (blocks []ReasoningBlock, dropped int) {
	for _, b := range m.Reasoning {
		if b.Provider == provider {
			blocks = append(blocks, b)
		} else {
			dropped++
		}
	}
	return blocks, dropped
}

// ForeignReasoning counts the reasoning blocks of req's messages that a
// provider other than provider issued: the blocks its adapter leaves out.
func (r *Request) ForeignReasoning(provider string) int {
	n := 0
	for i := range r.Messages {
		for _, b := range r.Messages[i].Reasoning {
			if b.Provider != provider {
				n++
			}
		}
	}
	return n
}

// validate checks the effort and the budget; a nil r is valid.
func (r *Reasoning) validate() error {
	if r == nil {
		return nil
	}
	switch r.Effort {
	case "", EffortNone, EffortMinimal, EffortLow, EffortMedium, EffortHigh, EffortXHigh, EffortMax:
	default:
		return &RequestError{Field: "Reasoning.Effort", Reason: "unknown effort " + strconv.Quote(string(r.Effort))}
	}
	switch {
	case r.BudgetTokens < 0:
		return &RequestError{Field: "Reasoning.BudgetTokens", Reason: "negative"}
	case r.BudgetTokens > MaxRequestTokens:
		return &RequestError{Field: "Reasoning.BudgetTokens", Reason: "above MaxRequestTokens"}
	case r.BudgetTokens > 0 && r.Effort == EffortNone:
		return &RequestError{Field: "Reasoning.BudgetTokens", Reason: "set with effort none"}
	}
	return nil
}
