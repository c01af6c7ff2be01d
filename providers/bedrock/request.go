package bedrock

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// The Converse request body. Field order is the wire order.
type converseRequest struct {
	Messages                     []message        `json:"messages"`
	System                       []systemBlock    `json:"system,omitempty"`
	InferenceConfig              *inferenceConfig `json:"inferenceConfig,omitempty"`
	ToolConfig                   *toolConfig      `json:"toolConfig,omitempty"`
	OutputConfig                 *outputConfig    `json:"outputConfig,omitempty"`
	GuardrailConfig              *guardrailConfig `json:"guardrailConfig,omitempty"`
	AdditionalModelRequestFields json.RawMessage  `json:"additionalModelRequestFields,omitempty"`
}

type systemBlock struct {
	Text       string      `json:"text,omitempty"`
	CachePoint *cachePoint `json:"cachePoint,omitempty"`
}

type message struct {
	Role    string  `json:"role"`
	Content []block `json:"content"`
}

type block struct {
	ReasoningContent *reasoningBlock `json:"reasoningContent,omitempty"`
	CachePoint       *cachePoint     `json:"cachePoint,omitempty"`
	Text             string          `json:"text,omitempty"`
	Image            *imageBlock     `json:"image,omitempty"`
	ToolUse          *toolUseBlock   `json:"toolUse,omitempty"`
	ToolResult       *toolResultOut  `json:"toolResult,omitempty"`
}

type imageBlock struct {
	Format string      `json:"format"`
	Source imageSource `json:"source"`
}

type imageSource struct {
	// Bytes is the image, already base64-encoded (the JSON protocol's blob
	// encoding).
	Bytes      string      `json:"bytes,omitempty"`
	S3Location *s3Location `json:"s3Location,omitempty"`
}

type s3Location struct {
	URI string `json:"uri"`
}

type toolUseBlock struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type toolResultOut struct {
	ToolUseID string              `json:"toolUseId"`
	Content   []toolResultContent `json:"content"`
}

type toolResultContent struct {
	Text  *string     `json:"text,omitempty"`
	Image *imageBlock `json:"image,omitempty"`
}

type inferenceConfig struct {
	MaxTokens     int      `json:"maxTokens,omitempty"`
	Temperature   *float64 `json:"temperature,omitempty"`
	TopP          *float64 `json:"topP,omitempty"`
	StopSequences []string `json:"stopSequences,omitempty"`
}

type toolConfig struct {
	Tools      []toolSpecWrap `json:"tools"`
	ToolChoice *toolChoice    `json:"toolChoice,omitempty"`
}

type toolSpecWrap struct {
	ToolSpec toolSpec `json:"toolSpec"`
}

type toolSpec struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	InputSchema inputSchema `json:"inputSchema"`
}

type inputSchema struct {
	JSON json.RawMessage `json:"json"`
}

type empty struct{}

type toolChoice struct {
	Auto *empty          `json:"auto,omitempty"`
	Any  *empty          `json:"any,omitempty"`
	Tool *specificChoice `json:"tool,omitempty"`
}

type specificChoice struct {
	Name string `json:"name"`
}

type outputConfig struct {
	TextFormat *outputFormat `json:"textFormat,omitempty"`
	Effort     string        `json:"effort,omitempty"`
}

type outputFormat struct {
	Type      string          `json:"type"`
	Structure outputStructure `json:"structure"`
}

type outputStructure struct {
	JSONSchema jsonSchemaDef `json:"jsonSchema"`
}

type jsonSchemaDef struct {
	// Schema is the JSON Schema as a JSON-encoded string.
	Schema string `json:"schema"`
	Name   string `json:"name,omitempty"`
}

type guardrailConfig struct {
	GuardrailIdentifier  string `json:"guardrailIdentifier"`
	GuardrailVersion     string `json:"guardrailVersion"`
	Trace                string `json:"trace,omitempty"`
	StreamProcessingMode string `json:"streamProcessingMode,omitempty"`
}

// emptySchema is the input schema of a tool declared without parameters.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// The instructions asking for JSON when Converse cannot be told natively.
const (
	jsonInstruction       = "Respond with a single JSON object only, with no other text."
	jsonSchemaInstruction = "Respond with a single JSON object only, with no other text, matching this JSON Schema: "
)

// fieldError is a request the adapter cannot translate; field names the
// faulty field of the canonical request.
type fieldError struct {
	field, reason string
}

func (e *fieldError) Error() string { return e.field + ": " + e.reason }

// carriedElsewhere is a request that is not at fault but that Converse
// cannot carry (an http(s) image URL), which another provider may.
type carriedElsewhere struct{ fieldError }

// requestError classifies a request encodeRequest refused, before anything
// is sent: KindBadRequest, with ClassFailover when another provider may
// carry the request (the route moves on) and ClassStop when the request
// itself is at fault (no provider would take it).
func requestError(c *call, err error) *llmrouter.ProviderError {
	pe := c.fail(llmrouter.KindBadRequest, 0, "invalid_request", err.Error())
	pe.Class = llmrouter.ClassStop
	var ce *carriedElsewhere
	if errors.As(err, &ce) {
		pe.Code, pe.Class = "unsupported_input", llmrouter.ClassFailover
	}
	return pe
}

// encodeRequest returns the Converse (or ConverseStream) body for req sent
// to deployment d.
func encodeRequest(d *llmrouter.Deployment, req *llmrouter.Request, stream bool) ([]byte, error) {
	opts := deploymentOptions(d)
	var cr converseRequest
	hasToolBlocks := false

	for i := range req.Messages {
		m := &req.Messages[i]
		field := "Messages[" + strconv.Itoa(i) + "]"
		switch m.Role {
		case llmrouter.RoleSystem, llmrouter.RoleDeveloper:
			for j, part := range m.Content {
				if part.Type != llmrouter.PartText && part.Type != "" {
					return nil, &fieldError{field + ".Content[" + strconv.Itoa(j) + "]", "Bedrock system prompts take text only"}
				}
				if part.Text != "" {
					cr.System = append(cr.System, systemBlock{Text: part.Text})
				}
				cp, err := cachePointOf(part.Cache, field+".Content["+strconv.Itoa(j)+"]")
				if err != nil {
					return nil, err
				}
				if cp != nil {
					cr.System = append(cr.System, systemBlock{CachePoint: cp})
				}
			}
		case llmrouter.RoleUser:
			blocks, err := contentBlocks(nil, field, m.Content)
			if err != nil {
				return nil, err
			}
			cr.Messages = appendMessage(cr.Messages, "user", blocks)
		case llmrouter.RoleAssistant:
			blocks, err := contentBlocks(replayReasoning(m), field, m.Content)
			if err != nil {
				return nil, err
			}
			for j, tc := range m.ToolCalls {
				input := json.RawMessage(tc.Arguments)
				if strings.TrimSpace(tc.Arguments) == "" {
					input = json.RawMessage("{}")
				} else if !json.Valid(input) {
					return nil, &fieldError{field + ".ToolCalls[" + strconv.Itoa(j) + "].Arguments", "not valid JSON"}
				}
				blocks = append(blocks, block{ToolUse: &toolUseBlock{ToolUseID: tc.ID, Name: tc.Name, Input: input}})
				hasToolBlocks = true
			}
			cr.Messages = appendMessage(cr.Messages, "assistant", blocks)
		case llmrouter.RoleTool:
			tr := &toolResultOut{ToolUseID: m.ToolCallID}
			for j, part := range m.Content {
				switch part.Type {
				case llmrouter.PartImage:
					img, err := imageOf(field+".Content["+strconv.Itoa(j)+"]", part.Image)
					if err != nil {
						return nil, err
					}
					tr.Content = append(tr.Content, toolResultContent{Image: img})
				default:
					if part.Text != "" {
						t := part.Text
						tr.Content = append(tr.Content, toolResultContent{Text: &t})
					}
				}
			}
			if len(tr.Content) == 0 {
				t := ""
				tr.Content = append(tr.Content, toolResultContent{Text: &t})
			}
			trBlocks := []block{{ToolResult: tr}}
			for j := range m.Content {
				cp, err := cachePointOf(m.Content[j].Cache, field+".Content["+strconv.Itoa(j)+"]")
				if err != nil {
					return nil, err
				}
				if cp != nil {
					trBlocks = append(trBlocks, block{CachePoint: cp})
					break
				}
			}
			cr.Messages = appendMessage(cr.Messages, "user", trBlocks)
			hasToolBlocks = true
		default:
			return nil, &fieldError{field + ".Role", "unknown role " + strconv.Quote(string(m.Role))}
		}
	}

	if stops := stopSequences(req.Stop); req.MaxOutputTokens > 0 || req.Temperature != nil || req.TopP != nil || len(stops) > 0 {
		cr.InferenceConfig = &inferenceConfig{MaxTokens: req.MaxOutputTokens, Temperature: req.Temperature,
			TopP: req.TopP, StopSequences: stops}
	}

	if len(req.Tools) > 0 && (req.ToolChoice.Mode != llmrouter.ToolNone || hasToolBlocks) {
		tc := &toolConfig{Tools: make([]toolSpecWrap, len(req.Tools))}
		for i, t := range req.Tools {
			schema := emptySchema
			if len(bytes.TrimSpace(t.Parameters)) > 0 {
				if !json.Valid(t.Parameters) {
					return nil, &fieldError{"Tools[" + strconv.Itoa(i) + "].Parameters", "not valid JSON"}
				}
				schema = t.Parameters
			}
			tc.Tools[i].ToolSpec = toolSpec{Name: t.Name, Description: t.Description, InputSchema: inputSchema{JSON: schema}}
		}
		switch req.ToolChoice.Mode {
		case llmrouter.ToolRequired:
			tc.ToolChoice = &toolChoice{Any: &empty{}}
		case llmrouter.ToolForced:
			if req.ToolChoice.Name == "" {
				return nil, &fieldError{"ToolChoice.Name", "required with ToolForced"}
			}
			tc.ToolChoice = &toolChoice{Tool: &specificChoice{Name: req.ToolChoice.Name}}
		}
		// ToolAuto is Converse's default and is left implicit: several
		// models accept tools but no toolChoice at all.
		cr.ToolConfig = tc
	}

	switch req.ResponseFormat.Type {
	case llmrouter.FormatJSON:
		cr.System = append(cr.System, systemBlock{Text: jsonInstruction})
	case llmrouter.FormatJSONSchema:
		schema := bytes.TrimSpace(req.ResponseFormat.Schema)
		if len(schema) == 0 {
			return nil, &fieldError{"ResponseFormat.Schema", "required with json_schema"}
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, schema); err != nil {
			return nil, &fieldError{"ResponseFormat.Schema", "not valid JSON"}
		}
		if opts.JSONMode == JSONPrompt {
			cr.System = append(cr.System, systemBlock{Text: jsonSchemaInstruction + compact.String()})
		} else {
			cr.OutputConfig = &outputConfig{TextFormat: &outputFormat{Type: "json_schema",
				Structure: outputStructure{JSONSchema: jsonSchemaDef{Schema: compact.String(), Name: req.ResponseFormat.Name}}}}
		}
	}

	if g := opts.Guardrail; g != nil {
		cr.GuardrailConfig = &guardrailConfig{GuardrailIdentifier: g.Identifier, GuardrailVersion: g.Version, Trace: g.Trace}
		if stream {
			cr.GuardrailConfig.StreamProcessingMode = g.StreamProcessingMode
		}
	}
	if f := bytes.TrimSpace(opts.AdditionalModelRequestFields); len(f) > 0 {
		if !json.Valid(f) {
			return nil, &fieldError{"Deployment.Extra.AdditionalModelRequestFields", "not valid JSON"}
		}
		cr.AdditionalModelRequestFields = f
	}
	if err := encodeReasoning(&cr, req.Reasoning, d.UpstreamModel()); err != nil {
		return nil, err
	}
	if err := countCachePoints(&cr); err != nil {
		return nil, err
	}
	if cr.Messages == nil {
		cr.Messages = []message{}
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&cr); err != nil {
		return nil, &fieldError{"Request", err.Error()}
	}
	b := buf.Bytes()
	b = b[:len(b)-1] // drop the Encoder's newline
	if req.Extra[ProviderName] != nil {
		merged, pe := wire.MergeExtra(b, req, ProviderName)
		if pe != nil {
			return nil, &fieldError{"Extra", pe.Message}
		}
		return merged, nil
	}
	return b, nil
}

// stopSequences returns the stop sequences to send: stops without the
// whitespace-only ones, which Converse refuses with a ValidationException
// (a 400 that would end the route). It returns stops itself when every one
// is kept; when none is, the result is empty and stopSequences (and, if
// nothing else is set, inferenceConfig) is omitted.
func stopSequences(stops []string) []string {
	if !slices.ContainsFunc(stops, blank) {
		return stops
	}
	return slices.Clip(slices.DeleteFunc(slices.Clone(stops), blank))
}

// blank reports whether s holds nothing but white space.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

// appendMessage adds blocks as a message of role, merged into the last
// message when it has the same role (Converse wants roles to alternate).
func appendMessage(msgs []message, role string, blocks []block) []message {
	if len(blocks) == 0 {
		return msgs
	}
	if n := len(msgs); n > 0 && msgs[n-1].Role == role {
		msgs[n-1].Content = append(msgs[n-1].Content, blocks...)
		return msgs
	}
	return append(msgs, message{Role: role, Content: blocks})
}

// contentBlocks appends the text and image parts of a message to blocks,
// skipping empty text (Converse rejects blank text blocks).
func contentBlocks(blocks []block, field string, parts []llmrouter.Part) ([]block, error) {
	for j, part := range parts {
		switch part.Type {
		case llmrouter.PartImage:
			img, err := imageOf(field+".Content["+strconv.Itoa(j)+"]", part.Image)
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, block{Image: img})
		case llmrouter.PartText, "":
			if part.Text != "" {
				blocks = append(blocks, block{Text: part.Text})
			}
		default:
			return nil, &fieldError{field + ".Content[" + strconv.Itoa(j) + "].Type", "unknown part type " + strconv.Quote(string(part.Type))}
		}
		cp, err := cachePointOf(part.Cache, field+".Content["+strconv.Itoa(j)+"]")
		if err != nil {
			return nil, err
		}
		if cp != nil {
			blocks = append(blocks, block{CachePoint: cp})
		}
	}
	return blocks, nil
}

// imageOf translates an image part: inline bytes, a base64 data: URL, or an
// s3:// location. Converse fetches no other URL: an http(s) (or any other)
// image URL is refused before sending with an error that fails over
// (requestError), since providers that fetch URLs can take the request.
func imageOf(field string, img *llmrouter.Image) (*imageBlock, error) {
	if img == nil {
		return nil, &fieldError{field + ".Image", "missing"}
	}
	if len(img.Data) > 0 {
		f, ok := imageFormat(img.MediaType)
		if !ok {
			return nil, &fieldError{field + ".Image.MediaType", "Bedrock takes image/png, image/jpeg, image/gif or image/webp, not " + strconv.Quote(img.MediaType)}
		}
		return &imageBlock{Format: f, Source: imageSource{Bytes: base64.StdEncoding.EncodeToString(img.Data)}}, nil
	}
	u := img.URL
	switch {
	case strings.HasPrefix(u, "data:"):
		meta, data, ok := strings.Cut(u[len("data:"):], ",")
		mt, isB64 := strings.CutSuffix(meta, ";base64")
		if !ok || !isB64 {
			return nil, &fieldError{field + ".Image.URL", "only base64 data: URLs are supported"}
		}
		if img.MediaType != "" {
			mt = img.MediaType
		}
		f, ok := imageFormat(mt)
		if !ok {
			return nil, &fieldError{field + ".Image.URL", "Bedrock takes image/png, image/jpeg, image/gif or image/webp, not " + strconv.Quote(mt)}
		}
		return &imageBlock{Format: f, Source: imageSource{Bytes: data}}, nil
	case strings.HasPrefix(u, "s3://"):
		f, ok := imageFormat(img.MediaType)
		if !ok && img.MediaType == "" {
			f, ok = imageFormat("image/" + strings.TrimPrefix(strings.ToLower(path.Ext(u)), "."))
		}
		if !ok {
			return nil, &fieldError{field + ".Image.MediaType", "cannot tell the image format of " + strconv.Quote(u) + "; set MediaType"}
		}
		return &imageBlock{Format: f, Source: imageSource{S3Location: &s3Location{URI: u}}}, nil
	case u == "":
		return nil, &fieldError{field + ".Image", "neither URL nor Data is set"}
	}
	return nil, &carriedElsewhere{fieldError{field + ".Image.URL",
		"Bedrock Converse does not fetch image URLs; send the image bytes (Data or a data: URL) or an s3:// URI"}}
}

// imageFormat maps a media type to Converse's image format.
func imageFormat(mediaType string) (string, bool) {
	mt, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(mediaType)), ";")
	switch mt {
	case "image/png":
		return "png", true
	case "image/jpeg", "image/jpg":
		return "jpeg", true
	case "image/gif":
		return "gif", true
	case "image/webp":
		return "webp", true
	}
	return "", false
}
