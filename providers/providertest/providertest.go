// Package providertest is a conformance suite for llmrouter.Provider
// implementations, in the spirit of testing/slogtest: an adapter's test
// builds a provider for each Scenario (typically pointing it at an
// httptest server that speaks the provider's wire format and plays the
// scenario) and Run checks what the router relies on: answers, tool calls
// and usage read back exactly, stream chunks still intact when kept after
// the stream moved on; streams that end with a finish reason, or with a
// classified error when cut; every failure a *ProviderError of the
// right kind, with Retry-After; prompt return when the context ends; no API
// key in any error; no change to the request; safe concurrent use; streams
// that llmrouter.Collect assembles into what Chat gives; another provider's
// reasoning state and Request.Extra left out.
package providertest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
)

// Scenario is what the upstream behind the provider under test must do for
// one subtest. The constants below give the exact values to serve.
type Scenario string

// The scenarios. For each, the upstream answers the single request it gets
// as described.
const (
	// Text: answer AnswerText, finish "stop", usage InputTokens in and
	// OutputTokens out: to Request(Text), and to a second request whose
	// conversation is longer (an assistant turn carrying OtherProvider's
	// reasoning, then a user turn).
	Text Scenario = "text"
	// ToolCall: call tool ToolName (call id ToolCallID) with arguments
	// ToolArgs, finish for tool calls, usage as for Text.
	ToolCall Scenario = "tool_call"
	// StreamText: stream AnswerText in at least two pieces, then finish
	// "stop" and usage as for Text.
	StreamText Scenario = "stream_text"
	// StreamToolCall: stream the tool call of ToolCall, its arguments in at
	// least two pieces, then finish and usage.
	StreamToolCall Scenario = "stream_tool_call"
	// StreamCut: stream at least one piece of AnswerText, then drop the
	// connection without any end-of-stream marker.
	StreamCut Scenario = "stream_cut"
	// ServerError: fail with HTTP 500 (or the provider's internal error).
	ServerError Scenario = "server_error"
	// RateLimited: fail with HTTP 429 asking to retry after RetryAfter.
	RateLimited Scenario = "rate_limited"
	// AuthError: fail with HTTP 401 (invalid API key).
	AuthError Scenario = "auth_error"
	// BadRequest: fail with HTTP 400 for an invalid parameter.
	BadRequest Scenario = "bad_request"
	// ContextLength: fail because the prompt exceeds the context window.
	ContextLength Scenario = "context_length"
	// Hang: accept the request and never answer, until the client goes.
	Hang Scenario = "hang"
)

// Scenarios lists every scenario Run plays.
var Scenarios = []Scenario{Text, ToolCall, StreamText, StreamToolCall, StreamCut, ServerError, RateLimited, AuthError, BadRequest, ContextLength, Hang}

// The values upstreams serve.
const (
	AnswerText   = "Hello from the conformance suite."
	InputTokens  = 12
	OutputTokens = 7
	ToolName     = "get_weather"
	ToolCallID   = "call_0001"
	ToolArgs     = `{"city":"Paris","unit":"celsius"}`
	RetryAfter   = 2 * time.Second
	// APIKey is the key providers under test should be configured with;
	// Run checks it never appears in an error.
	APIKey = "sk-providertest-secret-0123456789"
	// Model is the upstream model id of the test deployment.
	Model = "conformance-model"
	// OtherProvider names a provider no adapter is: the Text scenario
	// sends reasoning state it issued (signed text, and a redacted block
	// with a Raw encoding; every piece contains "foreign"), and
	// Request.Extra for it (the value "never-sent"), which the adapter must
	// leave out: an upstream may check its body holds neither word.
	OtherProvider = "providertest.other"
)

// NewProvider builds the provider under test for scenario s. It may use t
// (t.Cleanup to stop a server, say).
type NewProvider func(t *testing.T, s Scenario) llmrouter.Provider

// Deployment returns the deployment Run calls p through.
func Deployment(p llmrouter.Provider) *llmrouter.Deployment {
	return &llmrouter.Deployment{Name: "conformance", Provider: p, Model: Model, Region: "test"}
}

// Request returns the request Run sends for scenario s.
func Request(s Scenario) *llmrouter.Request {
	req := &llmrouter.Request{
		Model: "conformance",
		Messages: []llmrouter.Message{
			llmrouter.System("You are terse."),
			llmrouter.User("Say hello."),
		},
		MaxOutputTokens: 64,
		Temperature:     llmrouter.Ptr(0.5),
	}
	if s == ToolCall || s == StreamToolCall {
		req.Tools = []llmrouter.Tool{{Name: ToolName, Description: "Weather in a city.",
			Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string"}},"required":["city"]}`)}}
	}
	return req
}

// Run runs every scenario against the providers newProvider builds.
func Run(t *testing.T, newProvider NewProvider) {
	t.Helper()
	for _, s := range Scenarios {
		t.Run(string(s), func(t *testing.T) {
			p := newProvider(t, s)
			if p == nil {
				t.Fatalf("newProvider returned nil for %s", s)
			}
			if p.Name() == "" {
				t.Fatalf("Name() is empty")
			}
			checks[s](t, p)
		})
	}
	t.Run("concurrent", func(t *testing.T) {
		p := newProvider(t, Text)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := p.Chat(ctxT(t), Deployment(p), Request(Text))
				if err == nil && resp.Text != AnswerText {
					err = errors.New("wrong text " + resp.Text)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent Chat: %v", err)
			}
		}
	})
}

var checks = map[Scenario]func(*testing.T, llmrouter.Provider){
	Text:           checkText,
	ToolCall:       checkToolCall,
	StreamText:     checkStreamText,
	StreamToolCall: checkStreamToolCall,
	StreamCut:      checkStreamCut,
	ServerError:    checkError(ServerError, llmrouter.KindServer),
	RateLimited:    checkError(RateLimited, llmrouter.KindRateLimited),
	AuthError:      checkError(AuthError, llmrouter.KindAuth),
	BadRequest:     checkError(BadRequest, llmrouter.KindBadRequest),
	ContextLength:  checkError(ContextLength, llmrouter.KindContextLength),
	Hang:           checkHang,
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// call runs Chat and checks that the request was left unchanged.
func call(t *testing.T, p llmrouter.Provider, s Scenario) (*llmrouter.Response, error) {
	req := Request(s)
	before := Request(s)
	resp, err := p.Chat(ctxT(t), Deployment(p), req)
	if !reflect.DeepEqual(req, before) {
		t.Errorf("Chat modified the request")
	}
	return resp, err
}

func checkUsage(t *testing.T, u llmrouter.Usage) {
	t.Helper()
	if u.InputTokens != InputTokens || u.OutputTokens != OutputTokens {
		t.Errorf("usage = %d in, %d out; want %d in, %d out", u.InputTokens, u.OutputTokens, InputTokens, OutputTokens)
	}
}

func checkText(t *testing.T, p llmrouter.Provider) {
	resp, err := call(t, p, Text)
	if err != nil {
		t.Fatalf("Chat: %v", err)
	}
	if resp.Text != AnswerText {
		t.Errorf("Text = %q; want %q", resp.Text, AnswerText)
	}
	if resp.FinishReason != llmrouter.FinishStop {
		t.Errorf("FinishReason = %q; want stop", resp.FinishReason)
	}
	checkUsage(t, resp.Usage)

	// Another provider's reasoning state and body fields: left out, and
	// the answer is as usual.
	req := Request(Text)
	req.Messages = append(req.Messages,
		llmrouter.Message{Role: llmrouter.RoleAssistant, Content: []llmrouter.Part{llmrouter.TextPart("Hi.")},
			Reasoning: []llmrouter.ReasoningBlock{
				{Provider: OtherProvider, Text: "foreign", Signature: "c2ln"},
				{Provider: OtherProvider, Redacted: "foreign-redacted", Raw: `{"type":"reasoning.encrypted","data":"foreign-raw"}`},
			}},
		llmrouter.User("Again."))
	req.Extra = map[string]map[string]any{OtherProvider: {"model": "never-sent"}}
	resp, err = p.Chat(ctxT(t), Deployment(p), req)
	if err != nil {
		t.Fatalf("Chat with another provider's reasoning and Extra: %v", err)
	}
	if resp.Text != AnswerText {
		t.Errorf("Text = %q; want %q", resp.Text, AnswerText)
	}
}

// checkCollect reads the stream of scenario s with llmrouter.Collect,
// which must give what Chat gives: the text, the tool call, the finish
// reason and the usage.
func checkCollect(t *testing.T, p llmrouter.Provider, s Scenario) {
	t.Helper()
	st, err := p.Stream(ctxT(t), Deployment(p), Request(s))
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	resp, err := llmrouter.Collect(st)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	switch s {
	case StreamToolCall:
		if len(resp.ToolCalls) != 1 {
			t.Fatalf("Collect: ToolCalls = %v; want one call", resp.ToolCalls)
		}
		checkToolCallValue(t, resp.ToolCalls[0])
		if resp.FinishReason != llmrouter.FinishToolCalls {
			t.Errorf("Collect: FinishReason = %q; want tool_calls", resp.FinishReason)
		}
	default:
		if resp.Text != AnswerText || resp.FinishReason != llmrouter.FinishStop {
			t.Errorf("Collect: %q, finish %q; want %q, stop", resp.Text, resp.FinishReason, AnswerText)
		}
	}
	checkUsage(t, resp.Usage)
	if m := resp.Message(); m.Role != llmrouter.RoleAssistant || m.Text() != resp.Text || len(m.ToolCalls) != len(resp.ToolCalls) {
		t.Errorf("Response.Message() = %+v; want the assistant turn of the answer", m)
	}
}

func checkToolCall(t *testing.T, p llmrouter.Provider) {
	resp, err := call(t, p, ToolCall)
	if err != nil {
		t.Fatalf("Chat: %v", err)
	}
	if len(resp.ToolCalls) != 1 {
		t.Fatalf("ToolCalls = %v; want one call", resp.ToolCalls)
	}
	checkToolCallValue(t, resp.ToolCalls[0])
	if resp.FinishReason != llmrouter.FinishToolCalls {
		t.Errorf("FinishReason = %q; want tool_calls", resp.FinishReason)
	}
	checkUsage(t, resp.Usage)
}

func checkToolCallValue(t *testing.T, tc llmrouter.ToolCall) {
	t.Helper()
	if tc.Name != ToolName || tc.ID == "" {
		t.Errorf("tool call = %+v; want %s with an id", tc, ToolName)
	}
	var got, want any
	if err := json.Unmarshal([]byte(tc.Arguments), &got); err != nil {
		t.Errorf("tool call arguments %q are not JSON: %v", tc.Arguments, err)
	}
	_ = json.Unmarshal([]byte(ToolArgs), &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tool call arguments = %s; want %s", tc.Arguments, ToolArgs)
	}
}

// drain reads a stream to its end and returns its chunks, kept as the
// stream returned them: a chunk must stay valid after Next is called again
// (callers keep chunks and assemble tool calls at the end), so the checks
// read them only once the stream is done.
func drain(t *testing.T, p llmrouter.Provider, s Scenario) ([]llmrouter.Chunk, error) {
	st, err := p.Stream(ctxT(t), Deployment(p), Request(s))
	if err != nil {
		return nil, err
	}
	var chunks []llmrouter.Chunk
	for st.Next() {
		chunks = append(chunks, st.Current())
	}
	err = st.Err()
	if cerr := st.Close(); cerr != nil {
		t.Errorf("Close: %v", cerr)
	}
	if cerr := st.Close(); cerr != nil {
		t.Errorf("second Close: %v", cerr)
	}
	if st.Next() {
		t.Errorf("Next after Close returned true")
	}
	return chunks, err
}

func finishOf(chunks []llmrouter.Chunk) (llmrouter.FinishReason, *llmrouter.Usage) {
	var f llmrouter.FinishReason
	var u *llmrouter.Usage
	for _, c := range chunks {
		if c.FinishReason != "" {
			f = c.FinishReason
		}
		if c.Usage != nil {
			u = c.Usage
		}
	}
	return f, u
}

func checkStreamText(t *testing.T, p llmrouter.Provider) {
	chunks, err := drain(t, p, StreamText)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	var text strings.Builder
	pieces := 0
	for _, c := range chunks {
		if c.Text != "" {
			pieces++
		}
		text.WriteString(c.Text)
	}
	if text.String() != AnswerText {
		t.Errorf("streamed text = %q; want %q", text.String(), AnswerText)
	}
	if pieces < 2 {
		t.Errorf("text came in %d pieces; want at least 2", pieces)
	}
	f, u := finishOf(chunks)
	if f != llmrouter.FinishStop {
		t.Errorf("finish reason = %q; want stop", f)
	}
	if u == nil {
		t.Fatalf("stream reported no usage")
	}
	checkUsage(t, *u)
	checkCollect(t, p, StreamText)
}

// checkStreamToolCall assembles the call from the chunks kept by drain,
// after the stream ended: a stream that reuses one ToolCalls array for
// every chunk fails here with a lost id or name and repeated arguments.
func checkStreamToolCall(t *testing.T, p llmrouter.Provider) {
	chunks, err := drain(t, p, StreamToolCall)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	calls := map[int]*llmrouter.ToolCall{}
	for _, c := range chunks {
		for _, d := range c.ToolCalls {
			tc := calls[d.Index]
			if tc == nil {
				tc = &llmrouter.ToolCall{}
				calls[d.Index] = tc
			}
			if d.ID != "" {
				tc.ID = d.ID
			}
			if d.Name != "" {
				tc.Name = d.Name
			}
			tc.Arguments += d.Arguments
		}
	}
	if len(calls) != 1 || calls[0] == nil {
		t.Fatalf("streamed tool calls = %v; want one at index 0", calls)
	}
	checkToolCallValue(t, *calls[0])
	f, u := finishOf(chunks)
	if f != llmrouter.FinishToolCalls {
		t.Errorf("finish reason = %q; want tool_calls", f)
	}
	if u == nil {
		t.Fatalf("stream reported no usage")
	}
	checkUsage(t, *u)
	checkCollect(t, p, StreamToolCall)
}

func checkStreamCut(t *testing.T, p llmrouter.Provider) {
	chunks, err := drain(t, p, StreamCut)
	if f, _ := finishOf(chunks); f != "" {
		t.Errorf("a cut stream reported finish reason %q", f)
	}
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("a cut stream ended with %v; want a *ProviderError", err)
	}
	if pe.Kind != llmrouter.KindTransport && pe.Kind != llmrouter.KindMalformed {
		t.Errorf("cut stream kind = %v; want transport or malformed", pe.Kind)
	}
	checkNoKey(t, pe)
}

func checkError(s Scenario, want llmrouter.Kind) func(*testing.T, llmrouter.Provider) {
	return func(t *testing.T, p llmrouter.Provider) {
		_, err := call(t, p, s)
		pe := checkProviderError(t, "Chat", err, want)
		if pe != nil && s == RateLimited && pe.RetryAfter != RetryAfter {
			t.Errorf("RetryAfter = %v; want %v", pe.RetryAfter, RetryAfter)
		}
		st, err := p.Stream(ctxT(t), Deployment(p), Request(s))
		if err == nil {
			for st.Next() {
			}
			err = st.Err()
			_ = st.Close()
		}
		checkProviderError(t, "Stream", err, want)
	}
}

func checkProviderError(t *testing.T, op string, err error, want llmrouter.Kind) *llmrouter.ProviderError {
	t.Helper()
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) {
		t.Errorf("%s error = %v; want a *ProviderError of kind %v", op, err, want)
		return nil
	}
	if pe.Kind != want {
		t.Errorf("%s error kind = %v; want %v (%v)", op, pe.Kind, want, pe)
	}
	if pe.Provider == "" {
		t.Errorf("%s error names no provider", op)
	}
	checkNoKey(t, pe)
	return pe
}

func checkNoKey(t *testing.T, err error) {
	t.Helper()
	if strings.Contains(err.Error(), APIKey) || strings.Contains(err.Error(), APIKey[8:]) {
		t.Errorf("error reveals the API key: %v", err)
	}
}

// checkHang checks that calls end promptly once their context ends. A
// provider declaring llmrouter.ContextHonoring is called directly by the
// router, trusted to return by itself: for it, "promptly" is within a
// second; for others the router guards every call with a goroutine, and
// the suite says so.
func checkHang(t *testing.T, p llmrouter.Provider) {
	bound := 5 * time.Second
	if h, ok := p.(llmrouter.ContextHonoring); ok && h.HonorsContext() {
		bound = time.Second
	} else {
		t.Logf("%s does not declare llmrouter.ContextHonoring: the router will call it on a goroutine of its own per call; declare it if it passes this check", p.Name())
	}
	for _, op := range []string{"Chat", "Stream"} {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		start := time.Now()
		var err error
		if op == "Chat" {
			_, err = p.Chat(ctx, Deployment(p), Request(Hang))
		} else {
			var st llmrouter.ChunkStream
			st, err = p.Stream(ctx, Deployment(p), Request(Hang))
			if err == nil {
				for st.Next() {
				}
				err = st.Err()
				_ = st.Close()
			}
		}
		cancel()
		if el := time.Since(start); el > bound {
			t.Errorf("%s took %v to return after its context ended (bound %v)", op, el, bound)
		}
		var pe *llmrouter.ProviderError
		if !errors.As(err, &pe) {
			t.Errorf("%s error = %v; want a *ProviderError", op, err)
			continue
		}
		if pe.Kind != llmrouter.KindTimeout && pe.Kind != llmrouter.KindCanceled {
			t.Errorf("%s error kind = %v; want timeout or canceled", op, pe.Kind)
		}
	}
}
