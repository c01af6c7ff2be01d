package gemini

import "github.com/llmrouter/llmrouter"

// budgetFor is the thinkingBudget sent to a Gemini 2.5 model for an effort
// without Reasoning.BudgetTokens: none turns thinking off (where the model
// allows: 2.5 Pro refuses 0), high and above take 24576, the most every
// 2.5 model accepts.
var budgetFor = map[llmrouter.Effort]int{
	llmrouter.EffortNone: 0, llmrouter.EffortMinimal: 512, llmrouter.EffortLow: 1024,
	llmrouter.EffortMedium: 8192, llmrouter.EffortHigh: 24576, llmrouter.EffortXHigh: 24576, llmrouter.EffortMax: 24576,
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
		tc.ThinkingBudget, tc.ThinkingLevel = &b, ""
	}
	return &tc
}
