package bedrock

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/golden"
)

// capture is an http.RoundTripper that records requests and answers with
// a canned response, so that golden tests see the exact bytes sent to the
// real endpoint.
type capture struct {
	mu     sync.Mutex
	reqs   []*http.Request
	bodies [][]byte
	status int
	header http.Header
	body   []byte
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.reqs = append(c.reqs, r)
	c.bodies = append(c.bodies, b)
	c.mu.Unlock()
	st := c.status
	if st == 0 {
		st = 200
	}
	h := c.header
	if h == nil {
		h = http.Header{"Content-Type": {"application/json"}, "X-Amzn-Requestid": {"c8bdc5d9-4ad5-4f5e-9fd1-2a0f1c0b5e21"}}
	}
	return &http.Response{StatusCode: st, Header: h, Body: io.NopCloser(bytes.NewReader(c.body)), Request: r}, nil
}

// richRequest uses every part of the canonical request.
func richRequest() *llmrouter.Request {
	return &llmrouter.Request{
		Model: "route-name-not-sent",
		Messages: []llmrouter.Message{
			llmrouter.System("You are a music expert."),
			llmrouter.Developer("Answer in English."),
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{
				llmrouter.TextPart("What is on these covers?"),
				{Type: llmrouter.PartImage, Image: &llmrouter.Image{Data: []byte("\x89PNG\r\n\x1a\n"), MediaType: "image/png"}},
				{Type: llmrouter.PartImage, Image: &llmrouter.Image{URL: "data:image/jpeg;base64,/9j/4AAQSkZJRg=="}},
				{Type: llmrouter.PartImage, Image: &llmrouter.Image{URL: "s3://my-bucket/covers/abbey-road.webp"}},
			}},
			{Role: llmrouter.RoleAssistant, Content: []llmrouter.Part{llmrouter.TextPart("Let me look up the top songs.")},
				ToolCalls: []llmrouter.ToolCall{
					{ID: "tooluse_1", Name: "top_song", Arguments: `{"sign": "WZPZ"}`},
					{ID: "tooluse_2", Name: "top_song", Arguments: `{"sign":"WKRP"}`},
				}},
			llmrouter.ToolResult("tooluse_1", `{"song":"Elemental Hotel","artist":"8 Storey Hike"}`),
			llmrouter.ToolResult("tooluse_2", "Song: <Dreams> & more"),
			llmrouter.User("Summarise as JSON."),
		},
		Tools: []llmrouter.Tool{
			{Name: "top_song", Description: "Get the most popular song played on a radio station.",
				Parameters: json.RawMessage(`{
					"type": "object",
					"properties": {"sign": {"type": "string", "description": "The call sign for the radio station."}},
					"required": ["sign"]
				}`)},
			{Name: "now", Description: "The current time."},
		},
		ToolChoice:      llmrouter.ToolChoice{Mode: llmrouter.ToolForced, Name: "top_song"},
		ResponseFormat:  llmrouter.ResponseFormat{Type: llmrouter.FormatJSONSchema, Name: "summary", Schema: json.RawMessage(`{"type": "object", "properties": {"song": {"type": "string"}}, "required": ["song"], "additionalProperties": false}`), Strict: true},
		MaxOutputTokens: 512,
		Temperature:     llmrouter.Ptr(0.5),
		TopP:            llmrouter.Ptr(0.9),
		Seed:            llmrouter.Ptr(int64(42)),
		Stop:            []string{"\n\nHuman:"},
	}
}

func richDeployment(p llmrouter.Provider) *llmrouter.Deployment {
	return &llmrouter.Deployment{
		Name:     "claude-eu",
		Provider: p,
		Model:    "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
		Region:   "eu-west-1",
		Extra: &DeploymentOptions{
			AdditionalModelRequestFields: []byte(`{"top_k": 40}`),
			Guardrail:                    &Guardrail{Identifier: "gr-abc123", Version: "1", Trace: "enabled", StreamProcessingMode: "async"},
		},
	}
}

func goldenProvider(c *capture) *Provider {
	return New(WithHTTPClient(&http.Client{Transport: c}),
		WithStaticCredentials(testAccessKey, testSecret, testSession),
		WithClock(func() time.Time { return testTime }))
}

// dumpRequest renders the request line and every header sent, sorted.
func dumpRequest(r *http.Request) string {
	var b strings.Builder
	b.WriteString(r.Method + " " + r.URL.String() + "\n")
	h := r.Header.Clone()
	h.Set("Host", r.URL.Host)
	h.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	return b.String()
}

func TestGoldenRequest(t *testing.T) {
	for _, stream := range []bool{false, true} {
		name := "converse"
		c := &capture{body: readFixture(t, "converse_text.json")}
		if stream {
			name = "converse_stream"
			c.header = http.Header{"Content-Type": {"application/vnd.amazon.eventstream"}}
			c.body = encodeMessages(t, readTranscript(t, "stream_text.json"))
		}
		t.Run(name, func(t *testing.T) {
			p := goldenProvider(c)
			d := richDeployment(p)
			req := richRequest()
			var err error
			if stream {
				var s llmrouter.ChunkStream
				s, err = p.Stream(context.Background(), d, req)
				if err == nil {
					_, _, _, _, _, _, err = drainStream(s)
				}
			} else {
				_, err = p.Chat(context.Background(), d, req)
			}
			if err != nil {
				t.Fatal(err)
			}
			r, body := c.reqs[0], c.bodies[0]
			golden.Check(t, name+".body.golden", body)
			golden.Check(t, name+".headers.golden", []byte(dumpRequest(r)))

			// The URL escapes the ARN's ':' and '/' once; the signer
			// escapes the path again for the canonical request.
			if want := "/model/arn%3Aaws%3Abedrock%3Aeu-west-1%3A123456789012%3Ainference-profile%2Feu.anthropic.claude-sonnet-4-5-20250929-v1%3A0/" + strings.ReplaceAll(name, "_", "-"); r.URL.EscapedPath() != want {
				t.Errorf("path = %s; want %s", r.URL.EscapedPath(), want)
			}
			// Re-sign what was sent with the SDK's signer.
			r.Host = r.URL.Host
			r.RequestURI = r.URL.RequestURI()
			creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret, SessionToken: testSession}
			if err := verifySigV4(r, body, creds, "eu-west-1"); err != nil {
				t.Error(err)
			}
			if err := verifySigV4(r, body, creds, "us-east-1"); err == nil {
				t.Error("the signature verifies for another region")
			}
			// And with SigV4 as AWS documents it, written out here.
			if got, want := r.Header.Get("Authorization"), independentSigV4(r, body); got != want {
				t.Errorf("Authorization\n got %s\nwant %s", got, want)
			}
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatal(err)
			}
			if _, ok := m["model"]; ok {
				t.Error("body carries the route name")
			}
		})
	}
}

// independentSigV4 computes the Authorization header of r as the SigV4
// documentation describes it, without the SDK: the canonical URI encodes
// the already-escaped path once more (every service but S3), and the
// signed headers are those golden files show.
func independentSigV4(r *http.Request, body []byte) string {
	hmacOf := func(key []byte, s string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	hexSHA := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	date := r.Header.Get("X-Amz-Date")
	canonical := strings.Join([]string{
		"POST",
		strings.ReplaceAll(r.URL.EscapedPath(), "%", "%25"),
		"",
		"content-length:" + strconv.Itoa(len(body)),
		"content-type:" + r.Header.Get("Content-Type"),
		"host:" + r.URL.Host,
		"x-amz-date:" + date,
		"x-amz-security-token:" + r.Header.Get("X-Amz-Security-Token"),
		"",
		"content-length;content-type;host;x-amz-date;x-amz-security-token",
		hexSHA(body),
	}, "\n")
	scope := date[:8] + "/eu-west-1/bedrock/aws4_request"
	toSign := "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hexSHA([]byte(canonical))
	key := hmacOf([]byte("AWS4"+testSecret), date[:8])
	for _, part := range []string{"eu-west-1", "bedrock", "aws4_request"} {
		key = hmacOf(key, part)
	}
	return "AWS4-HMAC-SHA256 Credential=" + testAccessKey + "/" + scope +
		", SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-security-token, Signature=" +
		hex.EncodeToString(hmacOf(key, toSign))
}

func TestRequestMapping(t *testing.T) {
	d := &llmrouter.Deployment{Name: "d", Model: "m"}
	tools := []llmrouter.Tool{{Name: "f"}}
	cases := []struct {
		name string
		req  llmrouter.Request
		d    *llmrouter.Deployment
		want string
	}{
		{"minimal", llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("hi")}}, d,
			`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`},
		{"merges roles and drops empty text", llmrouter.Request{Messages: []llmrouter.Message{
			llmrouter.User("a"), llmrouter.User(""), llmrouter.User("b"), llmrouter.Assistant("c"), llmrouter.Assistant("d")}}, d,
			`{"messages":[{"role":"user","content":[{"text":"a"},{"text":"b"}]},{"role":"assistant","content":[{"text":"c"},{"text":"d"}]}]}`},
		{"tool none omits tools", llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")}, Tools: tools,
			ToolChoice: llmrouter.ToolChoice{Mode: llmrouter.ToolNone}}, d,
			`{"messages":[{"role":"user","content":[{"text":"x"}]}]}`},
		{"tool none keeps tools when the history uses them", llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x"),
			{Role: llmrouter.RoleAssistant, ToolCalls: []llmrouter.ToolCall{{ID: "1", Name: "f"}}}, llmrouter.ToolResult("1", "")},
			Tools: tools, ToolChoice: llmrouter.ToolChoice{Mode: llmrouter.ToolNone}}, d,
			`{"messages":[{"role":"user","content":[{"text":"x"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"1","name":"f","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"1","content":[{"text":""}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}`},
		{"tool required", llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")}, Tools: tools,
			ToolChoice: llmrouter.ToolChoice{Mode: llmrouter.ToolRequired}}, d,
			`{"messages":[{"role":"user","content":[{"text":"x"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object","properties":{}}}}}],"toolChoice":{"any":{}}}}`},
		{"whitespace-only stop sequences dropped", llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")},
			Stop: []string{"\n", "END", " \t", ""}}, d,
			`{"messages":[{"role":"user","content":[{"text":"x"}]}],"inferenceConfig":{"stopSequences":["END"]}}`},
		{"only whitespace stop sequences: no inferenceConfig", llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")},
			Stop: []string{"\n", "\n\n"}}, d,
			`{"messages":[{"role":"user","content":[{"text":"x"}]}]}`},
		{"whitespace stop sequences dropped, other settings kept", llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")},
			MaxOutputTokens: 5, Stop: []string{" "}}, d,
			`{"messages":[{"role":"user","content":[{"text":"x"}]}],"inferenceConfig":{"maxTokens":5}}`},
		{"json object by instruction", llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")},
			ResponseFormat: llmrouter.ResponseFormat{Type: llmrouter.FormatJSON}}, d,
			`{"messages":[{"role":"user","content":[{"text":"x"}]}],"system":[{"text":"Respond with a single JSON object only, with no other text."}]}`},
		{"json schema by instruction", llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")},
			ResponseFormat: llmrouter.ResponseFormat{Type: llmrouter.FormatJSONSchema, Schema: json.RawMessage(`{ "type": "object" }`)}},
			&llmrouter.Deployment{Name: "d", Extra: DeploymentOptions{JSONMode: JSONPrompt}},
			`{"messages":[{"role":"user","content":[{"text":"x"}]}],"system":[{"text":"Respond with a single JSON object only, with no other text, matching this JSON Schema: {\"type\":\"object\"}"}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := encodeRequest(tc.d, &tc.req, false)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("body\n got %s\nwant %s", b, tc.want)
			}
		})
	}
}

func TestRequestRejectedBeforeSending(t *testing.T) {
	cases := []struct {
		name, field string
		req         llmrouter.Request
	}{
		{"image url", "Messages[0].Content[1].Image.URL", llmrouter.Request{Messages: []llmrouter.Message{
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{llmrouter.TextPart("x"), llmrouter.ImagePart("https://example.com/cat.png")}}}}},
		{"image type", "Messages[0].Content[0].Image.MediaType", llmrouter.Request{Messages: []llmrouter.Message{
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{{Type: llmrouter.PartImage, Image: &llmrouter.Image{Data: []byte("x"), MediaType: "image/tiff"}}}}}}},
		{"bad arguments", "Messages[1].ToolCalls[0].Arguments", llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x"),
			{Role: llmrouter.RoleAssistant, ToolCalls: []llmrouter.ToolCall{{ID: "1", Name: "f", Arguments: "{"}}}}}},
		{"bad role", "Messages[0].Role", llmrouter.Request{Messages: []llmrouter.Message{{Role: "robot"}}}},
		{"bad schema", "ResponseFormat.Schema", llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")},
			ResponseFormat: llmrouter.ResponseFormat{Type: llmrouter.FormatJSONSchema, Schema: json.RawMessage("{")}}},
	}
	c := &capture{}
	p := goldenProvider(c)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Chat(context.Background(), &llmrouter.Deployment{Name: "d", Region: "us-east-1"}, &tc.req)
			pe := asProviderError(t, err)
			want := llmrouter.ClassStop
			if tc.name == "image url" {
				want = llmrouter.ClassFailover // another provider may fetch it
			}
			if pe.Kind != llmrouter.KindBadRequest || pe.EffectiveClass() != want {
				t.Errorf("kind %v class %v; want bad_request %v", pe.Kind, pe.EffectiveClass(), want)
			}
			if !strings.Contains(pe.Message, tc.field) {
				t.Errorf("message %q does not name %s", pe.Message, tc.field)
			}
		})
	}
	if len(c.reqs) != 0 {
		t.Errorf("%d requests were sent", len(c.reqs))
	}
}

func TestRegionAndEndpoint(t *testing.T) {
	c := &capture{body: readFixture(t, "converse_text.json")}
	p := New(WithHTTPClient(&http.Client{Transport: c}), WithStaticCredentials(testAccessKey, testSecret, ""), WithRegion("us-west-2"))
	req := &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")}}
	for _, region := range []string{"", "eu-central-1", "cn-north-1"} {
		if _, err := p.Chat(context.Background(), &llmrouter.Deployment{Name: "d", Model: "amazon.nova-lite-v1:0", Region: region}, req); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"https://bedrock-runtime.us-west-2.amazonaws.com/model/amazon.nova-lite-v1%3A0/converse",
		"https://bedrock-runtime.eu-central-1.amazonaws.com/model/amazon.nova-lite-v1%3A0/converse",
		"https://bedrock-runtime.cn-north-1.amazonaws.com.cn/model/amazon.nova-lite-v1%3A0/converse",
	}
	for i, r := range c.reqs {
		if r.URL.String() != want[i] {
			t.Errorf("URL %d = %s; want %s", i, r.URL, want[i])
		}
		if !strings.Contains(r.Header.Get("Authorization"), "/"+strings.Split(r.URL.Host, ".")[1]+"/bedrock/aws4_request") {
			t.Errorf("Authorization %q is not scoped to the request's region", r.Header.Get("Authorization"))
		}
		if r.Header.Get("X-Amz-Security-Token") != "" {
			t.Error("a session token was sent without one configured")
		}
	}

	_, err := New(WithHTTPClient(&http.Client{Transport: c}), WithStaticCredentials(testAccessKey, testSecret, "")).
		Chat(context.Background(), &llmrouter.Deployment{Name: "d"}, req)
	if pe := asProviderError(t, err); pe.EffectiveClass() != llmrouter.ClassFailover {
		t.Errorf("no region: %v (%v)", pe, pe.EffectiveClass())
	}
}

func TestCredentials(t *testing.T) {
	req := &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")}}
	d := &llmrouter.Deployment{Name: "d", Region: "us-east-1"}
	c := &capture{body: readFixture(t, "converse_text.json")}

	_, err := New(WithHTTPClient(&http.Client{Transport: c})).Chat(context.Background(), d, req)
	if pe := asProviderError(t, err); pe.Kind != llmrouter.KindAuth {
		t.Errorf("no credentials: %v", pe)
	}

	failing := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no EC2 IMDS role found")
	})
	_, err = New(WithHTTPClient(&http.Client{Transport: c}), WithCredentials(failing)).Chat(context.Background(), d, req)
	if pe := asProviderError(t, err); pe.Kind != llmrouter.KindAuth || !strings.Contains(pe.Message, "IMDS") {
		t.Errorf("failing provider: %v", pe)
	}

	calls := 0
	counting := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		calls++
		return aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret}, nil
	})
	p := New(WithHTTPClient(&http.Client{Transport: c}), WithCredentials(counting))
	for range 3 {
		if _, err := p.Chat(context.Background(), d, req); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Errorf("credentials retrieved %d times; want 1 (cached)", calls)
	}

	n := len(c.reqs)
	if _, err := New(WithHTTPClient(&http.Client{Transport: c}), WithAPIKey("ABSKexamplekey0123456789")).Chat(context.Background(), d, req); err != nil {
		t.Fatal(err)
	}
	if got := c.reqs[n].Header.Get("Authorization"); got != "Bearer ABSKexamplekey0123456789" {
		t.Errorf("Authorization = %q", got)
	}
}

// TestImageURLFailsOver: an image URL Converse cannot fetch is refused
// before sending with an error that moves the route on (another provider
// may fetch it), naming the message and part; a request at fault stops.
func TestImageURLFailsOver(t *testing.T) {
	image := func(u string) llmrouter.Request {
		return llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("look"),
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{llmrouter.TextPart("x"), llmrouter.ImagePart(u)}}}}
	}
	cases := []struct {
		name  string
		req   llmrouter.Request
		class llmrouter.Class
		field string
	}{
		{"https", image("https://example.com/cat.png"), llmrouter.ClassFailover, "Messages[1].Content[1].Image.URL"},
		{"http", image("http://example.com/cat.png"), llmrouter.ClassFailover, "Messages[1].Content[1].Image.URL"},
		{"gs", image("gs://bucket/cat.png"), llmrouter.ClassFailover, "Messages[1].Content[1].Image.URL"},
		{"in a tool result", llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x"),
			{Role: llmrouter.RoleAssistant, ToolCalls: []llmrouter.ToolCall{{ID: "1", Name: "f"}}},
			{Role: llmrouter.RoleTool, ToolCallID: "1", Content: []llmrouter.Part{llmrouter.ImagePart("https://example.com/chart.png")}}}},
			llmrouter.ClassFailover, "Messages[2].Content[0].Image.URL"},
		{"bad media type stops", llmrouter.Request{Messages: []llmrouter.Message{{Role: llmrouter.RoleUser, Content: []llmrouter.Part{
			{Type: llmrouter.PartImage, Image: &llmrouter.Image{Data: []byte("x"), MediaType: "image/tiff"}}}}}},
			llmrouter.ClassStop, "Messages[0].Content[0].Image.MediaType"},
		{"non-base64 data URL stops", image("data:image/png,raw"), llmrouter.ClassStop, "Messages[1].Content[1].Image.URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := encodeRequest(&llmrouter.Deployment{Name: "d"}, &tc.req, false)
			if err == nil {
				t.Fatal("encoded")
			}
			pe := requestError(&call{deployment: "d"}, err)
			if pe.Kind != llmrouter.KindBadRequest || pe.EffectiveClass() != tc.class || pe.Provider != ProviderName || pe.Deployment != "d" {
				t.Errorf("kind %v class %v provider %q deployment %q; want bad_request %v", pe.Kind, pe.EffectiveClass(), pe.Provider, pe.Deployment, tc.class)
			}
			if !strings.Contains(pe.Message, tc.field) {
				t.Errorf("message %q does not name %s", pe.Message, tc.field)
			}
		})
	}
}
