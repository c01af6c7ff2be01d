package llmrouter

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// MaxRequestTokens bounds Request.MaxOutputTokens (and
// TokenEstimates.DefaultOutput): 16,777,216 tokens (2^24), far above any
// model's context window today. The bound keeps every sum of token counts
// the router makes (estimates, reservations, context-window checks) far
// from integer overflow.
const MaxRequestTokens = 1 << 24

// Validate checks a request without sending it: the router calls it first on
// every request, and adapters may call it too. It returns a *RequestError
// naming the first faulty field, or nil; a nil request is invalid too. It
// allocates only when it fails.
func (r *Request) Validate() error {
	_, err := r.scan()
	return err
}

// requestScan is what the pass validating a request measures on the way,
// so that the router walks the messages once per request instead of four
// times (validation, capabilities, token estimate, lineage's prompt size).
type requestScan struct {
	tokens int          // EstimateInputTokens' estimate
	bytes  int          // PromptInfo.Bytes: text, image data, tool-call arguments
	needs  Capabilities // CapVision and CapImageURL, as the images need
	// reasoning: a message carries reasoning blocks (without any,
	// ForeignReasoning is 0 for every provider).
	reasoning bool
}

// scan validates the request, as Validate, and measures it in the same
// pass. The measures are meaningful only without an error.
//
// Most requests are a few messages of plain text and nothing else set;
// scan takes them on a short path (scanText for each run of plain-text
// messages, one test for everything after the messages) and leaves the
// rest out of line: validateMessage for any other message, scanRest for
// the rest of the request. Both give what the short path would have,
// error for error (TestScanShortPathAgrees).
func (r *Request) scan() (s requestScan, err error) {
	if r == nil || r.Model == "" || len(r.Messages) == 0 {
		return s, r.headError()
	}
	for i := 0; i < len(r.Messages); i++ {
		// Tool calls and their results, the messages of an agent's
		// conversation that are not plain text, go straight to
		// validateMessage.
		if m := &r.Messages[i]; len(m.ToolCalls) == 0 && m.Role != RoleTool {
			if i += scanText(r.Messages[i:], &s); i == len(r.Messages) {
				break
			}
		}
		if err := r.validateMessage(i, &s); err != nil {
			return s, err
		}
	}
	// Nothing after the messages to check or measure: no tools, tool
	// choice, response format, sampling, stop sequences, reasoning,
	// overrides or policies, and MaxOutputTokens in [0, MaxRequestTokens].
	if len(r.Tools)|len(r.ToolChoice.Mode)|len(r.ResponseFormat.Type)|len(r.Stop)|len(r.Fallback)|len(r.Policies)|r.MaxAttempts != 0 ||
		r.Temperature != nil || r.TopP != nil || r.Reasoning != nil || r.Timeouts != nil || uint(r.MaxOutputTokens) > MaxRequestTokens {
		return s, r.scanRest(&s)
	}
	return s, nil
}

// headError is scan's error for a nil request, an empty Model or no
// messages; kept out of scan's code.
//
//go:noinline
func (r *Request) headError() error {
	switch {
	case r == nil:
		return &RequestError{Field: "Request", Reason: "nil"}
	case r.Model == "":
		return &RequestError{Field: "Model", Reason: "empty: name a route or a deployment"}
	}
	return &RequestError{Field: "Messages", Reason: "empty: a request needs at least one message"}
}

// scanText measures the messages ms into s, as validateMessage does,
// from the first on while they are plain text: system, developer, user or
// assistant messages of text parts (at least one, valid UTF-8, any cache
// mark valid), with no tool calls, tool call ID or reasoning. It returns how
// many it measured; the first other message is left for validateMessage.
// It makes no call while the text is ASCII (8 bytes at a time, as
// validText), so that what it holds stays in registers.
func scanText(ms []Message, s *requestScan) int {
	for i := range ms {
		m := &ms[i]
		switch m.Role {
		case RoleUser, RoleSystem, RoleAssistant, RoleDeveloper:
		default:
			return i
		}
		if len(m.Content) == 0 || len(m.ToolCalls)|len(m.ToolCallID)|len(m.Reasoning) != 0 {
			return i
		}
		bytes, tokens, high := s.bytes, addTokens(s.tokens, tokensPerMessage), uint64(0)
		for j := range m.Content {
			p := &m.Content[j]
			if p.Type != PartText || p.Cache != nil && p.Cache.TTL < 0 {
				return i
			}
			t := p.Text
			if len(t) >= 8 { // the last 8 bytes, and 8 at a time before them
				high |= word8(t[len(t)-8:])
				for ; len(t) > 8; t = t[8:] {
					high |= word8(t)
				}
			} else {
				for k := 0; k < len(t); k++ {
					high |= uint64(t[k])
				}
			}
			bytes += len(p.Text)
			tokens = addTokens(tokens, textTokens(len(p.Text)))
		}
		if high&0x8080808080808080 != 0 && !validTexts(m.Content) {
			return i
		}
		s.bytes, s.tokens = bytes, tokens
	}
	return len(ms)
}

// validTexts reports whether the text of every part is valid UTF-8; kept
// out of scanText's code.
//
//go:noinline
func validTexts(parts []Part) bool {
	for j := range parts {
		if !validText(parts[j].Text) {
			return false
		}
	}
	return true
}

// scanRest checks and measures what follows the messages: tools, tool
// choice, response format, MaxOutputTokens, sampling, stop sequences,
// reasoning, overrides and policies, in that order.
func (r *Request) scanRest(s *requestScan) error {
	for i, t := range r.Tools {
		if t.Name == "" {
			return fieldErr("Tools", i, "Name", "empty")
		}
		for j := 0; j < i; j++ {
			if r.Tools[j].Name == t.Name {
				return fieldErr("Tools", i, "Name", "duplicate tool name "+strconv.Quote(t.Name))
			}
		}
		if !validText(t.Name) {
			return fieldErr("Tools", i, "Name", "not valid UTF-8")
		}
		if !validText(t.Description) {
			return fieldErr("Tools", i, "Description", "not valid UTF-8")
		}
		if len(t.Parameters) > 0 && !json.Valid(t.Parameters) {
			return fieldErr("Tools", i, "Parameters", "not valid JSON")
		}
		s.tokens = addTokens(s.tokens, toolTokens(&r.Tools[i]))
	}
	switch r.ToolChoice.Mode {
	case "", ToolAuto, ToolNone:
	case ToolRequired:
		if len(r.Tools) == 0 {
			return &RequestError{Field: "ToolChoice.Mode", Reason: `"required" but the request has no tools`}
		}
	case ToolForced:
		if !r.hasTool(r.ToolChoice.Name) {
			return &RequestError{Field: "ToolChoice.Name", Reason: "no tool named " + strconv.Quote(r.ToolChoice.Name)}
		}
	default:
		return &RequestError{Field: "ToolChoice.Mode", Reason: "unknown mode " + strconv.Quote(string(r.ToolChoice.Mode))}
	}
	switch r.ResponseFormat.Type {
	case "", FormatText, FormatJSON:
	case FormatJSONSchema:
		if len(r.ResponseFormat.Schema) == 0 {
			return &RequestError{Field: "ResponseFormat.Schema", Reason: "empty: json_schema needs a schema"}
		}
		if !json.Valid(r.ResponseFormat.Schema) {
			return &RequestError{Field: "ResponseFormat.Schema", Reason: "not valid JSON"}
		}
	default:
		return &RequestError{Field: "ResponseFormat.Type", Reason: "unknown type " + strconv.Quote(string(r.ResponseFormat.Type))}
	}
	if r.MaxOutputTokens < 0 {
		return &RequestError{Field: "MaxOutputTokens", Reason: "negative: " + strconv.Itoa(r.MaxOutputTokens)}
	}
	if r.MaxOutputTokens > MaxRequestTokens {
		return &RequestError{Field: "MaxOutputTokens", Reason: strconv.Itoa(r.MaxOutputTokens) + " is above MaxRequestTokens (" + strconv.Itoa(MaxRequestTokens) + ")"}
	}
	if t := r.Temperature; t != nil && (math.IsNaN(*t) || *t < 0 || *t > 2) {
		return &RequestError{Field: "Temperature", Reason: "must be between 0 and 2"}
	}
	if p := r.TopP; p != nil && (math.IsNaN(*p) || *p < 0 || *p > 1) {
		return &RequestError{Field: "TopP", Reason: "must be between 0 and 1"}
	}
	for i, stop := range r.Stop {
		if stop == "" || !validText(stop) {
			return &RequestError{Field: "Stop[" + strconv.Itoa(i) + "]", Reason: "empty or not valid UTF-8"}
		}
	}
	if err := r.Reasoning.validate(); err != nil {
		return err
	}
	if err := r.validateOverrides(); err != nil {
		return err
	}
	for i, p := range r.Policies {
		if p.Check == nil {
			return &RequestError{Field: "Policies[" + strconv.Itoa(i) + "]", Reason: "policy " + strconv.Quote(p.Name) + " has no Check"}
		}
	}
	return nil
}

// MaxFallbacks bounds the fallback routes one request may name
// (Request.Fallback).
const MaxFallbacks = 8

// validateOverrides checks the request's overrides of the router's
// settings: Timeouts, MaxAttempts and Fallback.
func (r *Request) validateOverrides() error {
	if t := r.Timeouts; t != nil {
		for _, f := range [...]struct {
			name string
			d    time.Duration
		}{{"Total", t.Total}, {"Attempt", t.Attempt}, {"FirstToken", t.FirstToken}, {"Idle", t.Idle}} {
			if f.d < 0 {
				return &RequestError{Field: "Timeouts." + f.name, Reason: "negative: " + f.d.String()}
			}
			if f.d > 0 && f.d < time.Millisecond {
				return &RequestError{Field: "Timeouts." + f.name, Reason: f.d.String() + " is under a millisecond; use zero for the router's"}
			}
		}
	}
	if r.MaxAttempts < 0 {
		return &RequestError{Field: "MaxAttempts", Reason: "negative: " + strconv.Itoa(r.MaxAttempts)}
	}
	if len(r.Fallback) > MaxFallbacks {
		return &RequestError{Field: "Fallback", Reason: strconv.Itoa(len(r.Fallback)) + " names, above MaxFallbacks (" + strconv.Itoa(MaxFallbacks) + ")"}
	}
	for i, name := range r.Fallback {
		field := "Fallback[" + strconv.Itoa(i) + "]"
		switch {
		case name == "":
			return &RequestError{Field: field, Reason: "empty"}
		case name == r.Model:
			return &RequestError{Field: field, Reason: "names the request's own Model " + strconv.Quote(name)}
		case slices.Contains(r.Fallback[:i], name):
			return &RequestError{Field: field, Reason: "duplicate " + strconv.Quote(name)}
		}
	}
	return nil
}

// validateMessage checks message i, adding its measures to s: any message,
// where scanText takes plain text only.
func (r *Request) validateMessage(i int, s *requestScan) error {
	m := &r.Messages[i]
	switch m.Role {
	case RoleSystem, RoleDeveloper, RoleUser, RoleAssistant, RoleTool:
	case "":
		return fieldErr("Messages", i, "Role", "empty")
	default:
		return fieldErr("Messages", i, "Role", "unknown role "+strconv.Quote(string(m.Role)))
	}
	for j := range m.Content {
		p := &m.Content[j]
		switch p.Type {
		case PartText:
			if !validText(p.Text) {
				return fieldErr("Messages", i, partField(j, ".Text"), "not valid UTF-8")
			}
			s.bytes += len(p.Text)
		case PartImage:
			if m.Role != RoleUser {
				return fieldErr("Messages", i, partField(j, ""), "images are allowed in user messages only")
			}
			if p.Image == nil || (p.Image.URL == "" && len(p.Image.Data) == 0) {
				return fieldErr("Messages", i, partField(j, ".Image"), "needs a URL or Data")
			}
			if len(p.Image.Data) > 0 && p.Image.MediaType == "" {
				return fieldErr("Messages", i, partField(j, ".Image.MediaType"), "empty: inline image data needs a media type")
			}
			s.bytes += len(p.Image.Data)
			s.needs |= CapVision
			if s.needs&CapImageURL == 0 && p.Image.IsWebURL() {
				s.needs |= CapImageURL
			}
		default:
			return fieldErr("Messages", i, partField(j, ".Type"), "unknown part type "+strconv.Quote(string(p.Type)))
		}
		if p.Cache != nil && p.Cache.TTL < 0 {
			return fieldErr("Messages", i, partField(j, ".Cache.TTL"), "negative")
		}
		s.tokens = addTokens(s.tokens, partTokens(p))
	}
	s.tokens = addTokens(s.tokens, tokensPerMessage)
	if len(m.Reasoning) > 0 {
		if m.Role != RoleAssistant {
			return fieldErr("Messages", i, "Reasoning", "only assistant messages carry reasoning")
		}
		s.reasoning = true
	}
	if len(m.ToolCalls) > 0 && m.Role != RoleAssistant {
		return fieldErr("Messages", i, "ToolCalls", "only assistant messages make tool calls")
	}
	for j, c := range m.ToolCalls {
		if c.ID == "" || c.Name == "" {
			return fieldErr("Messages", i, "ToolCalls["+strconv.Itoa(j)+"]", "needs an ID and a Name")
		}
		if c.Arguments != "" && !json.Valid([]byte(c.Arguments)) {
			return fieldErr("Messages", i, "ToolCalls["+strconv.Itoa(j)+"].Arguments", "not valid JSON")
		}
		s.tokens = addTokens(s.tokens, toolCallTokens(&m.ToolCalls[j]))
		s.bytes += len(c.Arguments)
	}
	switch {
	case m.Role == RoleTool:
		if m.ToolCallID == "" {
			return fieldErr("Messages", i, "ToolCallID", "empty: a tool message answers a tool call")
		}
		if !r.calledBefore(i, m.ToolCallID) {
			return fieldErr("Messages", i, "ToolCallID", "no earlier assistant message made call "+strconv.Quote(m.ToolCallID))
		}
	case m.ToolCallID != "":
		return fieldErr("Messages", i, "ToolCallID", "set on a "+string(m.Role)+" message; only tool messages answer calls")
	case len(m.Content) == 0 && len(m.ToolCalls) == 0:
		return fieldErr("Messages", i, "Content", "empty")
	}
	return nil
}

// calledBefore reports whether an assistant message before index i made the
// tool call id.
func (r *Request) calledBefore(i int, id string) bool {
	for k := i - 1; k >= 0; k-- {
		for _, c := range r.Messages[k].ToolCalls {
			if c.ID == id {
				return true
			}
		}
	}
	return false
}

func (r *Request) hasTool(name string) bool {
	for _, t := range r.Tools {
		if t.Name == name {
			return true
		}
	}
	return false
}

// partField names field of content part j, built only on failure.
func partField(j int, field string) string { return "Content[" + strconv.Itoa(j) + "]" + field }

func fieldErr(list string, i int, field, reason string) error {
	return &RequestError{Field: list + "[" + strconv.Itoa(i) + "]." + field, Reason: reason}
}

// validText is utf8.ValidString, eight bytes at a time while they are
// ASCII (as prompts mostly are); from the first non-ASCII byte on,
// utf8.ValidString decides.
func validText(s string) bool {
	if len(s) < 8 {
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return utf8.ValidString(s[i:])
			}
		}
		return true
	}
	t := s // all bytes before t are ASCII
	for len(t) >= 16 {
		if !ascii8(t) || !ascii8(t[8:]) {
			return utf8.ValidString(t)
		}
		t = t[16:]
	}
	// Under 16 bytes left: their first eight, if more than eight are left,
	// and the last eight of s (overlapping bytes checked already).
	if (len(t) > 8 && !ascii8(t)) || !ascii8(s[len(s)-8:]) {
		return utf8.ValidString(t)
	}
	return true
}

// ascii8 reports whether the first eight bytes of s (at least eight) are
// ASCII, in one 64-bit load.
func ascii8(s string) bool { return word8(s)&0x8080808080808080 == 0 }

// word8 is the first eight bytes of s (at least eight), little-endian: one
// 64-bit load.
func word8(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
