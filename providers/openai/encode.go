package openai

import (
	"encoding/base64"
	"errors"
	"math"
	"strconv"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/jsonx"
)

// appendBody appends the JSON body of a chat request for deployment d. It
// writes the JSON by hand, in a fixed field order, allocating nothing but
// dst's growth. The router has validated req (llmrouter.Request.Validate).
func (p *Provider) appendBody(dst []byte, d *llmrouter.Deployment, req *llmrouter.Request, stream bool) ([]byte, error) {
	bp, pe := cacheBreakpoints(d, req)
	if pe != nil {
		return dst, pe
	}
	dst = append(dst, '{')
	if !p.omitModel {
		dst = appendString(append(dst, `"model":`...), d.UpstreamModel())
		dst = append(dst, ',')
	}
	dst = append(dst, `"messages":[`...)
	for i := range req.Messages {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = p.appendMessage(dst, &req.Messages[i], bp)
	}
	dst = append(dst, ']')

	if len(req.Tools) > 0 {
		dst = append(dst, `,"tools":[`...)
		for i := range req.Tools {
			t := &req.Tools[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(append(dst, `{"type":"function","function":{"name":`...), t.Name)
			if t.Description != "" {
				dst = appendString(append(dst, `,"description":`...), t.Description)
			}
			if raw := trimSpace(t.Parameters); len(raw) > 0 {
				dst = append(append(dst, `,"parameters":`...), raw...)
			}
			dst = append(dst, "}}"...)
		}
		dst = append(dst, ']')
		switch tc := req.ToolChoice; tc.Mode {
		case llmrouter.ToolAuto, llmrouter.ToolNone, llmrouter.ToolRequired:
			dst = append(append(append(dst, `,"tool_choice":"`...), tc.Mode...), '"')
		case llmrouter.ToolForced:
			dst = appendString(append(dst, `,"tool_choice":{"type":"function","function":{"name":`...), tc.Name)
			dst = append(dst, "}}"...)
		}
	}

	switch rf := &req.ResponseFormat; rf.Type {
	case llmrouter.FormatJSON:
		dst = append(dst, `,"response_format":{"type":"json_object"}`...)
	case llmrouter.FormatJSONSchema:
		name := rf.Name
		if name == "" {
			name = "response"
		}
		dst = appendString(append(dst, `,"response_format":{"type":"json_schema","json_schema":{"name":`...), name)
		if raw := trimSpace(rf.Schema); len(raw) > 0 {
			dst = append(append(dst, `,"schema":`...), raw...)
		}
		if rf.Strict {
			dst = append(dst, `,"strict":true`...)
		}
		dst = append(dst, "}}"...)
	}

	if req.MaxOutputTokens > 0 {
		dst = append(append(append(dst, `,"`...), p.maxTokens...), `":`...)
		dst = strconv.AppendInt(dst, int64(req.MaxOutputTokens), 10)
	}
	if req.Temperature != nil {
		if !finite(*req.Temperature) {
			return dst, errors.New("temperature is not a finite number")
		}
		dst = appendFloat(append(dst, `,"temperature":`...), *req.Temperature)
	}
	if req.TopP != nil {
		if !finite(*req.TopP) {
			return dst, errors.New("top_p is not a finite number")
		}
		dst = appendFloat(append(dst, `,"top_p":`...), *req.TopP)
	}
	if len(req.Stop) > 0 {
		dst = jsonx.AppendStrings(append(dst, `,"stop":`...), req.Stop)
	}
	if req.Seed != nil {
		dst = strconv.AppendInt(append(dst, `,"seed":`...), *req.Seed, 10)
	}
	if req.User != "" {
		dst = appendString(append(dst, `,"user":`...), req.User)
	}
	if req.CacheKey != "" && !p.noCacheKey {
		dst = appendString(append(dst, `,"prompt_cache_key":`...), req.CacheKey)
	}
	if req.Reasoning != nil {
		var err error
		if dst, err = p.appendReasoning(dst, req.Reasoning); err != nil {
			return dst, err
		}
	}
	if stream {
		dst = append(dst, `,"stream":true`...)
		if !p.noUsage {
			dst = append(dst, `,"stream_options":{"include_usage":true}`...)
		}
	}
	var err error
	if d.Extra != nil {
		dst, err = appendExtra(dst, d.Extra)
	}
	return append(dst, '}'), err
}

// appendMessage appends one message; with breakpoints, a message with a
// cache hint has its content sent as parts, the hinted ones marked.
func (p *Provider) appendMessage(dst []byte, m *llmrouter.Message, breakpoints bool) []byte {
	asParts := breakpoints && hasCacheHint(m.Content)
	role := m.Role
	if role == llmrouter.RoleDeveloper && (p.devSystem || p.azure && !azureTakesDeveloper(p.azureVer)) {
		role = llmrouter.RoleSystem
	}
	dst = appendString(append(dst, `{"role":`...), string(role))
	switch m.Role {
	case llmrouter.RoleTool:
		dst = appendString(append(dst, `,"tool_call_id":`...), m.ToolCallID)
		dst = appendContent(append(dst, `,"content":`...), m.Content, asParts, breakpoints)
	case llmrouter.RoleUser:
		dst = append(dst, `,"content":`...)
		if hasImage(m.Content) {
			dst = appendParts(dst, m.Content, true, breakpoints)
		} else {
			dst = appendContent(dst, m.Content, asParts, breakpoints)
		}
	case llmrouter.RoleAssistant:
		if len(m.ToolCalls) == 0 || hasText(m.Content) {
			dst = appendContent(append(dst, `,"content":`...), m.Content, asParts, breakpoints)
		}
		dst = p.appendReasoningContent(dst, m)
		dst = p.appendDetails(dst, m)
		if len(m.ToolCalls) > 0 {
			dst = append(dst, `,"tool_calls":[`...)
			for i := range m.ToolCalls {
				c := &m.ToolCalls[i]
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendString(append(dst, `{"id":`...), c.ID)
				dst = appendString(append(dst, `,"type":"function","function":{"name":`...), c.Name)
				args := c.Arguments
				if args == "" {
					args = "{}"
				}
				dst = appendString(append(dst, `,"arguments":`...), args)
				dst = append(dst, "}}"...)
			}
			dst = append(dst, ']')
		}
	default: // system, developer
		dst = appendContent(append(dst, `,"content":`...), m.Content, asParts, breakpoints)
	}
	return append(dst, '}')
}

// azureDeveloperSince is the first Azure OpenAI api-version whose
// chat-completions spec has the developer role: 2024-12-01-preview. Every
// earlier one, 2024-10-21 (GA) and 2024-10-01-preview included, lists
// system, user, assistant, tool and function only.
const azureDeveloperSince = "2024-12-01"

// azureTakesDeveloper reports whether the Azure deployments API at
// api-version v accepts role "developer": v is a dated version
// ("YYYY-MM-DD" or "YYYY-MM-DD-preview") dated azureDeveloperSince or
// later. Anything else (an earlier date, an unknown form) gets the developer
// message as a system one, which every api-version accepts. The v1 API
// (AzureV1) has no api-version and takes developer as OpenAI does.
func azureTakesDeveloper(v string) bool {
	date, rest := v, ""
	if len(v) > 10 {
		date, rest = v[:10], v[10:]
	}
	if rest != "" && rest != "-preview" || len(date) != 10 || date[4] != '-' || date[7] != '-' {
		return false
	}
	for i := range len(date) {
		if i != 4 && i != 7 && (date[i] < '0' || date[i] > '9') {
			return false
		}
	}
	return date >= azureDeveloperSince
}

func hasImage(parts []llmrouter.Part) bool {
	for i := range parts {
		if parts[i].Type == llmrouter.PartImage && parts[i].Image != nil {
			return true
		}
	}
	return false
}

func hasText(parts []llmrouter.Part) bool {
	for i := range parts {
		if parts[i].Type == llmrouter.PartText && parts[i].Text != "" {
			return true
		}
	}
	return false
}

// appendText appends the text parts joined, as one JSON string.
func appendText(dst []byte, parts []llmrouter.Part) []byte {
	dst = append(dst, '"')
	for i := range parts {
		if parts[i].Type == llmrouter.PartText {
			dst = appendEscaped(dst, parts[i].Text)
		}
	}
	return append(dst, '"')
}

// appendContent appends the text parts as one JSON string or, asParts, as
// an array of text parts (marking cache breakpoints).
func appendContent(dst []byte, parts []llmrouter.Part, asParts, breakpoints bool) []byte {
	if asParts {
		return appendParts(dst, parts, false, breakpoints)
	}
	return appendText(dst, parts)
}

// appendParts appends content parts as an array of text parts and, with
// images, image_url parts; with breakpoints, parts with a cache hint carry
// prompt_cache_breakpoint.
func appendParts(dst []byte, parts []llmrouter.Part, images, breakpoints bool) []byte {
	dst = append(dst, '[')
	n := 0
	for i := range parts {
		pt := &parts[i]
		switch {
		case pt.Type == llmrouter.PartText:
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(append(dst, `{"type":"text","text":`...), pt.Text)
			dst = append(appendBreakpoint(dst, pt, breakpoints), '}')
		case images && pt.Type == llmrouter.PartImage && pt.Image != nil:
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"type":"image_url","image_url":{"url":"`...)
			if img := pt.Image; len(img.Data) > 0 {
				dst = append(dst, "data:"...)
				dst = appendEscaped(dst, img.MediaType)
				dst = append(dst, ";base64,"...)
				dst = base64.StdEncoding.AppendEncode(dst, img.Data)
			} else {
				dst = appendEscaped(dst, img.URL)
			}
			dst = append(appendBreakpoint(append(dst, `"}`...), pt, breakpoints), '}')
		default:
			continue
		}
		n++
	}
	return append(dst, ']')
}

func appendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// appendString appends s as a JSON string.
func appendString(dst []byte, s string) []byte { return jsonx.AppendString(dst, s) }

// appendEscaped appends s escaped for the inside of a JSON string.
func appendEscaped(dst []byte, s string) []byte { return jsonx.AppendEscaped(dst, s) }

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// appendFloat appends f as encoding/json writes a float64.
func appendFloat(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// trimSpace trims JSON white space around raw.
func trimSpace(raw []byte) []byte {
	for len(raw) > 0 && isSpace(raw[0]) {
		raw = raw[1:]
	}
	for len(raw) > 0 && isSpace(raw[len(raw)-1]) {
		raw = raw[:len(raw)-1]
	}
	return raw
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
