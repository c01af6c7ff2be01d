package gemini

import (
	"strings"

	"github.com/llmrouter/llmrouter"
)

// budgetFor is the thinkingBudget sent to a Gemini 2.5 model for an effort
// without Reasoning.BudgetTokens. None (0, thinking off), low (1024),
// medium (8192) and high (24576) are Google's own mapping of OpenAI's
// reasoning_effort in its OpenAI-compatible endpoint
// (ai.google.dev/gemini-api/docs/openai: "low", "medium" and "high" map to
// 1K, 8K and 24K thinking budgets, "none" turns thinking off). Minimal
// (512) and xhigh and max (24576) are our choice: 512 is the least
// 2.5 Flash-Lite takes without turning thinking off, 24576 the most 2.5
// Flash and Flash-Lite take (2.5 Pro takes up to 32768; ranges from
// Google's thinking guide).
var budgetFor = map[llmrouter.Effort]int{
	llmrouter.EffortNone: 0, llmrouter.EffortMinimal: 512, llmrouter.EffortLow: 1024,
	llmrouter.EffortMedium: 8192, llmrouter.EffortHigh: 24576, llmrouter.EffortXHigh: 24576, llmrouter.EffortMax: 24576,
}

// proMinBudget is the least thinkingBudget Gemini 2.5 Pro takes: it cannot
// turn thinking off (a budget of 0 is refused), so effort none gets this,
// the least it thinks, as effort none gets minimal on Gemini 3.
const proMinBudget = 128

// alwaysThinks reports whether model is a Gemini 2.5 Pro, which refuses a
// thinkingBudget of 0.
func alwaysThinks(model string) bool {
	return strings.HasPrefix(strings.ToLower(model[strings.LastIndexByte(model, '/')+1:]), "gemini-2.5-pro")
}

// levelFor is the thinkingLevel sent to a Gemini 3 (or later) model: none
// becomes minimal, the least Gemini 3 thinks; xhigh and max become high,
// the most it offers.
var levelFor = map[llmrouter.Effort]string{
	llmrouter.EffortNone: "minimal", llmrouter.EffortMinimal: "minimal", llmrouter.EffortLow: "low",
	llmrouter.EffortMedium: "medium", llmrouter.EffortHigh: "high", llmrouter.EffortXHigh: "high", llmrouter.EffortMax: "high",
}

// thinkingConfig is the thinkingConfig to send: the deployment's
// (Extra.Thinking), overridden by the request's Reasoning. Gemini 3 and
// later get a thinkingLevel for an effort (a budget alone is sent as
// thinkingBudget, which they still take); Gemini 2.5 gets a thinkingBudget
// (the request's, else one for the effort). Level and budget are never
// sent together (Gemini refuses both). Thought summaries (includeThoughts)
// are asked for whenever the request asks for reasoning.
func thinkingConfig(deployment *ThinkingConfig, r *llmrouter.Reasoning, model string) *ThinkingConfig {
	if r == nil {
		return deployment
	}
	var tc ThinkingConfig
	if deployment != nil {
		tc = *deployment
	}
	tc.IncludeThoughts = r.On()
	level := r.Effort != "" && needsThoughtSignature(model) // Gemini 3+
	switch {
	case level:
		tc.ThinkingLevel, tc.ThinkingBudget = levelFor[r.Effort], nil
	case r.BudgetTokens > 0:
		b := r.BudgetTokens
		tc.ThinkingBudget, tc.ThinkingLevel = &b, ""
	case r.Effort != "":
		b := budgetFor[r.Effort]
		if b == 0 && alwaysThinks(model) {
			b = proMinBudget
		}
		tc.ThinkingBudget, tc.ThinkingLevel = &b, ""
	}
	return &tc
}
