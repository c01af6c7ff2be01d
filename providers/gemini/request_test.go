package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/golden"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

// richRequest uses every feature the adapter encodes.
func richRequest() *llmrouter.Request {
	return &llmrouter.Request{
		Model: "route-name-never-sent",
		Messages: []llmrouter.Message{
			llmrouter.System("You are a travel assistant."),
			llmrouter.Developer("Answer in French."),
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{
				llmrouter.TextPart("What is the weather where these were taken?"),
				llmrouter.ImagePart("https://example.com/photos/paris.jpg?size=large"),
				{Type: llmrouter.PartImage, Image: &llmrouter.Image{Data: []byte("\x89PNG\r\n\x1a\n"), MediaType: "image/png"}},
				llmrouter.ImagePart("data:image/webp;base64,UklGRg=="),
			}},
			{Role: llmrouter.RoleAssistant, Content: []llmrouter.Part{llmrouter.TextPart("Let me check.")},
				ToolCalls: []llmrouter.ToolCall{
					{ID: "call_0", Name: "get_weather", Arguments: `{"city": "Paris"}`},
					{ID: "call_1", Name: "get_time", Arguments: ""},
				}},
			llmrouter.ToolResult("call_0", `{"temp_c": 21, "sky": "clear"}`),
			llmrouter.ToolResult("call_1", "14:05"),
			llmrouter.User("And tomorrow?"),
		},
		Tools: []llmrouter.Tool{
			{Name: "get_weather", Description: "Weather in a city.",
				Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}`)},
			{Name: "get_time", Description: "Local time."},
		},
		ToolChoice: llmrouter.ToolChoice{Mode: llmrouter.ToolForced, Name: "get_weather"},
		ResponseFormat: llmrouter.ResponseFormat{Type: llmrouter.FormatJSONSchema, Name: "forecast",
			Schema: json.RawMessage(`{"type":"object","properties":{"summary":{"type":"string"}},"required":["summary"]}`)},
		MaxOutputTokens: 256,
		Temperature:     llmrouter.Ptr(0.3),
		TopP:            llmrouter.Ptr(0.9),
		Seed:            llmrouter.Ptr(int64(42)),
		Stop:            []string{"END"},
	}
}

// recorded is one request as the server saw it.
type recorded struct {
	method, uri string
	header      http.Header
	body        []byte
}

func (r recorded) golden(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(r.method + " " + r.uri + "\n")
	keys := make([]string, 0, len(r.header))
	for k := range r.header {
		switch k {
		case "User-Agent", "Accept-Encoding", "Content-Length":
			continue // set by net/http
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.Join(r.header[k], ", ")
		v = strings.ReplaceAll(v, providertest.APIKey, "$API_KEY")
		b.WriteString(k + ": " + v + "\n")
	}
	b.WriteString("\n")
	if err := json.Indent(&b, r.body, "", "  "); err != nil {
		t.Fatalf("request body is not JSON: %v\n%s", err, r.body)
	}
	b.WriteString("\n")
	return b.Bytes()
}

// recordingProvider returns a provider whose server records each request
// and answers with a minimal complete answer.
func recordingProvider(t *testing.T, opts ...Option) (*Provider, *[]recorded) {
	var reqs []recorded
	p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		reqs = append(reqs, recorded{r.Method, r.URL.RequestURI(), r.Header.Clone(), body})
		if strings.Contains(r.URL.Path, ":stream") {
			writeSSE(w, "\r\n\r\n", confStreamText...)
			return
		}
		writeJSON(w, 200, confText)
	}, opts...)
	return p, &reqs
}

func TestGoldenRequests(t *testing.T) {
	p, reqs := recordingProvider(t, WithHeader("X-Goog-User-Project", "my-project"))
	d := deployment(p, "gemini-3-pro-preview")
	d.Extra = &Extra{
		SafetySettings: []SafetySetting{{Category: "HARM_CATEGORY_HARASSMENT", Threshold: "BLOCK_ONLY_HIGH"}},
		Thinking:       &ThinkingConfig{IncludeThoughts: true, ThinkingLevel: "low"},
	}
	if _, err := p.Chat(context.Background(), d, richRequest()); err != nil {
		t.Fatal(err)
	}
	st, err := p.Stream(context.Background(), d, richRequest())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := collect(t, st); err != nil {
		t.Fatal(err)
	}
	if len(*reqs) != 2 {
		t.Fatalf("server saw %d requests", len(*reqs))
	}
	for _, r := range *reqs {
		if r.header.Get("x-goog-api-key") != providertest.APIKey {
			t.Errorf("x-goog-api-key = %q", r.header.Get("x-goog-api-key"))
		}
		if bytes.Contains(r.body, []byte("route-name-never-sent")) {
			t.Errorf("the route name was sent upstream")
		}
	}
	golden.Check(t, "request_chat.golden", (*reqs)[0].golden(t))
	golden.Check(t, "request_stream.golden", (*reqs)[1].golden(t))
}

// Options that change the encoding: OpenAPI-subset schemas, global safety
// settings, and no placeholder signature for Gemini 2 models.
func TestEncodeOptions(t *testing.T) {
	p := New(WithOpenAPISchemas(), WithSafetySettings(SafetySetting{"HARM_CATEGORY_HATE_SPEECH", "BLOCK_NONE"}))
	body, perr := p.encodeRequest(&llmrouter.Deployment{Name: "x", Model: "gemini-2.5-flash"}, richRequest())
	if perr != nil {
		t.Fatal(perr)
	}
	s := string(body)
	for _, want := range []string{`"parameters":{`, `"responseSchema":{`, `"BLOCK_NONE"`} {
		if !strings.Contains(s, want) {
			t.Errorf("body lacks %s", want)
		}
	}
	for _, not := range []string{"parametersJsonSchema", "responseJsonSchema", "thoughtSignature"} {
		if strings.Contains(s, not) {
			t.Errorf("body has %s", not)
		}
	}

	p = New(WithThoughtSignatureFallback(""))
	body, _ = p.encodeRequest(&llmrouter.Deployment{Name: "x", Model: "gemini-3-flash"}, richRequest())
	if strings.Contains(string(body), "thoughtSignature") {
		t.Errorf("placeholder signature sent although disabled")
	}

	// Tool choices.
	for mode, want := range map[llmrouter.ToolChoiceMode]string{
		llmrouter.ToolNone: `"mode":"NONE"`, llmrouter.ToolRequired: `"mode":"ANY"`, llmrouter.ToolAuto: `"mode":"AUTO"`, "": "",
	} {
		req := richRequest()
		req.ToolChoice = llmrouter.ToolChoice{Mode: mode}
		body, _ := p.encodeRequest(&llmrouter.Deployment{Name: "x"}, req)
		if want == "" && strings.Contains(string(body), "toolConfig") || want != "" && !strings.Contains(string(body), want) {
			t.Errorf("mode %s: body %s", mode, body)
		}
	}

	// A bare request sends no generationConfig.
	body, _ = p.encodeRequest(&llmrouter.Deployment{Name: "x"}, &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("hi")}})
	if got := string(body); got != `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}` {
		t.Errorf("bare body = %s", got)
	}
}

func TestEncodeValues(t *testing.T) {
	for in, want := range map[string]string{
		"":                `{}`,
		`{"a":1}`:         `{"a":1}`,
		`[1,2]`:           `{"arguments":"[1,2]"}`,
		`{"a":`:           `{"arguments":"{\"a\":"}`,
		`  {"b": true}  `: `{"b": true}`,
		"not json at all": `{"arguments":"not json at all"}`,
	} {
		if got := string(argsObject(in)); got != want {
			t.Errorf("argsObject(%q) = %s; want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{
		`{"ok":true}`: `{"ok":true}`,
		"14:05":       `{"content":"14:05"}`,
		"[1,2]":       `{"content":[1,2]}`,
		"42":          `{"content":42}`,
		"":            `{"content":""}`,
	} {
		if got := string(responseObject(in)); got != want {
			t.Errorf("responseObject(%q) = %s; want %s", in, got, want)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := map[string]*llmrouter.Request{
		"unknown tool call id": {Messages: []llmrouter.Message{llmrouter.User("hi"), llmrouter.ToolResult("call_x", "1")}},
		"bad data URL": {Messages: []llmrouter.Message{{Role: llmrouter.RoleUser,
			Content: []llmrouter.Part{llmrouter.ImagePart("data:image/png;base64,@@@")}}}},
		"data without media type": {Messages: []llmrouter.Message{{Role: llmrouter.RoleUser,
			Content: []llmrouter.Part{{Type: llmrouter.PartImage, Image: &llmrouter.Image{Data: []byte{1}}}}}}},
		"unknown role": {Messages: []llmrouter.Message{{Role: "narrator", Content: []llmrouter.Part{llmrouter.TextPart("x")}}}},
		"invalid tool schema": {Messages: []llmrouter.Message{llmrouter.User("hi")},
			Tools: []llmrouter.Tool{{Name: "f", Parameters: json.RawMessage(`{nope`)}}},
	}
	p, reqs := recordingProvider(t)
	for name, req := range tests {
		_, err := p.Chat(context.Background(), deployment(p, "gemini-2.5-flash"), req)
		var pe *llmrouter.ProviderError
		if !errors.As(err, &pe) || pe.Kind != llmrouter.KindBadRequest || pe.Provider != Name {
			t.Errorf("%s: err = %v; want a bad request", name, err)
		}
	}
	if len(*reqs) != 0 {
		t.Errorf("%d invalid requests were sent", len(*reqs))
	}
}

func TestEndpoint(t *testing.T) {
	p := New(WithBaseURL("https://gw.example.com/gemini/"), WithAPIVersion("v1"))
	for model, want := range map[string]string{
		"gemini-2.5-flash":        "https://gw.example.com/gemini/v1/models/gemini-2.5-flash:generateContent",
		"models/gemini-2.5-flash": "https://gw.example.com/gemini/v1/models/gemini-2.5-flash:generateContent",
		"tunedModels/my-model-1":  "https://gw.example.com/gemini/v1/tunedModels/my-model-1:generateContent",
	} {
		if got := p.endpoint(model, false); got != want {
			t.Errorf("endpoint(%q) = %s; want %s", model, got, want)
		}
	}
	if got := New().endpoint("gemini-2.5-flash", true); got != "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse" {
		t.Errorf("stream endpoint = %s", got)
	}
}

func TestEncodeImageURLs(t *testing.T) {
	image := func(u string) *llmrouter.Request {
		return &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("look"),
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{llmrouter.TextPart("x"), llmrouter.ImagePart(u)}}}}
	}
	p := New()
	d := &llmrouter.Deployment{Name: "x", Model: "gemini-2.5-flash"}
	for u, want := range map[string]string{
		"https://example.com/a.png":                                  `"fileData":{"mimeType":"image/png","fileUri":"https://example.com/a.png"}`,
		"http://example.com/a.jpg":                                   `"fileData":{"mimeType":"image/jpeg","fileUri":"http://example.com/a.jpg"}`,
		"https://generativelanguage.googleapis.com/v1beta/files/abc": `"fileData":{"fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}`,
	} {
		body, pe := p.encodeRequest(d, image(u))
		if pe != nil || !strings.Contains(string(body), want) {
			t.Errorf("%s: body %s, err %v; want %s", u, body, pe, want)
		}
	}
	// Schemes Gemini does not fetch fail over, before sending, naming the
	// message and part.
	rp, reqs := recordingProvider(t)
	for _, u := range []string{"s3://bucket/a.png", "gs://bucket/a.png", "ftp://example.com/a.png", "example.com/a.png"} {
		_, err := rp.Chat(context.Background(), deployment(rp, "gemini-2.5-flash"), image(u))
		var pe *llmrouter.ProviderError
		if !errors.As(err, &pe) || pe.Kind != llmrouter.KindBadRequest || pe.EffectiveClass() != llmrouter.ClassFailover ||
			pe.Provider != Name || !strings.Contains(pe.Message, "Messages[1].Content[1]") {
			t.Errorf("%s: err = %v; want a bad request that fails over, naming Messages[1].Content[1]", u, err)
		}
	}
	if len(*reqs) != 0 {
		t.Errorf("%d requests were sent", len(*reqs))
	}
}
