package bedrock

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
)

func TestDecodeResponseFixtures(t *testing.T) {
	cases := []struct {
		file      string
		text      string
		reasoning string
		calls     []llmrouter.ToolCall
		finish    llmrouter.FinishReason
		usage     llmrouter.Usage
	}{
		{file: "converse_text.json", text: "Here is a list of 3 pop songs by artists from the United Kingdom:\n\n1. \"Wannabe\" by Spice Girls\n2. \"Bitter Sweet Symphony\" by The Verve\n3. \"Don't Look Back in Anger\" by Oasis",
			finish: llmrouter.FinishStop, usage: llmrouter.Usage{InputTokens: 125, OutputTokens: 60}},
		{file: "converse_tool_use.json", text: "To find the most popular song on WZPZ, I will use the top_song tool.",
			calls:  []llmrouter.ToolCall{{ID: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", Name: "top_song", Arguments: `{"sign":"WZPZ"}`}},
			finish: llmrouter.FinishToolCalls, usage: llmrouter.Usage{InputTokens: 375, OutputTokens: 79}},
		{file: "converse_reasoning.json", text: "The capital of France is Paris.", reasoning: "The user asks for the capital of France. That is Paris.",
			finish: llmrouter.FinishStop, usage: llmrouter.Usage{InputTokens: 41, OutputTokens: 58}},
		{file: "converse_cache.json", text: "The document describes the 2024 annual results.", finish: llmrouter.FinishLength,
			usage: llmrouter.Usage{InputTokens: 2060, OutputTokens: 10, CachedInputTokens: 1024, CacheWriteTokens: 1016, CacheWrite1hTokens: 1000}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			r, pe := decodeResponse(&call{deployment: "d"}, readFixture(t, tc.file))
			if pe != nil {
				t.Fatal(pe)
			}
			if r.Text != tc.text || r.Reasoning != tc.reasoning || r.FinishReason != tc.finish || r.Usage != tc.usage {
				t.Errorf("got text %q reasoning %q finish %q usage %+v", r.Text, r.Reasoning, r.FinishReason, r.Usage)
			}
			if len(r.ToolCalls) != len(tc.calls) {
				t.Fatalf("tool calls %+v; want %+v", r.ToolCalls, tc.calls)
			}
			for i, c := range r.ToolCalls {
				var got, want any
				_ = json.Unmarshal([]byte(c.Arguments), &got)
				_ = json.Unmarshal([]byte(tc.calls[i].Arguments), &want)
				if c.ID != tc.calls[i].ID || c.Name != tc.calls[i].Name || !jsonEqual(got, want) {
					t.Errorf("tool call %+v; want %+v", c, tc.calls[i])
				}
			}
			if tc.finish == llmrouter.FinishContentFilter && r.Refusal != tc.text {
				t.Errorf("Refusal = %q", r.Refusal)
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestChatResponseFields(t *testing.T) {
	c := &capture{body: readFixture(t, "converse_text.json")}
	p := goldenProvider(c)
	r, err := p.Chat(context.Background(), &llmrouter.Deployment{Name: "d", Model: "amazon.nova-pro-v1:0", Region: "us-east-1"},
		&llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")}})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "c8bdc5d9-4ad5-4f5e-9fd1-2a0f1c0b5e21" || r.Model != "amazon.nova-pro-v1:0" || r.RateLimit != nil {
		t.Errorf("ID %q Model %q RateLimit %v", r.ID, r.Model, r.RateLimit)
	}
}

func TestMalformedResponses(t *testing.T) {
	for _, body := range []string{
		string(readFixture(t, "converse_no_output.json")),
		`{"output":{"message":{"role":"assistant","content":[]}}}`, // empty, and no stopReason says it is complete
		`{}`, `null`, `{"output":null}`, `{"output":{"message":null}}`, `not json`, ``, `{"output":{"message":{"content":"x"}}}`,
	} {
		c := &capture{body: []byte(body)}
		_, err := goldenProvider(c).Chat(context.Background(), &llmrouter.Deployment{Name: "d", Region: "us-east-1"},
			&llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")}})
		pe := asProviderError(t, err)
		if pe.Kind != llmrouter.KindMalformed || pe.EffectiveClass() != llmrouter.ClassFailover {
			t.Errorf("%q: %v (%v)", body, pe, pe.EffectiveClass())
		}
		if pe.RequestID == "" {
			t.Errorf("%q: no request id", body)
		}
	}
	_, pe := decodeResponse(&call{}, readFixture(t, "converse_no_output.json"))
	if pe.Code != "UnknownOperationException" {
		t.Errorf("Code = %q", pe.Code)
	}
}

// errorCase is one entry of testdata/errors.json.
type errorCase struct {
	Name      string          `json:"name"`
	Status    int             `json:"status"`
	ErrorType string          `json:"errortype"`
	Body      json.RawMessage `json:"body"`
	Kind      string          `json:"kind"`
	Class     string          `json:"class"`
}

func (e errorCase) body() []byte {
	var s string
	if json.Unmarshal(e.Body, &s) == nil {
		return []byte(s)
	}
	return e.Body
}

func readErrorCases(t testing.TB) []errorCase {
	var cases []errorCase
	if err := json.Unmarshal(readFixture(t, "errors.json"), &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

func TestErrorTable(t *testing.T) {
	for _, tc := range readErrorCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			h := http.Header{"Content-Type": {"application/json"}, "X-Amzn-Requestid": {"req-" + tc.Name}}
			if tc.ErrorType != "" {
				h.Set("X-Amzn-Errortype", tc.ErrorType)
			}
			c := &capture{status: tc.Status, header: h, body: tc.body()}
			for _, stream := range []bool{false, true} {
				p := goldenProvider(c)
				d := &llmrouter.Deployment{Name: "dep", Region: "us-east-1"}
				req := &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")}}
				var err error
				if stream {
					_, err = p.Stream(context.Background(), d, req)
				} else {
					_, err = p.Chat(context.Background(), d, req)
				}
				pe := asProviderError(t, err)
				if pe.Kind.String() != tc.Kind || pe.EffectiveClass().String() != tc.Class {
					t.Errorf("stream=%v: kind %v class %v; want %s %s (%v)", stream, pe.Kind, pe.EffectiveClass(), tc.Kind, tc.Class, pe)
				}
				if pe.StatusCode != tc.Status || pe.RequestID != "req-"+tc.Name || pe.Deployment != "dep" {
					t.Errorf("status %d request id %q deployment %q", pe.StatusCode, pe.RequestID, pe.Deployment)
				}
				if strings.Contains(pe.Code, ":") || (tc.ErrorType != "" && !strings.HasPrefix(tc.ErrorType, pe.Code)) {
					t.Errorf("Code = %q", pe.Code)
				}
			}
		})
	}
}

func TestErrorsKeepSecretsOut(t *testing.T) {
	// A signature mismatch echoes the canonical request, session token
	// included; an echoing proxy could return anything.
	msg := "The request signature we calculated does not match. The Canonical String for this request should have been\n" +
		"'POST\n/model/x/converse\n\nx-amz-security-token:" + testSession + "\n' secret " + testSecret
	h := http.Header{"X-Amzn-Errortype": {"InvalidSignatureException"}}
	b, _ := json.Marshal(map[string]string{"message": msg})
	c := &capture{status: 403, header: h, body: b}
	_, err := goldenProvider(c).Chat(context.Background(), &llmrouter.Deployment{Name: "d", Region: "us-east-1"},
		&llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")}})
	pe := asProviderError(t, err)
	for _, secret := range []string{testSecret, testSession} {
		if strings.Contains(pe.Error(), secret) || strings.Contains(pe.Message, secret) {
			t.Errorf("error reveals a secret: %v", pe)
		}
	}
	if strings.Contains(pe.Error(), "Authorization") || strings.Contains(pe.Error(), "Signature=") {
		t.Errorf("error reveals the Authorization header: %v", pe)
	}
	if pe.Kind != llmrouter.KindAuth {
		t.Errorf("kind %v", pe.Kind)
	}
}

func TestRetryAfter(t *testing.T) {
	h := http.Header{"X-Amzn-Errortype": {"ThrottlingException"}, "Retry-After": {"3"}}
	pe := errorFromResponse(&call{}, 429, h, []byte(`{"message":"slow down"}`))
	if pe.RetryAfter.Seconds() != 3 || pe.Message != "slow down" {
		t.Errorf("%v", pe)
	}
}

// TestEmptyAnswer: an answer that is complete (a stop reason) but empty is
// a valid empty answer on both paths, never a malformed one.
func TestEmptyAnswer(t *testing.T) {
	cases := []struct {
		name   string
		stop   string
		finish llmrouter.FinishReason
	}{
		{"end_turn", "end_turn", llmrouter.FinishStop},
		{"stop_sequence", "stop_sequence", llmrouter.FinishStop},
		{"max_tokens", "max_tokens", llmrouter.FinishLength},
	}
	d := &llmrouter.Deployment{Name: "d", Model: "m", Region: "us-east-1"}
	req := &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			usage := llmrouter.Usage{InputTokens: 3}
			c := &capture{body: []byte(`{"output":{"message":{"role":"assistant","content":[]}},"stopReason":"` + tc.stop +
				`","usage":{"inputTokens":3,"outputTokens":0,"totalTokens":3}}`)}
			r, err := goldenProvider(c).Chat(context.Background(), d, req)
			if err != nil {
				t.Fatalf("Converse: %v", err)
			}
			if r.Text != "" || len(r.ToolCalls) != 0 || r.FinishReason != tc.finish || r.Usage != usage {
				t.Errorf("Converse: text %q calls %v finish %q usage %+v", r.Text, r.ToolCalls, r.FinishReason, r.Usage)
			}

			msgs := []wireMessage{
				ev("messageStart", `{"role":"assistant"}`),
				ev("messageStop", `{"stopReason":"`+tc.stop+`"}`),
				ev("metadata", `{"usage":{"inputTokens":3,"outputTokens":0,"totalTokens":3}}`),
			}
			text, _, calls, finish, u, n, err := drainStream(streamOf(context.Background(), encodeMessages(t, msgs)))
			if err != nil {
				t.Fatalf("ConverseStream: %v", err)
			}
			if text != "" || len(calls) != 0 || finish != tc.finish || u == nil || *u != usage || n != 1 {
				t.Errorf("ConverseStream: text %q calls %v finish %q usage %v chunks %d", text, calls, finish, u, n)
			}
		})
	}
	// The recorded fixture of an empty answer.
	r, pe := decodeResponse(&call{deployment: "d"}, readFixture(t, "converse_empty_content.json"))
	if pe != nil || r.Text != "" || r.FinishReason != llmrouter.FinishStop || r.Usage != (llmrouter.Usage{InputTokens: 3}) {
		t.Errorf("converse_empty_content.json: %+v, %v", r, pe)
	}
}
