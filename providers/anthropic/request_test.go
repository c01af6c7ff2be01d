package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/golden"
)

// richRequest uses every part of the canonical request the adapter sends.
func richRequest() *llmrouter.Request {
	return &llmrouter.Request{
		Model: "route-name-never-sent",
		Messages: []llmrouter.Message{
			llmrouter.System("You are a weather assistant."),
			llmrouter.Developer("Answer in JSON."),
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{
				llmrouter.TextPart("What is the weather where these were taken?"),
				llmrouter.ImagePart("https://example.com/paris.jpg"),
				{Type: llmrouter.PartImage, Image: &llmrouter.Image{Data: []byte("\x89PNG\r\n"), MediaType: "image/png"}},
				llmrouter.ImagePart("data:image/jpeg;base64,/9j/4AAQ"),
			}},
			llmrouter.User("Use celsius."),
			{Role: llmrouter.RoleAssistant, Content: []llmrouter.Part{llmrouter.TextPart("Let me look.")},
				ToolCalls: []llmrouter.ToolCall{
					{ID: "toolu_1", Name: "get_weather", Arguments: `{"city": "Paris"}`},
					{ID: "toolu_2", Name: "get_time", Arguments: ``},
				}},
			llmrouter.ToolResult("toolu_1", `{"temp":21}`),
			{Role: llmrouter.RoleTool, ToolCallID: "toolu_2", Content: []llmrouter.Part{
				llmrouter.TextPart("12:00 and a chart:"), llmrouter.ImagePart("https://example.com/chart.png")}},
			llmrouter.User("Thanks. Summarise."),
		},
		Tools: []llmrouter.Tool{
			{Name: "get_weather", Description: "Weather in a city.",
				Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)},
			{Name: "get_time", Description: "The time."},
		},
		ToolChoice: llmrouter.ToolChoice{Mode: llmrouter.ToolRequired},
		ResponseFormat: llmrouter.ResponseFormat{Type: llmrouter.FormatJSONSchema, Name: "summary", Strict: true,
			Schema: json.RawMessage(`{"type":"object","properties":{"summary":{"type":"string"}},"required":["summary"],"additionalProperties":false}`)},
		MaxOutputTokens: 1024,
		Temperature:     llmrouter.Ptr(0.2),
		TopP:            llmrouter.Ptr(0.9),
		Seed:            llmrouter.Ptr(int64(7)),
		Stop:            []string{"END"},
		Tenant:          "acme",
		User:            "user-42",
	}
}

// capture records the request a provider sends and answers with a stream.
type capture struct {
	header http.Header
	body   []byte
	path   string
}

func (c *capture) handler(w http.ResponseWriter, r *http.Request) {
	c.header, c.path = r.Header.Clone(), r.URL.Path
	c.body, _ = io.ReadAll(r.Body)
	if r.Header.Get("Accept") == "text/event-stream" {
		sseBody(fixture(nil, "stream_text.sse"))(w, r)
		return
	}
	jsonBody(200, fixture(nil, "message.json"))(w, r)
}

func TestGoldenRequest(t *testing.T) {
	var c capture
	p := serve(t, c.handler, WithBeta("prompt-caching-2024-07-31"), WithHeader("X-Team", "search"))
	d := &llmrouter.Deployment{Name: "claude", Model: "claude-sonnet-4-5", Extra: Settings{Beta: []string{"files-api-2025-04-14"}, TopK: 40}}
	req := richRequest()
	st, err := p.Stream(ctxT(t), d, req)
	if err != nil {
		t.Fatal(err)
	}
	if r := drainStream(st); r.err != nil {
		t.Fatal(r.err)
	}
	if !reflect.DeepEqual(req, richRequest()) {
		t.Error("Stream modified the request")
	}
	if c.path != "/v1/messages" {
		t.Errorf("path %s", c.path)
	}
	var body bytes.Buffer
	if err := json.Indent(&body, c.body, "", "  "); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, c.body)
	}
	body.WriteByte('\n')
	golden.Check(t, "request_rich.golden", body.Bytes())
	golden.Check(t, "request_rich_headers.golden", headerText(c.header))
}

func TestGoldenJSONRequest(t *testing.T) {
	var c capture
	p := serve(t, c.handler)
	req := &llmrouter.Request{
		Model:          "r",
		Messages:       []llmrouter.Message{llmrouter.System("Be brief."), llmrouter.User("List three colours.")},
		Tools:          []llmrouter.Tool{{Name: "lookup", Parameters: json.RawMessage(" ")}},
		ToolChoice:     llmrouter.ToolChoice{Mode: llmrouter.ToolForced, Name: "lookup"},
		ResponseFormat: llmrouter.ResponseFormat{Type: llmrouter.FormatJSON},
	}
	d := &llmrouter.Deployment{Name: "haiku", MaxOutputTokens: 2048}
	if _, err := p.Chat(ctxT(t), d, req); err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	if err := json.Indent(&body, c.body, "", "  "); err != nil {
		t.Fatal(err)
	}
	body.WriteByte('\n')
	golden.Check(t, "request_json.golden", body.Bytes())
	golden.Check(t, "request_json_headers.golden", headerText(c.header))
}

// headerText lists the headers the adapter sets, one per line, the key
// replaced by a placeholder.
func headerText(h http.Header) []byte {
	var lines []string
	for k, vs := range h {
		switch k {
		case "Content-Length", "Accept-Encoding", "User-Agent":
			continue // set by net/http
		}
		for _, v := range vs {
			if v == testKey {
				v = "<key>"
			}
			lines = append(lines, k+": "+v)
		}
	}
	sort.Strings(lines)
	return []byte(strings.Join(lines, "\n") + "\n")
}

func encode(t *testing.T, req *llmrouter.Request, d *llmrouter.Deployment, s *Settings) map[string]any {
	t.Helper()
	b, pe := encodeRequest(req, d, s, DefaultMaxTokens, false)
	if pe != nil {
		t.Fatal(pe)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMaxTokens(t *testing.T) {
	req := userRequest()
	if m := encode(t, req, &llmrouter.Deployment{Name: "d"}, nil); m["max_tokens"] != 4096.0 {
		t.Errorf("default max_tokens %v", m["max_tokens"])
	}
	if m := encode(t, req, &llmrouter.Deployment{Name: "d", MaxOutputTokens: 8192}, nil); m["max_tokens"] != 8192.0 {
		t.Errorf("deployment max_tokens %v", m["max_tokens"])
	}
	req.MaxOutputTokens = 100
	if m := encode(t, req, &llmrouter.Deployment{Name: "d", MaxOutputTokens: 8192}, nil); m["max_tokens"] != 100.0 {
		t.Errorf("request max_tokens %v", m["max_tokens"])
	}
	var c capture
	p := serve(t, c.handler, WithDefaultMaxTokens(333))
	if _, err := p.Chat(ctxT(t), &llmrouter.Deployment{Name: "d"}, userRequest()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(c.body, []byte(`"max_tokens":333`)) || !bytes.Contains(c.body, []byte(`"model":"d"`)) {
		t.Errorf("body %s; want max_tokens 333 and model d", c.body)
	}
}

func TestEncodeMergesAndOrders(t *testing.T) {
	req := &llmrouter.Request{Messages: []llmrouter.Message{
		llmrouter.User("a"),
		{Role: llmrouter.RoleUser, Content: []llmrouter.Part{llmrouter.TextPart("")}}, // dropped: empty
		llmrouter.User("b"),
		{Role: llmrouter.RoleAssistant, ToolCalls: []llmrouter.ToolCall{{ID: "t1", Name: "f", Arguments: "not json"}}},
		llmrouter.User("after"), // text before the tool result in the same user turn
		llmrouter.ToolResult("t1", "done"),
		llmrouter.Assistant("x"),
		llmrouter.System("late system"),
		llmrouter.Assistant("y"),
	}}
	m := encode(t, req, testDeployment, nil)
	got, _ := json.Marshal(m["messages"])
	want := `[{"content":[{"text":"a","type":"text"},{"text":"b","type":"text"}],"role":"user"},` +
		`{"content":[{"id":"t1","input":{},"name":"f","type":"tool_use"}],"role":"assistant"},` +
		`{"content":[{"content":"done","tool_use_id":"t1","type":"tool_result"},{"text":"after","type":"text"}],"role":"user"},` +
		`{"content":[{"text":"x","type":"text"},{"text":"y","type":"text"}],"role":"assistant"}]`
	if string(got) != want {
		t.Errorf("messages\n got %s\nwant %s", got, want)
	}
	if m["system"] != "late system" {
		t.Errorf("system %v", m["system"])
	}
	for _, k := range []string{"tools", "tool_choice", "temperature", "top_p", "stop_sequences", "metadata", "stream", "output_config", "top_k"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s sent though not asked for", k)
		}
	}
}

func TestEncodeToolChoiceAndFormats(t *testing.T) {
	tools := []llmrouter.Tool{{Name: "f"}}
	for mode, want := range map[llmrouter.ToolChoiceMode]string{
		"": "<nil>", llmrouter.ToolAuto: "<nil>", llmrouter.ToolNone: `{"type":"none"}`,
		llmrouter.ToolRequired: `{"type":"any"}`, llmrouter.ToolForced: `{"name":"f","type":"tool"}`,
	} {
		req := userRequest()
		req.Tools, req.ToolChoice = tools, llmrouter.ToolChoice{Mode: mode, Name: "f"}
		got := "<nil>"
		if tc, ok := encode(t, req, testDeployment, nil)["tool_choice"]; ok {
			b, _ := json.Marshal(tc)
			got = string(b)
		}
		if got != want {
			t.Errorf("mode %q: tool_choice %s; want %s", mode, got, want)
		}
	}
	// Without tools no tool_choice is sent, whatever the mode.
	req := userRequest()
	req.ToolChoice = llmrouter.ToolChoice{Mode: llmrouter.ToolNone}
	if _, ok := encode(t, req, testDeployment, nil)["tool_choice"]; ok {
		t.Error("tool_choice without tools")
	}
	// json_schema through the system prompt when the deployment says so.
	req = userRequest()
	req.Messages = append([]llmrouter.Message{llmrouter.System("sys")}, req.Messages...)
	req.ResponseFormat = llmrouter.ResponseFormat{Type: llmrouter.FormatJSONSchema, Schema: json.RawMessage(`{ "type": "object" }`)}
	m := encode(t, req, testDeployment, &Settings{JSONSchemaInSystem: true})
	sys, _ := json.Marshal(m["system"])
	if _, ok := m["output_config"]; ok || !strings.Contains(string(sys), `{\"type\":\"object\"}`) || !strings.Contains(string(sys), `"sys"`) {
		t.Errorf("system %s, output_config %v", sys, m["output_config"])
	}
}

func TestEncodeRejects(t *testing.T) {
	bad := []*llmrouter.Request{
		{Messages: []llmrouter.Message{{Role: "narrator", Content: []llmrouter.Part{llmrouter.TextPart("x")}}}},
		{Messages: []llmrouter.Message{{Role: llmrouter.RoleUser, Content: []llmrouter.Part{{Type: llmrouter.PartImage}}}}},
		{Messages: []llmrouter.Message{{Role: llmrouter.RoleUser, Content: []llmrouter.Part{{Type: llmrouter.PartImage, Image: &llmrouter.Image{Data: []byte("x")}}}}}},
		{Messages: []llmrouter.Message{{Role: llmrouter.RoleUser, Content: []llmrouter.Part{llmrouter.ImagePart("data:image/png,raw")}}}},
		{Messages: []llmrouter.Message{{Role: llmrouter.RoleUser, Content: []llmrouter.Part{{Type: "audio"}}}}},
		{Messages: []llmrouter.Message{llmrouter.User("x")}, Tools: []llmrouter.Tool{{Name: "f", Parameters: json.RawMessage(`{bad`)}}},
	}
	for i, req := range bad {
		_, pe := encodeRequest(req, testDeployment, nil, 1, false)
		if pe == nil || pe.Kind != llmrouter.KindBadRequest {
			t.Errorf("request %d: %v; want a bad request", i, pe)
		}
	}
	// A wrong Deployment.Extra fails over, and nothing is sent.
	p := serve(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request sent") })
	_, err := p.Chat(ctxT(t), &llmrouter.Deployment{Name: "d", Extra: 42}, userRequest())
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) || pe.EffectiveClass() != llmrouter.ClassFailover || pe.Provider != "anthropic" {
		t.Errorf("Extra 42: %v", err)
	}
	if _, err := p.Stream(ctxT(t), &llmrouter.Deployment{Name: "d", Extra: 42}, userRequest()); err == nil {
		t.Error("Stream accepted Extra 42")
	}
}

func TestEncodeStopSequences(t *testing.T) {
	cases := []struct {
		name string
		stop []string
		want string // stop_sequences as JSON; "" means omitted
	}{
		{"none", nil, ""},
		{"kept as given", []string{"END", " stop "}, `["END"," stop "]`},
		{"whitespace-only dropped", []string{"\n", "END", " \t", "\u00a0"}, `["END"]`},
		{"all whitespace: field omitted", []string{"\n", "\n\n", " "}, ""},
		{"empty string dropped", []string{""}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := userRequest()
			req.Stop = tc.stop
			got := ""
			if v, ok := encode(t, req, testDeployment, nil)["stop_sequences"]; ok {
				b, _ := json.Marshal(v)
				got = string(b)
			}
			if got != tc.want {
				t.Errorf("stop_sequences %s; want %s", got, tc.want)
			}
		})
	}
}

func TestEncodeImageURLs(t *testing.T) {
	image := func(u string) *llmrouter.Request {
		return &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("look"),
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{llmrouter.TextPart("x"), llmrouter.ImagePart(u)}}}}
	}
	for _, u := range []string{"https://example.com/a.png", "http://example.com/a.png", "HTTPS://EXAMPLE.COM/A.PNG"} {
		m := encode(t, image(u), testDeployment, nil)
		if b, _ := json.Marshal(m["messages"]); !strings.Contains(string(b), `{"type":"url","url":"`+u+`"}`) {
			t.Errorf("%s: messages %s; want a url source", u, b)
		}
	}
	// Schemes the Messages API does not fetch fail over, before sending,
	// naming the message and part.
	for _, u := range []string{"s3://bucket/a.png", "gs://bucket/a.png", "ftp://example.com/a.png", "example.com/a.png"} {
		_, pe := encodeRequest(image(u), testDeployment, nil, 1, false)
		if pe == nil {
			t.Errorf("%s: encoded; want a bad request that fails over", u)
			continue
		}
		if pe.Kind != llmrouter.KindBadRequest || pe.EffectiveClass() != llmrouter.ClassFailover ||
			!strings.Contains(pe.Message, "Messages[1].Content[1]") {
			t.Errorf("%s: %v (class %v); want a bad request that fails over, naming Messages[1].Content[1]", u, pe, pe.EffectiveClass())
		}
	}
	p := serve(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request sent") })
	_, err := p.Chat(ctxT(t), testDeployment, image("s3://bucket/a.png"))
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) || pe.EffectiveClass() != llmrouter.ClassFailover || pe.Provider != "anthropic" {
		t.Errorf("Chat: %v", err)
	}
}
