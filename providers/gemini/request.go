package gemini

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// The request body of generateContent and streamGenerateContent.
type wireRequest struct {
	Contents          []wireContent   `json:"contents"`
	SystemInstruction *wireContent    `json:"systemInstruction,omitempty"`
	Tools             []wireTool      `json:"tools,omitempty"`
	ToolConfig        *wireToolConfig `json:"toolConfig,omitempty"`
	SafetySettings    []SafetySetting `json:"safetySettings,omitempty"`
	GenerationConfig  *wireGenConfig  `json:"generationConfig,omitempty"`
	CachedContent     string          `json:"cachedContent,omitempty"`
}

type wireContent struct {
	Role  string     `json:"role,omitempty"`
	Parts []wirePart `json:"parts"`
}

type wirePart struct {
	Text             string                `json:"text,omitempty"`
	InlineData       *wireBlob             `json:"inlineData,omitempty"`
	FileData         *wireFileData         `json:"fileData,omitempty"`
	FunctionCall     *wireFunctionCall     `json:"functionCall,omitempty"`
	FunctionResponse *wireFunctionResponse `json:"functionResponse,omitempty"`
	ThoughtSignature string                `json:"thoughtSignature,omitempty"`
}

type wireBlob struct {
	MIMEType string `json:"mimeType"`
	Data     []byte `json:"data"` // base64 on the wire
}

type wireFileData struct {
	MIMEType string `json:"mimeType,omitempty"`
	FileURI  string `json:"fileUri"`
}

type wireFunctionCall struct {
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

type wireFunctionResponse struct {
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type wireTool struct {
	FunctionDeclarations []wireFunctionDecl `json:"functionDeclarations"`
}

type wireFunctionDecl struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	Parameters           json.RawMessage `json:"parameters,omitempty"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"`
}

type wireToolConfig struct {
	FunctionCallingConfig wireFunctionCallingConfig `json:"functionCallingConfig"`
}

type wireFunctionCallingConfig struct {
	Mode                 string   `json:"mode"`
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
}

type wireGenConfig struct {
	MaxOutputTokens    int             `json:"maxOutputTokens,omitempty"`
	Temperature        *float64        `json:"temperature,omitempty"`
	TopP               *float64        `json:"topP,omitempty"`
	StopSequences      []string        `json:"stopSequences,omitempty"`
	Seed               *int32          `json:"seed,omitempty"`
	ResponseMIMEType   string          `json:"responseMimeType,omitempty"`
	ResponseSchema     json.RawMessage `json:"responseSchema,omitempty"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema,omitempty"`
	ThinkingConfig     *ThinkingConfig `json:"thinkingConfig,omitempty"`
}

// encodeRequest returns the JSON body for req sent to d. A request that
// cannot be expressed (a tool result for an unknown call, a bad image, an
// invalid schema) is a KindBadRequest error; nothing is sent. A request
// that is not at fault but that Gemini cannot carry (an image URL it does
// not fetch, a schema outside the OpenAPI subset with WithOpenAPISchemas)
// is one of ClassFailover, so that the route moves on.
func (p *Provider) encodeRequest(d *llmrouter.Deployment, req *llmrouter.Request) ([]byte, *llmrouter.ProviderError) {
	x := extraOf(d)
	w := wireRequest{Contents: make([]wireContent, 0, len(req.Messages)), CachedContent: x.CachedContent}
	sig := ""
	if p.thoughtSig != "" && needsThoughtSignature(d.UpstreamModel()) {
		sig = p.thoughtSig
	}

	names := map[string]string{} // tool call id -> function name
	var system []wirePart
	lastResult := false // the last content holds tool results
	for i := range req.Messages {
		m := &req.Messages[i]
		field := "Messages[" + strconv.Itoa(i) + "]"
		var role string
		var parts []wirePart
		switch m.Role {
		case llmrouter.RoleSystem, llmrouter.RoleDeveloper:
			for _, c := range m.Content {
				if c.Type == llmrouter.PartText && c.Text != "" {
					system = append(system, wirePart{Text: c.Text})
				}
			}
			continue
		case llmrouter.RoleUser:
			role = "user"
			ps, err := encodeParts(m.Content, field)
			if err != nil {
				return nil, err
			}
			parts = ps
		case llmrouter.RoleAssistant:
			role = "model"
			ps, err := encodeParts(m.Content, field)
			if err != nil {
				return nil, err
			}
			parts = ps
			for j, tc := range m.ToolCalls {
				if tc.Name == "" {
					return nil, badRequest(field + ".ToolCalls[" + strconv.Itoa(j) + "].Name is empty")
				}
				if tc.ID != "" {
					names[tc.ID] = tc.Name
				}
				part := wirePart{FunctionCall: &wireFunctionCall{Name: tc.Name, Args: argsObject(tc.Arguments)}}
				switch {
				case tc.Signature != "":
					part.ThoughtSignature = tc.Signature // the model's own, as issued
				case j == 0:
					part.ThoughtSignature = sig // the documented fallback
				}
				parts = append(parts, part)
			}
		case llmrouter.RoleTool:
			role = "user"
			name, ok := names[m.ToolCallID]
			if !ok {
				return nil, badRequest(field + ": tool result for unknown tool call id " + strconv.Quote(m.ToolCallID) +
					" (Gemini needs the function name, taken from the assistant message that made the call)")
			}
			parts = []wirePart{{FunctionResponse: &wireFunctionResponse{Name: name, Response: responseObject(m.Text())}}}
		default:
			return nil, badRequest(field + ".Role " + strconv.Quote(string(m.Role)) + " is not supported")
		}
		if len(parts) == 0 {
			continue // Gemini rejects a turn without parts
		}
		// Merge consecutive messages of one role: the results of parallel
		// tool calls must share one turn. Tool results and user text stay
		// in separate turns, as Gemini's own SDKs send them.
		isResult := m.Role == llmrouter.RoleTool
		if n := len(w.Contents); n > 0 && w.Contents[n-1].Role == role && lastResult == isResult {
			w.Contents[n-1].Parts = append(w.Contents[n-1].Parts, parts...)
			continue
		}
		w.Contents = append(w.Contents, wireContent{Role: role, Parts: parts})
		lastResult = isResult
	}
	if len(system) > 0 {
		w.SystemInstruction = &wireContent{Parts: system}
	}

	if len(req.Tools) > 0 {
		decls := make([]wireFunctionDecl, len(req.Tools))
		for i, t := range req.Tools {
			decls[i] = wireFunctionDecl{Name: t.Name, Description: t.Description}
			if len(t.Parameters) > 0 {
				if !json.Valid(t.Parameters) {
					return nil, badRequest("Tools[" + strconv.Itoa(i) + "].Parameters is not valid JSON")
				}
				if p.openAPI {
					s, err := openAPISchema("Tools["+strconv.Itoa(i)+"].Parameters", t.Parameters)
					if err != nil {
						return nil, schemaError(err)
					}
					decls[i].Parameters = s
				} else {
					decls[i].ParametersJSONSchema = t.Parameters
				}
			}
		}
		w.Tools = []wireTool{{FunctionDeclarations: decls}}
		switch req.ToolChoice.Mode {
		case llmrouter.ToolNone:
			w.ToolConfig = &wireToolConfig{wireFunctionCallingConfig{Mode: "NONE"}}
		case llmrouter.ToolRequired:
			w.ToolConfig = &wireToolConfig{wireFunctionCallingConfig{Mode: "ANY"}}
		case llmrouter.ToolForced:
			w.ToolConfig = &wireToolConfig{wireFunctionCallingConfig{Mode: "ANY", AllowedFunctionNames: []string{req.ToolChoice.Name}}}
		case llmrouter.ToolAuto:
			w.ToolConfig = &wireToolConfig{wireFunctionCallingConfig{Mode: "AUTO"}}
		case "":
			// The zero choice: Gemini's default, AUTO.
		default:
			return nil, badRequest("ToolChoice.Mode " + strconv.Quote(string(req.ToolChoice.Mode)) + " is not supported")
		}
	}

	w.SafetySettings = p.safety
	if x.SafetySettings != nil {
		w.SafetySettings = x.SafetySettings
	}

	g := wireGenConfig{
		MaxOutputTokens: req.MaxOutputTokens,
		Temperature:     req.Temperature,
		TopP:            req.TopP,
		StopSequences:   req.Stop,
		ThinkingConfig:  thinkingConfig(x.Thinking, req.Reasoning, d.UpstreamModel()),
	}
	if req.Seed != nil {
		s := int32(*req.Seed) // Gemini's seed is 32 bits: larger seeds are folded
		g.Seed = &s
	}
	switch req.ResponseFormat.Type {
	case llmrouter.FormatJSON:
		g.ResponseMIMEType = "application/json"
	case llmrouter.FormatJSONSchema:
		g.ResponseMIMEType = "application/json"
		if s := req.ResponseFormat.Schema; len(s) > 0 {
			if !json.Valid(s) {
				return nil, badRequest("ResponseFormat.Schema is not valid JSON")
			}
			if p.openAPI {
				conv, err := openAPISchema("ResponseFormat.Schema", s)
				if err != nil {
					return nil, schemaError(err)
				}
				g.ResponseSchema = conv
			} else {
				g.ResponseJSONSchema = s
			}
		}
	}
	if g.MaxOutputTokens != 0 || g.Temperature != nil || g.TopP != nil || len(g.StopSequences) > 0 || g.Seed != nil ||
		g.ResponseMIMEType != "" || g.ThinkingConfig != nil {
		w.GenerationConfig = &g
	}

	b, err := json.Marshal(&w)
	if err != nil {
		return nil, badRequest("cannot encode the request: " + err.Error())
	}
	return wire.MergeExtra(b, req, Name)
}

// needsThoughtSignature reports whether model may validate thought
// signatures on replayed function calls: any model but gemini-1.x and
// gemini-2.x (and Gemma), which do not.
func needsThoughtSignature(model string) bool {
	m := strings.ToLower(model[strings.LastIndexByte(model, '/')+1:])
	return !(strings.HasPrefix(m, "gemini-1") || strings.HasPrefix(m, "gemini-2") || strings.HasPrefix(m, "gemma"))
}

// encodeParts converts text and image parts.
func encodeParts(content []llmrouter.Part, field string) ([]wirePart, *llmrouter.ProviderError) {
	parts := make([]wirePart, 0, len(content))
	for j, c := range content {
		switch c.Type {
		case llmrouter.PartText, "":
			if c.Text != "" {
				parts = append(parts, wirePart{Text: c.Text})
			}
		case llmrouter.PartImage:
			wp, err := encodeImage(c.Image)
			if err != nil {
				pe := badRequest(field + ".Content[" + strconv.Itoa(j) + "]: " + err.Error())
				if _, ok := err.(unfetchedURL); ok {
					pe.Code, pe.Class = "unsupported_input", llmrouter.ClassFailover
				}
				return nil, pe
			}
			parts = append(parts, wp)
		default:
			return nil, badRequest(field + ".Content[" + strconv.Itoa(j) + "].Type " + strconv.Quote(string(c.Type)) + " is not supported")
		}
	}
	return parts, nil
}

type imageError string

func (e imageError) Error() string { return string(e) }

// unfetchedURL is an image URL Gemini does not fetch: not the request's
// fault, and a provider that reads its scheme (Bedrock reads s3://) may
// take it, so it fails over.
type unfetchedURL string

func (e unfetchedURL) Error() string { return string(e) }

// encodeImage returns inlineData for bytes and data: URLs, fileData for
// http and https URLs (its mimeType from Image.MediaType or the URL's
// extension): Gemini fetches public and signed http(s) URLs, and Files API
// URIs are https. URLs of other schemes (s3://, gs://) are unfetchedURL.
func encodeImage(img *llmrouter.Image) (wirePart, error) {
	switch {
	case img == nil:
		return wirePart{}, imageError("image part without an image")
	case len(img.Data) > 0:
		if img.MediaType == "" {
			return wirePart{}, imageError("image data without a media type")
		}
		return wirePart{InlineData: &wireBlob{MIMEType: img.MediaType, Data: img.Data}}, nil
	case strings.HasPrefix(img.URL, "data:"):
		mt, data, err := parseDataURL(img.URL)
		if err != nil {
			return wirePart{}, err
		}
		return wirePart{InlineData: &wireBlob{MIMEType: mt, Data: data}}, nil
	case img.IsWebURL():
		mt := img.MediaType
		if mt == "" {
			mt = mediaTypeOf(img.URL)
		}
		return wirePart{FileData: &wireFileData{MIMEType: mt, FileURI: img.URL}}, nil
	case img.URL != "":
		return wirePart{}, unfetchedURL("Gemini fetches only http and https image URLs (gs:// objects must be registered with the Files API first); send the image bytes (Data or a data: URL)")
	}
	return wirePart{}, imageError("image without URL or data")
}

// parseDataURL decodes a base64 data: URL.
func parseDataURL(u string) (string, []byte, error) {
	meta, data, ok := strings.Cut(strings.TrimPrefix(u, "data:"), ",")
	if !ok {
		return "", nil, imageError("malformed data: URL")
	}
	mt, isB64 := strings.CutSuffix(meta, ";base64")
	if !isB64 {
		return "", nil, imageError("data: URL is not base64")
	}
	if mt == "" {
		return "", nil, imageError("data: URL without a media type")
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(data, "=")); err != nil {
			return "", nil, imageError("data: URL has invalid base64")
		}
	}
	return mt, b, nil
}

// mediaTypeOf guesses an image's media type from its URL's extension, or
// returns "" (Gemini then infers it, where it can).
func mediaTypeOf(raw string) string {
	p := raw
	if u, err := url.Parse(raw); err == nil {
		p = u.Path
	}
	switch ext := strings.ToLower(path.Ext(p)); ext {
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".webp":
		return "image/webp"
	case ".gif":
		return "image/gif"
	case ".heic":
		return "image/heic"
	case ".heif":
		return "image/heif"
	case "":
		return ""
	default:
		if t := mime.TypeByExtension(ext); strings.HasPrefix(t, "image/") {
			return t
		}
	}
	return ""
}

// argsObject returns a tool call's arguments as the JSON object Gemini
// wants: empty is {}, and text that is not a JSON object is wrapped as
// {"arguments": "<text>"}.
func argsObject(args string) json.RawMessage {
	t := strings.TrimSpace(args)
	if t == "" {
		return json.RawMessage("{}")
	}
	if t[0] == '{' && json.Valid([]byte(t)) {
		return json.RawMessage(t)
	}
	b, _ := json.Marshal(map[string]string{"arguments": args})
	return b
}

// responseObject returns a tool result as functionResponse.response: a
// JSON object is passed as is, anything else is wrapped as
// {"content": ...} (JSON values as values, other text as a string).
func responseObject(content string) json.RawMessage {
	t := strings.TrimSpace(content)
	if t != "" && json.Valid([]byte(t)) {
		if t[0] == '{' {
			return json.RawMessage(t)
		}
		return json.RawMessage(`{"content":` + t + `}`)
	}
	b, _ := json.Marshal(map[string]string{"content": content})
	return b
}

func badRequest(msg string) *llmrouter.ProviderError {
	return &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Code: "invalid_request", Message: msg}
}
