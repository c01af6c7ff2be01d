package anthropic

import (
	"strconv"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// wireThinking is the request's thinking object: adaptive, enabled with a
// budget (manual mode), or disabled.
type wireThinking struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens,omitempty"`
}

// wireCacheControl marks a prompt cache breakpoint on a block.
type wireCacheControl struct {
	Type string `json:"type"` // ephemeral
	TTL  string `json:"ttl,omitempty"`
}

// minBudget is the smallest thinking.budget_tokens the API takes.
const minBudget = 1024

// maxBreakpoints is the most blocks with cache_control a request may have.
const maxBreakpoints = 4

// effortBudgets is the thinking budget sent in manual mode
// (Settings.ManualThinking) for an effort without Reasoning.BudgetTokens.
// Anthropic publishes no effort-to-budget table (its only numbers are the
// 1024 minimum and "below max_tokens"), so these are our choice: LiteLLM's
// defaults (litellm/constants.py, DEFAULT_REASONING_EFFORT_*_THINKING_BUDGET:
// low 1024, medium 2048, high 4096, xhigh 8192, max 16384), with minimal
// raised from LiteLLM's 128 to the API's minimum of 1024.
var effortBudgets = map[llmrouter.Effort]int{
	llmrouter.EffortMinimal: 1024, llmrouter.EffortLow: 1024, llmrouter.EffortMedium: 2048,
	llmrouter.EffortHigh: 4096, llmrouter.EffortXHigh: 8192, llmrouter.EffortMax: 16384,
}

// encodeReasoning sets thinking and output_config.effort from
// req.Reasoning:
//   - Effort none: thinking disabled.
//   - Manual mode (Settings.ManualThinking, or a budget without an effort):
//     thinking enabled with budget_tokens (the budget, else one for the
//     effort), which must be at least 1024 and below max_tokens. When
//     max_tokens is the adapter's default (defaulted: neither the request
//     nor the deployment set one), it is raised to the budget plus that
//     default, the thinking counting toward max_tokens; a max_tokens the
//     caller set is kept, and a budget not below it refused.
//   - Otherwise adaptive thinking with output_config.effort (minimal is
//     sent as low, the lowest the API knows); a budget given too is not
//     sent, adaptive thinking taking none.
func encodeReasoning(w *wireRequest, r *llmrouter.Reasoning, s *Settings, defaulted bool) *llmrouter.ProviderError {
	if r == nil {
		return nil
	}
	manual := s != nil && s.ManualThinking
	switch {
	case r.Effort == llmrouter.EffortNone:
		w.Thinking = &wireThinking{Type: "disabled"}
	case manual || r.Effort == "" && r.BudgetTokens > 0:
		budget := r.BudgetTokens
		if budget == 0 {
			budget = effortBudgets[r.Effort]
		}
		if budget < minBudget {
			return badField("Reasoning.BudgetTokens", strconv.Itoa(budget)+" is below the minimum thinking budget of 1024")
		}
		if budget >= w.MaxTokens && defaulted {
			w.MaxTokens += budget
		}
		if budget >= w.MaxTokens {
			return badField("Reasoning.BudgetTokens", "the thinking budget "+strconv.Itoa(budget)+
				" must be below max_tokens ("+strconv.Itoa(w.MaxTokens)+"): raise MaxOutputTokens")
		}
		w.Thinking = &wireThinking{Type: "enabled", BudgetTokens: budget}
	case r.Effort != "":
		w.Thinking = &wireThinking{Type: "adaptive"}
		e := r.Effort
		if e == llmrouter.EffortMinimal {
			e = llmrouter.EffortLow
		}
		if w.OutputConfig == nil {
			w.OutputConfig = &wireOutput{}
		}
		w.OutputConfig.Effort = string(e)
	}
	return nil
}

// reasoningBlocks returns the request blocks replaying m's reasoning state
// issued by this provider, in order.
func reasoningBlocks(m *llmrouter.Message) []wireBlock {
	blocks, _ := m.ReasoningFor(name)
	out := make([]wireBlock, 0, len(blocks))
	for _, b := range blocks {
		if b.Redacted != "" {
			out = append(out, wireBlock{Type: "redacted_thinking", Data: b.Redacted})
			continue
		}
		text := b.Text
		out = append(out, wireBlock{Type: "thinking", Thinking: &text, Signature: b.Signature})
	}
	return out
}

// responseBlock is the ReasoningBlock of a thinking or redacted_thinking
// content block.
func responseBlock(c *wireContent) llmrouter.ReasoningBlock {
	if c.Type == "redacted_thinking" {
		return llmrouter.ReasoningBlock{Provider: name, Redacted: c.Data}
	}
	return llmrouter.ReasoningBlock{Provider: name, Text: c.Thinking, Signature: c.Signature}
}

// cacheControl converts a cache hint; field names the part for errors.
func cacheControl(h *llmrouter.CacheHint, field string) (*wireCacheControl, *llmrouter.ProviderError) {
	if h == nil {
		return nil, nil
	}
	if ttl, ok := wire.CacheTTL(h); ok {
		return &wireCacheControl{Type: "ephemeral", TTL: ttl}, nil
	}
	return nil, badField(field+".Cache.TTL", h.TTL.String()+" is longer than the longest cache TTL Anthropic offers (1h)")
}

// countBreakpoints refuses a request with more cache breakpoints than the
// API takes.
func countBreakpoints(w *wireRequest, system []wireBlock) *llmrouter.ProviderError {
	n := 0
	for i := range system {
		if system[i].CacheControl != nil {
			n++
		}
	}
	for i := range w.Messages {
		for j := range w.Messages[i].Content {
			if w.Messages[i].Content[j].CacheControl != nil {
				n++
			}
		}
	}
	if n > maxBreakpoints {
		return badField("Messages", strconv.Itoa(n)+" cache breakpoints (Part.Cache): the Messages API takes at most 4")
	}
	return nil
}

// badField is a request the adapter refuses before sending: field cannot
// be carried. It is ClassFailover: another deployment may carry it.
func badField(field, reason string) *llmrouter.ProviderError {
	return &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Class: llmrouter.ClassFailover,
		Code: "unsupported_input", Message: field + ": " + reason}
}
