package bedrock

import (
	"encoding/json"
	"strings"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// converseResponse is the part of a Converse response the adapter reads.
type converseResponse struct {
	Output *struct {
		Message *struct {
			Role    string         `json:"role"`
			Content []contentBlock `json:"content"`
		} `json:"message"`
		// Type is set when Bedrock answers 200 with a Coral error envelope
		// ({"Output":{"__type":"..."}}) instead of an answer.
		Type string `json:"__type"`
	} `json:"output"`
	StopReason string      `json:"stopReason"`
	Usage      *tokenUsage `json:"usage"`
	Trace      *trace      `json:"trace"`
	// Message is set by error-shaped bodies.
	Message string `json:"message"`
}

// trace is the guardrail trace Converse returns with guardrailConfig.trace
// "enabled" (ConverseTrace).
type trace struct {
	Guardrail *struct {
		// InputAssessment maps a guardrail id to its assessment of the
		// prompt (policies whose findings carry an "action").
		InputAssessment json.RawMessage `json:"inputAssessment"`
	} `json:"guardrail"`
}

// inputBlocked reports whether the trace says a guardrail blocked the
// prompt: an action "BLOCKED" anywhere in its input assessment.
func (t *trace) inputBlocked() bool {
	if t == nil || t.Guardrail == nil || len(t.Guardrail.InputAssessment) == 0 {
		return false
	}
	var v any
	if json.Unmarshal(t.Guardrail.InputAssessment, &v) != nil {
		return false
	}
	return hasBlocked(v)
}

func hasBlocked(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		if a, ok := v["action"].(string); ok && strings.EqualFold(a, "BLOCKED") {
			return true
		}
		for _, e := range v {
			if hasBlocked(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasBlocked(e) {
				return true
			}
		}
	}
	return false
}

// promptBlocked reports whether a filtered stop (guardrail_intervened,
// content_filtered) refused the prompt rather than an answer: the
// guardrail trace says it blocked the input, or the model generated
// nothing (zero output tokens: the text, if any, is the guardrail's
// configured blocked-input message, not an answer).
func promptBlocked(stop string, u *tokenUsage, t *trace) bool {
	if finishReason(stop) != llmrouter.FinishContentFilter {
		return false
	}
	return t.inputBlocked() || u != nil && u.OutputTokens == 0
}

// blockedError is the canonical blocked-prompt error: KindContentPolicy,
// Code "prompt_blocked", the guardrail's message (if any) and stop reason.
func (c *call) blockedError(stop, text string) *llmrouter.ProviderError {
	msg := "prompt blocked: " + stop
	if text != "" {
		msg += ": " + text
	}
	pe := wire.PromptBlocked(0, msg)
	pe.Provider, pe.Deployment, pe.RequestID = ProviderName, c.deployment, c.requestID
	return c.secrets.Finish(pe)
}

type contentBlock struct {
	Text    *string `json:"text"`
	ToolUse *struct {
		ToolUseID string          `json:"toolUseId"`
		Name      string          `json:"name"`
		Input     json.RawMessage `json:"input"`
	} `json:"toolUse"`
	ReasoningContent *struct {
		ReasoningText *struct {
			Text      string `json:"text"`
			Signature string `json:"signature"`
		} `json:"reasoningText"`
		RedactedContent string `json:"redactedContent"`
	} `json:"reasoningContent"`
}

// tokenUsage is Bedrock's TokenUsage. inputTokens excludes the cache reads
// and writes.
type tokenUsage struct {
	InputTokens           int `json:"inputTokens"`
	OutputTokens          int `json:"outputTokens"`
	CacheReadInputTokens  int `json:"cacheReadInputTokens"`
	CacheWriteInputTokens int `json:"cacheWriteInputTokens"`
	// CacheDetails splits the cache writes by TTL.
	CacheDetails []struct {
		TTL         string `json:"ttl"`
		InputTokens int    `json:"inputTokens"`
	} `json:"cacheDetails"`
}

// usage normalises Bedrock's counts: InputTokens includes the cache reads
// and writes.
func (u *tokenUsage) usage() llmrouter.Usage {
	out := llmrouter.Usage{
		InputTokens:       u.InputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens,
		OutputTokens:      u.OutputTokens,
		CachedInputTokens: u.CacheReadInputTokens,
		CacheWriteTokens:  u.CacheWriteInputTokens,
	}
	for _, d := range u.CacheDetails {
		if d.TTL == "1h" && d.InputTokens > 0 {
			out.CacheWrite1hTokens += d.InputTokens
		}
	}
	out.CacheWrite1hTokens = min(out.CacheWrite1hTokens, out.CacheWriteTokens)
	return out
}

// finishReason normalises a Converse stopReason.
func finishReason(stop string) llmrouter.FinishReason {
	switch stop {
	case "end_turn", "stop_sequence":
		return llmrouter.FinishStop
	case "max_tokens", "model_context_window_exceeded":
		return llmrouter.FinishLength
	case "tool_use":
		return llmrouter.FinishToolCalls
	case "guardrail_intervened", "content_filtered":
		return llmrouter.FinishContentFilter
	}
	return llmrouter.FinishOther
}

// decodeResponse reads a 200 Converse body.
//
// An answer is complete when Bedrock says how it stopped: here a
// stopReason, in a stream a messageStop event. A complete answer may be
// empty (no content blocks, zero output tokens, "end_turn"): it is returned
// as a Response with no text and its finish reason, as ConverseStream's
// empty answer is a stream that ends with a finish reason and nothing
// else. What is not an answer is KindMalformed: a body without
// output.message (Bedrock's 200 with an error envelope, null), or an empty
// message without a stopReason (nothing says it is complete).
func decodeResponse(c *call, body []byte) (*llmrouter.Response, *llmrouter.ProviderError) {
	var r converseResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, c.fail(llmrouter.KindMalformed, 200, "", "unreadable Converse response: "+err.Error())
	}
	if r.Output == nil || r.Output.Message == nil || len(r.Output.Message.Content) == 0 && r.StopReason == "" {
		code, msg := "", "Converse answered 200 without output"
		if r.Output != nil && r.Output.Type != "" {
			code = sanitizeCode(r.Output.Type)
			msg += " (" + code + ")"
		}
		if r.Message != "" {
			msg += ": " + r.Message
		}
		return nil, c.fail(llmrouter.KindMalformed, 200, code, msg)
	}
	out := &llmrouter.Response{FinishReason: finishReason(r.StopReason)}
	if r.StopReason == "" {
		out.FinishReason = llmrouter.FinishOther
	}
	var text, reasoning strings.Builder
	for _, b := range r.Output.Message.Content {
		switch {
		case b.Text != nil:
			text.WriteString(*b.Text)
		case b.ToolUse != nil:
			args := strings.TrimSpace(string(b.ToolUse.Input))
			if args == "" || args == "null" {
				args = "{}"
			}
			out.ToolCalls = append(out.ToolCalls, llmrouter.ToolCall{ID: b.ToolUse.ToolUseID, Name: b.ToolUse.Name, Arguments: args})
		case b.ReasoningContent != nil && b.ReasoningContent.ReasoningText != nil:
			rt := b.ReasoningContent.ReasoningText
			reasoning.WriteString(rt.Text)
			out.ReasoningBlocks = append(out.ReasoningBlocks, llmrouter.ReasoningBlock{Provider: ProviderName, Text: rt.Text, Signature: rt.Signature})
		case b.ReasoningContent != nil && b.ReasoningContent.RedactedContent != "":
			out.ReasoningBlocks = append(out.ReasoningBlocks, llmrouter.ReasoningBlock{Provider: ProviderName, Redacted: b.ReasoningContent.RedactedContent})
		}
	}
	out.Text = text.String()
	out.Reasoning = reasoning.String()
	if len(out.ToolCalls) == 0 && out.Reasoning == "" && promptBlocked(r.StopReason, r.Usage, r.Trace) {
		return nil, c.blockedError(r.StopReason, out.Text)
	}
	if out.FinishReason == llmrouter.FinishContentFilter {
		out.Refusal = out.Text
	}
	if r.Usage != nil {
		out.Usage = r.Usage.usage()
	}
	return out, nil
}
