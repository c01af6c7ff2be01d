package anthropic

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// The wire request of POST /v1/messages, as far as the adapter sends it.
type wireRequest struct {
	Model         string          `json:"model"`
	MaxTokens     int             `json:"max_tokens"`
	Thinking      *wireThinking   `json:"thinking,omitempty"`
	System        any             `json:"system,omitempty"` // string or []wireBlock
	Messages      []wireMessage   `json:"messages"`
	Tools         []wireTool      `json:"tools,omitempty"`
	ToolChoice    *wireToolChoice `json:"tool_choice,omitempty"`
	OutputConfig  *wireOutput     `json:"output_config,omitempty"`
	Temperature   *float64        `json:"temperature,omitempty"`
	TopP          *float64        `json:"top_p,omitempty"`
	TopK          int             `json:"top_k,omitempty"`
	StopSequences []string        `json:"stop_sequences,omitempty"`
	Metadata      *wireMetadata   `json:"metadata,omitempty"`
	Stream        bool            `json:"stream,omitempty"`
}

type wireMessage struct {
	Role    string      `json:"role"`
	Content []wireBlock `json:"content"`
}

// wireBlock is a request content block: text, image, tool_use or
// tool_result.
type wireBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	Thinking  *string         `json:"thinking,omitempty"` // thinking: present even when empty
	Signature string          `json:"signature,omitempty"`
	Data      string          `json:"data,omitempty"` // redacted_thinking
	Source    *wireSource     `json:"source,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   any             `json:"content,omitempty"` // tool_result: string or []wireBlock

	CacheControl *wireCacheControl `json:"cache_control,omitempty"`
}

type wireSource struct {
	Type      string `json:"type"` // base64 or url
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type wireTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type wireToolChoice struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

type wireOutput struct {
	Format *wireFormat `json:"format,omitempty"`
	Effort string      `json:"effort,omitempty"`
}

type wireFormat struct {
	Type   string          `json:"type"`
	Schema json.RawMessage `json:"schema"`
}

type wireMetadata struct {
	UserID string `json:"user_id"`
}

// jsonInstruction is added to the system prompt when JSON is asked for and
// the API cannot enforce it.
const jsonInstruction = "Respond with a single valid JSON object and nothing else: no prose, no code fences."

var emptyObjectSchema = json.RawMessage(`{"type":"object"}`)

// encodeRequest builds the JSON body for req sent to deployment d.
func encodeRequest(req *llmrouter.Request, d *llmrouter.Deployment, s *Settings, defMax int, stream bool) ([]byte, *llmrouter.ProviderError) {
	w := wireRequest{
		Model:         d.UpstreamModel(),
		MaxTokens:     maxTokens(req, d, defMax),
		Messages:      make([]wireMessage, 0, len(req.Messages)),
		Temperature:   req.Temperature,
		TopP:          req.TopP,
		StopSequences: stopSequences(req.Stop),
		Stream:        stream,
	}
	if s != nil && s.TopK > 0 {
		w.TopK = s.TopK
	}
	if req.User != "" {
		w.Metadata = &wireMetadata{UserID: req.User}
	}
	var system []wireBlock
	for i := range req.Messages {
		m := &req.Messages[i]
		switch m.Role {
		case llmrouter.RoleSystem, llmrouter.RoleDeveloper:
			if t := m.Text(); t != "" {
				cc, err := cacheControl(lastHint(m.Content), "Messages["+strconv.Itoa(i)+"]")
				if err != nil {
					return nil, err
				}
				system = append(system, wireBlock{Type: "text", Text: t, CacheControl: cc})
			}
			continue
		}
		if err := appendMessage(&w, m, i); err != nil {
			return nil, err
		}
	}
	text := func(t string) wireBlock { return wireBlock{Type: "text", Text: t} }
	switch rf := req.ResponseFormat; rf.Type {
	case llmrouter.FormatJSON:
		system = append(system, text(jsonInstruction))
	case llmrouter.FormatJSONSchema:
		if s != nil && s.JSONSchemaInSystem || len(rf.Schema) == 0 {
			instr := jsonInstruction
			if len(rf.Schema) > 0 {
				instr = "Respond with a single valid JSON object matching this JSON Schema, and nothing else: no prose, no code fences.\n" + compact(rf.Schema)
			}
			system = append(system, text(instr))
		} else {
			w.OutputConfig = &wireOutput{Format: &wireFormat{Type: "json_schema", Schema: rf.Schema}}
		}
	}
	switch {
	case len(system) == 1 && system[0].CacheControl == nil:
		w.System = system[0].Text
	case len(system) > 0:
		w.System = system
	}
	if err := countBreakpoints(&w, system); err != nil {
		return nil, err
	}
	defaulted := req.MaxOutputTokens <= 0 && d.MaxOutputTokens <= 0
	if err := encodeReasoning(&w, req.Reasoning, s, defaulted); err != nil {
		return nil, err
	}
	if req.Extra[name] != nil {
		b, err := json.Marshal(&w)
		if err != nil {
			return nil, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Message: "encoding the request: " + err.Error()}
		}
		return wire.MergeExtra(b, req, name)
	}
	if len(req.Tools) > 0 {
		w.Tools = make([]wireTool, len(req.Tools))
		for i, t := range req.Tools {
			schema := t.Parameters
			if len(bytes.TrimSpace(schema)) == 0 {
				schema = emptyObjectSchema
			}
			w.Tools[i] = wireTool{Name: t.Name, Description: t.Description, InputSchema: schema}
		}
		switch tc := req.ToolChoice; tc.Mode {
		case llmrouter.ToolNone:
			w.ToolChoice = &wireToolChoice{Type: "none"}
		case llmrouter.ToolRequired:
			w.ToolChoice = &wireToolChoice{Type: "any"}
		case llmrouter.ToolForced:
			w.ToolChoice = &wireToolChoice{Type: "tool", Name: tc.Name}
		}
	}
	b, err := json.Marshal(&w)
	if err != nil {
		// Only a tool schema or a response schema that is not valid JSON
		// gets here.
		return nil, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Message: "encoding the request: " + err.Error()}
	}
	return b, nil
}

// stopSequences returns the stop sequences to send: stops without the
// whitespace-only ones, which the Messages API refuses ("each stop sequence
// must contain non-whitespace") with a 400 that would end the route. It
// returns stops itself when every one is kept; when none is, the result is
// empty and stop_sequences is omitted.
func stopSequences(stops []string) []string {
	if !slices.ContainsFunc(stops, blank) {
		return stops
	}
	return slices.Clip(slices.DeleteFunc(slices.Clone(stops), blank))
}

// blank reports whether s holds nothing but white space.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

// maxTokens is the max_tokens to send: the request's, else the
// deployment's, else the provider default.
func maxTokens(req *llmrouter.Request, d *llmrouter.Deployment, def int) int {
	switch {
	case req.MaxOutputTokens > 0:
		return req.MaxOutputTokens
	case d.MaxOutputTokens > 0:
		return d.MaxOutputTokens
	}
	return def
}

// appendMessage adds m (a user, assistant or tool message) to the
// conversation, merging it into the last turn when that has the same wire
// role.
func appendMessage(w *wireRequest, m *llmrouter.Message, idx int) *llmrouter.ProviderError {
	role := "user"
	var blocks []wireBlock
	switch m.Role {
	case llmrouter.RoleUser:
		var err *llmrouter.ProviderError
		if blocks, err = contentBlocks(m.Content, idx); err != nil {
			return err
		}
	case llmrouter.RoleAssistant:
		role = "assistant"
		blocks = reasoningBlocks(m) // thinking first, as the model wrote it
		for j, p := range m.Content {
			if p.Type == llmrouter.PartText && p.Text != "" {
				cc, err := cacheControl(p.Cache, "Messages["+strconv.Itoa(idx)+"]."+"Content["+strconv.Itoa(j)+"]")
				if err != nil {
					return err
				}
				blocks = append(blocks, wireBlock{Type: "text", Text: p.Text, CacheControl: cc})
			}
		}
		for _, tc := range m.ToolCalls {
			blocks = append(blocks, wireBlock{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: toolInput(tc.Arguments)})
		}
	case llmrouter.RoleTool:
		content, err := toolResultContent(m.Content, idx)
		if err != nil {
			return err
		}
		cc, cerr := cacheControl(lastHint(m.Content), "Messages["+strconv.Itoa(idx)+"]")
		if cerr != nil {
			return cerr
		}
		blocks = []wireBlock{{Type: "tool_result", ToolUseID: m.ToolCallID, Content: content, CacheControl: cc}}
	default:
		return &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest,
			Message: "Messages[" + strconv.Itoa(idx) + "].Role " + strconv.Quote(string(m.Role)) + " is not supported"}
	}
	if len(blocks) == 0 {
		return nil
	}
	if n := len(w.Messages); n > 0 && w.Messages[n-1].Role == role {
		last := &w.Messages[n-1]
		last.Content = append(last.Content, blocks...)
		if role == "user" {
			toolResultsFirst(last.Content)
		}
		return nil
	}
	w.Messages = append(w.Messages, wireMessage{Role: role, Content: blocks})
	return nil
}

// toolResultsFirst moves the tool_result blocks of a user turn before its
// other blocks, keeping each group's order, as the API requires.
func toolResultsFirst(bs []wireBlock) {
	seenOther := false
	for _, b := range bs {
		if b.Type != "tool_result" {
			seenOther = true
		} else if seenOther {
			goto reorder
		}
	}
	return
reorder:
	out := make([]wireBlock, 0, len(bs))
	for _, b := range bs {
		if b.Type == "tool_result" {
			out = append(out, b)
		}
	}
	for _, b := range bs {
		if b.Type != "tool_result" {
			out = append(out, b)
		}
	}
	copy(bs, out)
}

// contentBlocks converts the text and image parts of a user message.
func contentBlocks(parts []llmrouter.Part, idx int) ([]wireBlock, *llmrouter.ProviderError) {
	blocks := make([]wireBlock, 0, len(parts))
	for j, p := range parts {
		cc, err := cacheControl(p.Cache, "Messages["+strconv.Itoa(idx)+"].Content["+strconv.Itoa(j)+"]")
		if err != nil {
			return nil, err
		}
		switch p.Type {
		case llmrouter.PartText, "":
			if p.Text != "" {
				blocks = append(blocks, wireBlock{Type: "text", Text: p.Text, CacheControl: cc})
			}
		case llmrouter.PartImage:
			src, err := imageSource(p.Image)
			if err != nil {
				err.Message = "Messages[" + strconv.Itoa(idx) + "].Content[" + strconv.Itoa(j) + "]: " + err.Message
				return nil, err
			}
			blocks = append(blocks, wireBlock{Type: "image", Source: src, CacheControl: cc})
		default:
			return nil, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest,
				Message: "Messages[" + strconv.Itoa(idx) + "].Content[" + strconv.Itoa(j) + "]: unsupported part type " + strconv.Quote(string(p.Type))}
		}
	}
	return blocks, nil
}

// lastHint is the last cache hint among parts, or nil: a message sent as
// one block carries it.
func lastHint(parts []llmrouter.Part) *llmrouter.CacheHint {
	for i := len(parts) - 1; i >= 0; i-- {
		if parts[i].Cache != nil {
			return parts[i].Cache
		}
	}
	return nil
}

// toolResultContent is a tool_result's content: a string when the result is
// text only, else text and image blocks.
func toolResultContent(parts []llmrouter.Part, idx int) (any, *llmrouter.ProviderError) {
	textOnly := true
	for _, p := range parts {
		if p.Type == llmrouter.PartImage {
			textOnly = false
		}
	}
	if textOnly {
		m := llmrouter.Message{Content: parts}
		return m.Text(), nil
	}
	blocks, err := contentBlocks(parts, idx)
	for i := range blocks {
		blocks[i].CacheControl = nil // the tool_result block carries it
	}
	return blocks, err
}

// imageSource converts an image to a base64 source (inline data, data:
// URLs) or a url source (http and https URLs, which Anthropic fetches).
func imageSource(img *llmrouter.Image) (*wireSource, *llmrouter.ProviderError) {
	switch {
	case img == nil:
		return nil, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Message: "image part without an image"}
	case len(img.Data) > 0:
		if img.MediaType == "" {
			return nil, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Message: "inline image without a media type"}
		}
		return &wireSource{Type: "base64", MediaType: img.MediaType, Data: base64.StdEncoding.EncodeToString(img.Data)}, nil
	case strings.HasPrefix(img.URL, "data:"):
		// data:[<media type>][;base64],<data>
		meta, data, ok := strings.Cut(img.URL[len("data:"):], ",")
		mediaType, isBase64 := strings.CutSuffix(meta, ";base64")
		if !ok || !isBase64 || mediaType == "" {
			return nil, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Message: "image data: URL must be base64 with a media type"}
		}
		if i := strings.IndexByte(mediaType, ';'); i >= 0 {
			mediaType = mediaType[:i]
		}
		return &wireSource{Type: "base64", MediaType: mediaType, Data: data}, nil
	case img.IsWebURL():
		return &wireSource{Type: "url", URL: img.URL}, nil
	case img.URL != "":
		// Not the request's fault: a provider that reads this scheme
		// (Bedrock reads s3://) may take it.
		return nil, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Class: llmrouter.ClassFailover, Code: "unsupported_input",
			Message: "the Messages API fetches only http and https image URLs; send the image bytes (Data or a data: URL)"}
	}
	return nil, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Message: "image without URL or data"}
}

// toolInput is a tool call's arguments as the JSON object the API wants
// for input: empty or invalid arguments (a model's truncated call, say)
// become {} rather than failing the whole request.
func toolInput(args string) json.RawMessage {
	b := []byte(strings.TrimSpace(args))
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return json.RawMessage("{}")
	}
	return b
}

// compact returns the JSON text of raw without insignificant space.
func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
