package bedrock

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// reasoningBlock is a Converse reasoningContent block: signed text or
// redacted (encrypted, base64) reasoning.
type reasoningBlock struct {
	ReasoningText   *reasoningText `json:"reasoningText,omitempty"`
	RedactedContent string         `json:"redactedContent,omitempty"`
}

type reasoningText struct {
	Text      string `json:"text"`
	Signature string `json:"signature,omitempty"`
}

// cachePoint is a Converse cachePoint block, placed after what to cache.
type cachePoint struct {
	Type string `json:"type"` // default
	TTL  string `json:"ttl,omitempty"`
}

// maxCachePoints is the most cache checkpoints a Converse request may have.
const maxCachePoints = 4

// claude reports whether the model is an Anthropic Claude model (an
// inference profile like us.anthropic.claude-… included), which takes the
// Anthropic thinking object through additionalModelRequestFields.
func claude(model string) bool { return strings.Contains(strings.ToLower(model), "anthropic.claude") }

// encodeReasoning applies req.Reasoning: outputConfig.effort (minimal sent
// as low), and for Claude models the Anthropic thinking object in
// additionalModelRequestFields — adaptive with an effort, enabled with
// budget_tokens for a budget alone, disabled for effort none. Other models
// get the effort only; a budget without an effort, which they cannot
// carry, is refused.
func encodeReasoning(cr *converseRequest, r *llmrouter.Reasoning, model string) error {
	if r == nil {
		return nil
	}
	var thinking map[string]any
	switch {
	case r.Effort == llmrouter.EffortNone:
		if !claude(model) {
			return nil // no effort is the model's own default
		}
		thinking = map[string]any{"type": "disabled"}
	case r.Effort != "":
		e := r.Effort
		if e == llmrouter.EffortMinimal {
			e = llmrouter.EffortLow
		}
		if cr.OutputConfig == nil {
			cr.OutputConfig = &outputConfig{}
		}
		cr.OutputConfig.Effort = string(e)
		if claude(model) {
			thinking = map[string]any{"type": "adaptive"}
		}
	case r.BudgetTokens > 0:
		if !claude(model) {
			return &carriedElsewhere{fieldError{"Reasoning.BudgetTokens", "only Claude models on Bedrock take a thinking budget; give an Effort"}}
		}
		thinking = map[string]any{"type": "enabled", "budget_tokens": r.BudgetTokens}
	}
	if thinking == nil {
		return nil
	}
	fields := map[string]any{}
	if len(cr.AdditionalModelRequestFields) > 0 {
		if err := json.Unmarshal(cr.AdditionalModelRequestFields, &fields); err != nil || fields == nil {
			return &fieldError{"Deployment.Extra.AdditionalModelRequestFields", "not a JSON object"}
		}
	}
	fields["thinking"] = thinking // the request's choice over the deployment's
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fields); err != nil {
		return &fieldError{"Deployment.Extra.AdditionalModelRequestFields", err.Error()}
	}
	cr.AdditionalModelRequestFields = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return nil
}

// replayReasoning returns the reasoningContent blocks of m's reasoning
// state that Bedrock issued, in order, to go before its text.
func replayReasoning(m *llmrouter.Message) []block {
	blocks, _ := m.ReasoningFor(ProviderName)
	out := make([]block, 0, len(blocks))
	for _, b := range blocks {
		rb := &reasoningBlock{RedactedContent: b.Redacted}
		if b.Redacted == "" {
			rb.ReasoningText = &reasoningText{Text: b.Text, Signature: b.Signature}
		}
		out = append(out, block{ReasoningContent: rb})
	}
	return out
}

// cachePointOf converts a cache hint to the cachePoint block that follows
// the part carrying it, or nil.
func cachePointOf(h *llmrouter.CacheHint, field string) (*cachePoint, error) {
	if h == nil {
		return nil, nil
	}
	if ttl, ok := wire.CacheTTL(h); ok {
		return &cachePoint{Type: "default", TTL: ttl}, nil
	}
	return nil, &carriedElsewhere{fieldError{field + ".Cache.TTL", h.TTL.String() + " is longer than the longest cache TTL Bedrock offers (1h)"}}
}

// countCachePoints refuses a request with more cache checkpoints than
// Converse takes.
func countCachePoints(cr *converseRequest) error {
	n := 0
	for i := range cr.System {
		if cr.System[i].CachePoint != nil {
			n++
		}
	}
	for i := range cr.Messages {
		for j := range cr.Messages[i].Content {
			if cr.Messages[i].Content[j].CachePoint != nil {
				n++
			}
		}
	}
	if n > maxCachePoints {
		return &carriedElsewhere{fieldError{"Messages", strconv.Itoa(n) + " cache breakpoints (Part.Cache): Converse takes at most 4"}}
	}
	return nil
}
