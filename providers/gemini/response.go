package gemini

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// wireResponse is a GenerateContentResponse, a whole answer.
type wireResponse struct {
	wireEvent
	ModelVersion string `json:"modelVersion"`
	ResponseID   string `json:"responseId"`
}

// wireEvent is the part of a GenerateContentResponse a stream reads from
// each event (it leaves out the ids, to allocate less). Error is set when
// the body or event is an error object.
type wireEvent struct {
	Candidates     []wireCandidate     `json:"candidates"`
	PromptFeedback *wirePromptFeedback `json:"promptFeedback"`
	UsageMetadata  *wireUsage          `json:"usageMetadata"`
	Error          *wireError          `json:"error"`
}

type wireCandidate struct {
	Content       wireRespContent `json:"content"`
	FinishReason  string          `json:"finishReason"`
	FinishMessage string          `json:"finishMessage"`
}

type wireRespContent struct {
	Parts []wireRespPart `json:"parts"`
}

type wireRespPart struct {
	Text             string                `json:"text"`
	Thought          bool                  `json:"thought"`
	FunctionCall     *wireRespFunctionCall `json:"functionCall"`
	ThoughtSignature string                `json:"thoughtSignature"`
}

type wireRespFunctionCall struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

type wirePromptFeedback struct {
	BlockReason        string `json:"blockReason"`
	BlockReasonMessage string `json:"blockReasonMessage"`
}

type wireUsage struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CandidatesTokenCount    int `json:"candidatesTokenCount"`
	CachedContentTokenCount int `json:"cachedContentTokenCount"`
	ThoughtsTokenCount      int `json:"thoughtsTokenCount"`
	ToolUsePromptTokenCount int `json:"toolUsePromptTokenCount"`
	TotalTokenCount         int `json:"totalTokenCount"`
}

// reset clears r for reuse, keeping the capacity of its slices.
func (r *wireEvent) reset() {
	for i := range r.Candidates {
		c := &r.Candidates[i]
		parts := c.Content.Parts
		for j := range parts {
			parts[j] = wireRespPart{}
		}
		*c = wireCandidate{Content: wireRespContent{Parts: parts[:0]}}
	}
	r.Candidates = r.Candidates[:0]
	// Keep the pointees for the decoder to reuse: a zero value reads as
	// absent (no block reason, empty usage).
	if r.PromptFeedback != nil {
		*r.PromptFeedback = wirePromptFeedback{}
	}
	if r.UsageMetadata != nil {
		*r.UsageMetadata = wireUsage{}
	}
	r.Error = nil
}

// usage normalises usageMetadata: cached tokens are already part of
// promptTokenCount; tool-use prompt tokens are added to the input and
// thinking tokens (not part of candidatesTokenCount) to the output.
func (u *wireUsage) usage() llmrouter.Usage {
	return llmrouter.Usage{
		InputTokens:       u.PromptTokenCount + u.ToolUsePromptTokenCount,
		OutputTokens:      u.CandidatesTokenCount + u.ThoughtsTokenCount,
		CachedInputTokens: u.CachedContentTokenCount,
		ReasoningTokens:   u.ThoughtsTokenCount,
	}
}

func (u *wireUsage) empty() bool {
	return u.PromptTokenCount == 0 && u.CandidatesTokenCount == 0 && u.ThoughtsTokenCount == 0 &&
		u.ToolUsePromptTokenCount == 0 && u.TotalTokenCount == 0
}

// finishReason maps Gemini's finishReason. toolCalls says whether the
// answer called functions: Gemini then still says STOP.
func finishReason(r string, toolCalls bool) llmrouter.FinishReason {
	switch r {
	case "STOP", "":
		if toolCalls {
			return llmrouter.FinishToolCalls
		}
		if r == "" {
			return ""
		}
		return llmrouter.FinishStop
	case "MAX_TOKENS":
		return llmrouter.FinishLength
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return llmrouter.FinishContentFilter
	}
	// LANGUAGE, OTHER, MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL,
	// TOO_MANY_TOOL_CALLS, NO_IMAGE, IMAGE_OTHER, FINISH_REASON_UNSPECIFIED
	// and reasons added later.
	return llmrouter.FinishOther
}

// callID returns Gemini's id for the i-th function call of an answer, or
// the stable "call_<i>" when Gemini gave none.
func callID(id string, i int) string {
	if id != "" {
		return id
	}
	return "call_" + strconv.Itoa(i)
}

// argsText returns a function call's args as compact JSON text ({} when
// absent). buf is scratch space.
func argsText(raw json.RawMessage, buf *bytes.Buffer) string {
	if len(raw) == 0 || string(raw) == "null" {
		return "{}"
	}
	buf.Reset()
	if json.Compact(buf, raw) != nil {
		return string(raw)
	}
	return buf.String()
}

// decodeResponse decodes a generateContent answer. Every failure is a
// *ProviderError (Provider and Deployment left for the caller to fill).
func decodeResponse(body []byte) (*llmrouter.Response, *llmrouter.ProviderError) {
	var w wireResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, &llmrouter.ProviderError{Kind: llmrouter.KindMalformed, Message: "unreadable generateContent answer: " + err.Error(), Err: err}
	}
	if w.Error != nil {
		return nil, errorFromWire(0, nil, w.Error, body)
	}
	out := &llmrouter.Response{ID: w.ResponseID, Model: w.ModelVersion}
	if w.UsageMetadata != nil {
		out.Usage = w.UsageMetadata.usage()
	}
	if len(w.Candidates) == 0 {
		if pf := w.PromptFeedback; pf != nil && pf.BlockReason != "" {
			// The prompt was blocked and there is no answer: the
			// canonical blocked-prompt error, as on every adapter.
			return nil, promptBlocked(pf.BlockReason, pf.BlockReasonMessage)
		}
		return nil, &llmrouter.ProviderError{Kind: llmrouter.KindServer, Code: "EMPTY_RESPONSE",
			Message: "Gemini answered with no candidates and no block reason"}
	}
	c := &w.Candidates[0]
	var text, reasoning strings.Builder
	var scratch bytes.Buffer
	for i := range c.Content.Parts {
		part := &c.Content.Parts[i]
		switch {
		case part.FunctionCall != nil:
			fc := part.FunctionCall
			out.ToolCalls = append(out.ToolCalls, llmrouter.ToolCall{
				ID: callID(fc.ID, len(out.ToolCalls)), Name: fc.Name, Arguments: argsText(fc.Args, &scratch),
				Signature: part.ThoughtSignature})
		case part.Thought:
			reasoning.WriteString(part.Text)
		default:
			text.WriteString(part.Text)
		}
	}
	out.Text = text.String()
	out.Reasoning = reasoning.String()
	out.FinishReason = finishReason(c.FinishReason, len(out.ToolCalls) > 0)
	if out.FinishReason == "" {
		out.FinishReason = llmrouter.FinishOther // a whole answer without a reason
	}
	if out.FinishReason == llmrouter.FinishContentFilter {
		out.Refusal = blockMessage("answer blocked", c.FinishReason, c.FinishMessage)
	}
	return out, nil
}

// blockMessage describes a safety block: Gemini's own message when it gave
// one, else what was blocked and why ("prompt blocked: SAFETY").
func blockMessage(what, reason, msg string) string {
	if msg != "" {
		return msg
	}
	return what + ": " + reason
}

// promptBlocked is the error for a prompt Gemini's safety system blocked
// (promptFeedback.blockReason, no candidates): KindContentPolicy with Code
// "prompt_blocked", the block reason in the message.
func promptBlocked(reason, msg string) *llmrouter.ProviderError {
	return wire.PromptBlocked(0, blockMessage("prompt blocked", reason, msg))
}
