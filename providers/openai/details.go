package openai

import (
	"encoding/json"
	"strings"

	"github.com/llmrouter/llmrouter"
)

// OpenRouter's reasoning_details: an array on the assistant message (and,
// in pieces, on stream deltas) of typed entries, reasoning.text {text,
// signature}, reasoning.summary {summary}, reasoning.encrypted {data} and
// reasoning.server_tool_call, each with id, format and index, that some
// models need back unchanged on the next assistant turn (OpenRouter's
// reasoning-tokens guide, "Preserving reasoning blocks"; OpenRouterTeam
// go-sdk models/components/reasoningdetail*.go, chatassistantmessage.go,
// chatstreamdelta.go). Each entry becomes one ReasoningBlock whose Raw is
// the entry, replayed as it is to the same provider.

// detailBlock is the ReasoningBlock of one whole reasoning_details entry,
// raw; Provider is left for the caller to set.
func detailBlock(raw []byte) llmrouter.ReasoningBlock {
	var d struct {
		Type      string `json:"type"`
		Text      string `json:"text"`
		Summary   string `json:"summary"`
		Signature string `json:"signature"`
		Data      string `json:"data"`
	}
	_ = json.Unmarshal(raw, &d) // the scanner has checked the syntax; a field of another type is left empty
	b := llmrouter.ReasoningBlock{Text: d.Text, Signature: d.Signature, Redacted: d.Data, Raw: string(raw)}
	if d.Type == "reasoning.summary" {
		b.Text = d.Summary
	}
	return b
}

// decodeDetails reads a reasoning_details array into blocks.
func decodeDetails(s *scanner, out *llmrouter.Response) {
	if !s.array() {
		return
	}
	for n := 0; s.elem(&n); {
		if s.peek() != '{' {
			s.skip()
			continue
		}
		if raw := s.skip(); raw != nil {
			out.ReasoningBlocks = append(out.ReasoningBlocks, detailBlock(raw))
		}
	}
}

// detailParts assembles the entries of a streamed reasoning_details from
// their pieces: the pieces of one entry share its index; text and summary
// come in pieces to concatenate, every other field whole (a later non-null
// value replaces an earlier one).
type detailParts struct {
	entries []*detailEntry
}

type detailEntry struct {
	index   int
	fields  map[string]json.RawMessage
	text    strings.Builder
	summary strings.Builder
	hasText bool
	hasSum  bool
}

// add takes one element of a delta's reasoning_details.
func (dp *detailParts) add(raw []byte) {
	var f map[string]json.RawMessage
	if json.Unmarshal(raw, &f) != nil {
		return
	}
	index := -1 - len(dp.entries) // without an index, an entry of its own
	if v, ok := f["index"]; ok {
		_ = json.Unmarshal(v, &index)
	}
	var e *detailEntry
	for _, x := range dp.entries {
		if x.index == index {
			e = x
			break
		}
	}
	if e == nil {
		e = &detailEntry{index: index, fields: map[string]json.RawMessage{}}
		dp.entries = append(dp.entries, e)
	}
	for k, v := range f {
		if string(v) == "null" {
			if _, seen := e.fields[k]; !seen && k != "text" && k != "summary" {
				e.fields[k] = v // kept as sent unless a value comes later
			}
			continue
		}
		switch k {
		case "text", "summary":
			var piece string
			if json.Unmarshal(v, &piece) != nil {
				e.fields[k] = v
				continue
			}
			if k == "text" {
				e.text.WriteString(piece)
				e.hasText = true
			} else {
				e.summary.WriteString(piece)
				e.hasSum = true
			}
		default:
			e.fields[k] = v
		}
	}
}

// blocks returns the assembled entries, in the order they began, and
// forgets them.
func (dp *detailParts) blocks(provider string) []llmrouter.ReasoningBlock {
	if len(dp.entries) == 0 {
		return nil
	}
	out := make([]llmrouter.ReasoningBlock, 0, len(dp.entries))
	for _, e := range dp.entries {
		if e.hasText {
			e.fields["text"], _ = json.Marshal(e.text.String())
		}
		if e.hasSum {
			e.fields["summary"], _ = json.Marshal(e.summary.String())
		}
		raw, err := json.Marshal(e.fields) // keys sorted
		if err != nil {
			continue
		}
		b := detailBlock(raw)
		b.Provider = provider
		out = append(out, b)
	}
	dp.entries = nil
	return out
}

// appendDetails appends, for OpenRouter, the reasoning_details of the
// blocks this provider issued with an assistant message, in order. A block
// without a Raw JSON object (one built by hand) is sent as the entry its
// fields describe: reasoning.encrypted with Redacted, else reasoning.text.
func (p *Provider) appendDetails(dst []byte, m *llmrouter.Message) []byte {
	if p.dialect != dialectOpenRouter || len(m.Reasoning) == 0 {
		return dst
	}
	blocks, _ := m.ReasoningFor(p.name)
	if len(blocks) == 0 {
		return dst
	}
	dst = append(dst, `,"reasoning_details":[`...)
	for i := range blocks {
		b := &blocks[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		if raw := strings.TrimSpace(b.Raw); strings.HasPrefix(raw, "{") && json.Valid([]byte(raw)) {
			dst = append(dst, raw...)
			continue
		}
		if b.Redacted != "" {
			dst = appendString(append(dst, `{"type":"reasoning.encrypted","data":`...), b.Redacted)
		} else {
			dst = appendString(append(dst, `{"type":"reasoning.text","text":`...), b.Text)
			if b.Signature != "" {
				dst = appendString(append(dst, `,"signature":`...), b.Signature)
			}
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}
