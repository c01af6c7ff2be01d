package anthropic

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter"
)

// nowFunc is the clock that turns reset times into durations (tests set
// it).
var nowFunc = time.Now

// wireResponse is a message, the answer of POST /v1/messages.
type wireResponse struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Model      string          `json:"model"`
	Content    []wireContent   `json:"content"`
	StopReason string          `json:"stop_reason"`
	Usage      wireUsage       `json:"usage"`
	Error      json.RawMessage `json:"error"`
}

// wireContent is a response content block. Only the fields of text,
// tool_use and thinking blocks are read; other blocks are skipped.
type wireContent struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	Thinking  string          `json:"thinking"`
	Signature string          `json:"signature"`
	Data      string          `json:"data"` // redacted_thinking
}

// wireUsage is the usage object of a message, message_start and
// message_delta. Fields are pointers so a message_delta that leaves one
// out (or sends null) does not reset the count.
type wireUsage struct {
	InputTokens         *int `json:"input_tokens"`
	OutputTokens        *int `json:"output_tokens"`
	CacheCreationTokens *int `json:"cache_creation_input_tokens"`
	CacheReadTokens     *int `json:"cache_read_input_tokens"`
	OutputTokensDetails *struct {
		ThinkingTokens *int `json:"thinking_tokens"`
	} `json:"output_tokens_details"`
	CacheCreation *struct {
		Ephemeral1h *int `json:"ephemeral_1h_input_tokens"`
	} `json:"cache_creation"`
}

// usageCounts are the raw counts, in Anthropic's convention.
type usageCounts struct {
	input, output, cacheWrite, cacheRead, thinking, write1h int
}

// merge takes the counts u reports.
func (c *usageCounts) merge(u *wireUsage) {
	set := func(dst *int, src *int) {
		if src != nil && *src >= 0 {
			*dst = *src
		}
	}
	set(&c.input, u.InputTokens)
	set(&c.output, u.OutputTokens)
	set(&c.cacheWrite, u.CacheCreationTokens)
	set(&c.cacheRead, u.CacheReadTokens)
	if u.OutputTokensDetails != nil {
		set(&c.thinking, u.OutputTokensDetails.ThinkingTokens)
	}
	if u.CacheCreation != nil {
		set(&c.write1h, u.CacheCreation.Ephemeral1h)
	}
}

// usage converts to the canonical convention, where cache reads and writes
// are part of the input.
func (c *usageCounts) usage() llmrouter.Usage {
	return llmrouter.Usage{
		InputTokens:        c.input + c.cacheWrite + c.cacheRead,
		OutputTokens:       c.output,
		CachedInputTokens:  c.cacheRead,
		CacheWriteTokens:   c.cacheWrite,
		CacheWrite1hTokens: min(c.write1h, c.cacheWrite),
		ReasoningTokens:    min(c.thinking, c.output),
	}
}

// decodeResponse decodes a message. A body that is an error (with status
// 200) is classified as one; anything unreadable is KindMalformed.
func decodeResponse(body []byte) (*llmrouter.Response, *llmrouter.ProviderError) {
	var w wireResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, malformed("unreadable message: " + err.Error())
	}
	if w.Type == "error" || len(w.Error) > 0 && !bytes.Equal(w.Error, []byte("null")) {
		pe := decodeStreamError(body)
		return nil, pe
	}
	if w.Type != "message" && w.Type != "" {
		return nil, malformed("unexpected object type " + strconv.Quote(clip(w.Type)))
	}
	if w.Content == nil && w.StopReason == "" {
		return nil, malformed("message without content or stop_reason")
	}
	resp := &llmrouter.Response{ID: w.ID, Model: w.Model, FinishReason: finishReason(w.StopReason)}
	var text, reasoning strings.Builder
	for i := range w.Content {
		c := &w.Content[i]
		switch c.Type {
		case "text":
			text.WriteString(c.Text)
		case "thinking":
			reasoning.WriteString(c.Thinking)
			resp.ReasoningBlocks = append(resp.ReasoningBlocks, responseBlock(c))
		case "redacted_thinking":
			resp.ReasoningBlocks = append(resp.ReasoningBlocks, responseBlock(c))
		case "tool_use":
			args, err := toolArguments(c.Input)
			if err != nil {
				return nil, err
			}
			resp.ToolCalls = append(resp.ToolCalls, llmrouter.ToolCall{ID: c.ID, Name: c.Name, Arguments: args})
		}
	}
	resp.Text = text.String()
	resp.Reasoning = reasoning.String()
	if w.StopReason == "refusal" {
		resp.Refusal = resp.Text
		if resp.Refusal == "" {
			resp.Refusal = "refused"
		}
	}
	var counts usageCounts
	counts.merge(&w.Usage)
	resp.Usage = counts.usage()
	return resp, nil
}

// toolArguments is a tool_use input as compact JSON text.
func toolArguments(input json.RawMessage) (string, *llmrouter.ProviderError) {
	if len(input) == 0 || bytes.Equal(input, []byte("null")) {
		return "{}", nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, input); err != nil {
		return "", malformed("unreadable tool_use input: " + err.Error())
	}
	return b.String(), nil
}

// finishReason maps a stop_reason.
func finishReason(s string) llmrouter.FinishReason {
	switch s {
	case "end_turn", "stop_sequence":
		return llmrouter.FinishStop
	case "max_tokens", "model_context_window_exceeded":
		return llmrouter.FinishLength
	case "tool_use":
		return llmrouter.FinishToolCalls
	case "refusal":
		return llmrouter.FinishContentFilter
	}
	return llmrouter.FinishOther // pause_turn, a missing or a new reason
}

func malformed(msg string) *llmrouter.ProviderError {
	return &llmrouter.ProviderError{Provider: name, Kind: llmrouter.KindMalformed, Message: msg}
}

// The rate-limit headers. Each has -limit, -remaining and -reset (an RFC
// 3339 time) variants; "tokens" is the most restrictive token limit.
const rlPrefix = "Anthropic-Ratelimit-"

// rateLimit reads the headroom announced in h, or nil when there is none.
func rateLimit(h http.Header, now time.Time) *llmrouter.RateLimit {
	reqs, okR := headerInt(h, rlPrefix+"Requests-Remaining")
	toks, okT := headerInt(h, rlPrefix+"Tokens-Remaining")
	if !okT {
		// Fall back to the tighter of the input and output limits.
		in, okI := headerInt(h, rlPrefix+"Input-Tokens-Remaining")
		out, okO := headerInt(h, rlPrefix+"Output-Tokens-Remaining")
		switch {
		case okI && okO:
			toks, okT = min(in, out), true
		case okI:
			toks, okT = in, true
		case okO:
			toks, okT = out, true
		}
	}
	resetR := headerReset(h, rlPrefix+"Requests-Reset", now)
	resetT := headerReset(h, rlPrefix+"Tokens-Reset", now)
	if !okR && !okT && resetR == 0 && resetT == 0 {
		return nil
	}
	rl := &llmrouter.RateLimit{RemainingRequests: -1, RemainingTokens: -1, ResetRequests: resetR, ResetTokens: resetT}
	if okR {
		rl.RemainingRequests = reqs
	}
	if okT {
		rl.RemainingTokens = toks
	}
	return rl
}

// exhaustedReset is how long until the latest reset among the limits whose
// remaining count is zero, or 0 when none is announced as exhausted.
func exhaustedReset(h http.Header, now time.Time) time.Duration {
	var d time.Duration
	for _, l := range [...]string{"Requests", "Tokens", "Input-Tokens", "Output-Tokens"} {
		if n, ok := headerInt(h, rlPrefix+l+"-Remaining"); ok && n == 0 {
			d = max(d, headerReset(h, rlPrefix+l+"-Reset", now))
		}
	}
	return d
}

func headerInt(h http.Header, key string) (int, bool) {
	v := h.Get(key)
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// headerReset is the time until the RFC 3339 reset time in h[key], or 0.
func headerReset(h http.Header, key string, now time.Time) time.Duration {
	v := h.Get(key)
	if v == "" {
		return 0
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
	if err != nil || !t.After(now) {
		return 0
	}
	return t.Sub(now)
}
