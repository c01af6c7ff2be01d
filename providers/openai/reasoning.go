package openai

import (
	"net/http"
	"strconv"

	"github.com/llmrouter/llmrouter"
)

// dialect is how a server takes reasoning controls and gives reasoning
// state back.
type dialect uint8

const (
	// The zero value: reasoning_effort (OpenAI, Azure, and
	// the compatible servers that copy it: vLLM, Ollama, Groq, LiteLLM...);
	// no budget.
	_ dialect = iota
	// dialectOpenRouter: a reasoning object with effort or max_tokens.
	dialectOpenRouter
	// dialectDeepSeek: thinking enabled/disabled plus reasoning_effort on
	// DeepSeek's own scale; reasoning_content is state to send back on
	// tool-call turns.
	dialectDeepSeek
)

// deepSeekEffort maps the canonical levels onto DeepSeek's low, high and
// max, as DeepSeek's thinking-mode guide maps OpenAI's.
var deepSeekEffort = map[llmrouter.Effort]string{
	llmrouter.EffortMinimal: "low", llmrouter.EffortLow: "low", llmrouter.EffortMedium: "high",
	llmrouter.EffortHigh: "high", llmrouter.EffortXHigh: "high", llmrouter.EffortMax: "max",
}

// appendReasoning appends the reasoning controls of r in the provider's
// dialect. A budget without an effort is refused where the dialect has no
// budget.
func (p *Provider) appendReasoning(dst []byte, r *llmrouter.Reasoning) ([]byte, error) {
	if r == nil {
		return dst, nil
	}
	switch p.dialect {
	case dialectOpenRouter:
		if r.Effort != "" {
			return append(append(append(dst, `,"reasoning":{"effort":"`...), r.Effort...), `"}`...), nil
		}
		if r.BudgetTokens > 0 {
			dst = strconv.AppendInt(append(dst, `,"reasoning":{"max_tokens":`...), int64(r.BudgetTokens), 10)
			return append(dst, '}'), nil
		}
	case dialectDeepSeek:
		if r.Effort == llmrouter.EffortNone {
			return append(dst, `,"thinking":{"type":"disabled"}`...), nil
		}
		dst = append(dst, `,"thinking":{"type":"enabled"}`...)
		if e := deepSeekEffort[r.Effort]; e != "" {
			dst = append(append(append(dst, `,"reasoning_effort":"`...), e...), '"')
		}
	default: // the zero value: OpenAI's reasoning_effort
		if r.Effort == "" && r.BudgetTokens > 0 {
			return dst, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Class: llmrouter.ClassFailover, Code: "unsupported_input",
				Message: "Reasoning.BudgetTokens: " + p.name + " takes no reasoning budget (reasoning_effort only); give an Effort"}
		}
		if r.Effort != "" {
			dst = append(append(append(dst, `,"reasoning_effort":"`...), r.Effort...), '"')
		}
	}
	return dst, nil
}

// appendReasoningContent appends, for DeepSeek, the reasoning_content this
// provider issued with an assistant message, which DeepSeek wants back on
// tool-call turns. Other dialects have no reasoning state to send.
func (p *Provider) appendReasoningContent(dst []byte, m *llmrouter.Message) []byte {
	if p.dialect != dialectDeepSeek || len(m.Reasoning) == 0 {
		return dst
	}
	blocks, _ := m.ReasoningFor(p.name)
	if len(blocks) == 0 {
		return dst
	}
	dst = append(dst, `,"reasoning_content":"`...)
	for _, b := range blocks {
		dst = appendEscaped(dst, b.Text)
	}
	return append(dst, '"')
}

// reasoningState is the ReasoningBlock of an answer's reasoning text, for
// the dialect that wants it back (DeepSeek), else nil.
func (p *Provider) reasoningState(text string) *llmrouter.ReasoningBlock {
	if p.dialect != dialectDeepSeek || text == "" {
		return nil
	}
	return &llmrouter.ReasoningBlock{Provider: p.name, Text: text}
}

// ownBlocks settles the reasoning state of a decoded answer: OpenRouter's
// reasoning_details entries become this provider's blocks (other dialects
// drop them), and DeepSeek's reasoning text is kept as one.
func (p *Provider) ownBlocks(out *llmrouter.Response) {
	if p.dialect != dialectOpenRouter {
		out.ReasoningBlocks = nil
	}
	for i := range out.ReasoningBlocks {
		out.ReasoningBlocks[i].Provider = p.name
	}
	if b := p.reasoningState(out.Reasoning); b != nil {
		out.ReasoningBlocks = []llmrouter.ReasoningBlock{*b}
	}
}

// servedBy is the upstream a LiteLLM proxy reports in its response headers:
// x-litellm-model-id, the id of the proxy deployment that served the call.
func (p *Provider) servedBy(h http.Header) string {
	if !p.litellm {
		return ""
	}
	return h.Get("X-Litellm-Model-Id")
}
