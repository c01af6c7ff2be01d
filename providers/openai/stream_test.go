package openai

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/sse"
)

func TestStreamFixtures(t *testing.T) {
	t.Run("text", func(t *testing.T) {
		p, _ := newTestServer(t, serveSSE(string(readFixture(t, "stream_text.sse")), nil,
			"X-Ratelimit-Remaining-Requests", "59", "X-Ratelimit-Reset-Requests", "1s"))
		st, err := p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
		if err != nil {
			t.Fatal(err)
		}
		chunks, err := collect(t, st)
		if err != nil {
			t.Fatal(err)
		}
		if got := joinText(chunks); got != "Hello! How can I \"help\"\n" {
			t.Errorf("text = %q", got)
		}
		want := &llmrouter.RateLimit{RemainingRequests: 59, RemainingTokens: -1, ResetRequests: time.Second}
		if len(chunks) != 4 || !reflect.DeepEqual(chunks[0].RateLimit, want) || chunks[1].RateLimit != nil {
			t.Fatalf("chunks = %+v; want 4, the first with the rate limit", chunks)
		}
		if chunks[2].FinishReason != llmrouter.FinishStop {
			t.Errorf("finish = %+v", chunks[2])
		}
		if u := chunks[3].Usage; u == nil || *u != (llmrouter.Usage{InputTokens: 9, OutputTokens: 12}) {
			t.Errorf("usage = %+v", u)
		}
	})
	t.Run("tool calls", func(t *testing.T) {
		p, _ := newTestServer(t, serveSSE(string(readFixture(t, "stream_tool_call.sse")), nil))
		st, err := p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
		if err != nil {
			t.Fatal(err)
		}
		chunks, err := collect(t, st)
		if err != nil {
			t.Fatal(err)
		}
		var deltas []llmrouter.ToolCallDelta
		var finish llmrouter.FinishReason
		for _, c := range chunks {
			deltas = append(deltas, c.ToolCalls...)
			if c.FinishReason != "" {
				finish = c.FinishReason
			}
		}
		want := []llmrouter.ToolCallDelta{
			{Index: 0, ID: "call_1", Name: "get_weather"},
			{Index: 0, Arguments: `{"city":`},
			{Index: 0, Arguments: `"Paris"}`},
			{Index: 1, ID: "call_2", Name: "get_time", Arguments: "{}"},
		}
		if !reflect.DeepEqual(deltas, want) || finish != llmrouter.FinishToolCalls {
			t.Errorf("deltas = %+v, finish %q", deltas, finish)
		}
	})
	t.Run("azure empty first chunk", func(t *testing.T) {
		p, _ := newTestServer(t, serveSSE(string(readFixture(t, "stream_azure.sse")), nil), Azure("", ""))
		st, err := p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
		if err != nil {
			t.Fatal(err)
		}
		chunks, err := collect(t, st)
		if err != nil {
			t.Fatal(err)
		}
		if got := joinText(chunks); got != "Color is a property." {
			t.Errorf("text = %q", got)
		}
		if len(chunks) != 4 || chunks[2].FinishReason != llmrouter.FinishStop || chunks[3].Usage.InputTokens != 20 {
			t.Errorf("chunks = %+v", chunks)
		}
	})
	t.Run("refusal", func(t *testing.T) {
		p, _ := newTestServer(t, serveSSE(`data: {"choices":[{"index":0,"delta":{"role":"assistant","refusal":"I can't"}}]}`+"\n\n"+
			`data: {"choices":[{"index":0,"delta":{"refusal":" help."}}]}`+"\n\n"+
			`data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n"+"data: [DONE]\n\n", nil))
		st, _ := p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
		chunks, err := collect(t, st)
		refusal := ""
		for _, c := range chunks {
			refusal += c.Refusal
		}
		if err != nil || refusal != "I can't help." || joinText(chunks) != "" || chunks[len(chunks)-1].FinishReason != llmrouter.FinishContentFilter {
			t.Errorf("refusal stream = %+v, %v", chunks, err)
		}
	})
	t.Run("reasoning", func(t *testing.T) {
		p, _ := newTestServer(t, serveSSE(`data: {"choices":[{"index":0,"delta":{"reasoning_content":"think"}}]}`+"\n\n"+
			`data: {"choices":[{"index":0,"delta":{"content":"ok","reasoning_content":null}}]}`+"\n\n"+
			`data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}`+"\n\n"+"data:[DONE]\n\n", nil))
		st, _ := p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
		chunks, err := collect(t, st)
		if err != nil || len(chunks) != 3 || chunks[0].Reasoning != "think" || chunks[1].Text != "ok" || chunks[2].FinishReason != llmrouter.FinishLength {
			t.Errorf("reasoning stream = %+v, %v", chunks, err)
		}
	})
}

// TestStreamFaults covers streams that end badly.
func TestStreamFaults(t *testing.T) {
	first := `data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}` + "\n\n"
	cases := []struct {
		name       string
		h          http.HandlerFunc
		kind       llmrouter.Kind
		code       string
		wantChunks int
	}{
		{"cut mid-stream", serveSSE(first, cut), llmrouter.KindTransport, "", 1},
		{"cut mid-event", serveSSE(first+`data: {"choices":[{"ind`, cut), llmrouter.KindTransport, "", 1},
		{"clean end without DONE", serveSSE(first+`data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n", nil), llmrouter.KindTransport, "", 2},
		{"partial last event", serveSSE(first+`data: {"choices":[]}`, nil), llmrouter.KindTransport, "", 1},
		{"malformed event", serveSSE(first+"data: {not json}\n\n", nil), llmrouter.KindMalformed, "", 1},
		{"html instead of events", serveSSE("data: <html>\n\n", nil), llmrouter.KindMalformed, "", 0},
		{"in-stream error", serveSSE(first+`data: {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`+"\n\n", nil),
			llmrouter.KindServer, "server_error", 1},
		{"in-stream rate limit", serveSSE(first+`data: {"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}`+"\n\n", nil),
			llmrouter.KindRateLimited, "rate_limit_exceeded", 1},
		{"in-stream context length", serveSSE(`data: {"error":{"message":"This model's maximum context length is 8192 tokens.","type":"BadRequestError","code":400}}`+"\n\n", nil),
			llmrouter.KindContextLength, "BadRequestError", 0},
		{"named error event", serveSSE(first+"event: error\ndata: {\"error\":{\"message\":\"Overloaded\",\"type\":\"overloaded_error\"}}\n\n", nil),
			llmrouter.KindServer, "overloaded_error", 1},
		{"openrouter mid-stream error", serveSSE(string(readFixture(t, "stream_openrouter_error.sse")), nil), llmrouter.KindServer, "", 1},
		{"finish_reason error", serveSSE(first+`data: {"choices":[{"index":0,"delta":{},"finish_reason":"error"}]}`+"\n\n", nil), llmrouter.KindServer, "error", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := newTestServer(t, tc.h)
			st, err := p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
			if err != nil {
				t.Fatal(err)
			}
			chunks, err := collect(t, st)
			var pe *llmrouter.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v; want a *ProviderError", err)
			}
			if pe.Kind != tc.kind || pe.Code != tc.code || pe.Provider != "openai" || pe.Deployment != "dep" {
				t.Errorf("err = %+v; want kind %v code %q", pe, tc.kind, tc.code)
			}
			if len(chunks) != tc.wantChunks {
				t.Errorf("%d chunks before the error; want %d", len(chunks), tc.wantChunks)
			}
			if st.Next() {
				t.Errorf("Next after the end returned true")
			}
		})
	}
}

func TestStreamStallEndsWithContext(t *testing.T) {
	p, _ := newTestServer(t, serveSSE(`data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}`+"\n\n", hang))
	for _, tc := range []struct {
		name string
		kind llmrouter.Kind
		stop func(cancel context.CancelFunc)
	}{
		{"deadline", llmrouter.KindTimeout, nil},
		{"cancel", llmrouter.KindCanceled, func(cancel context.CancelFunc) { time.AfterFunc(100*time.Millisecond, cancel) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			if tc.stop != nil {
				ctx, cancel = context.WithCancel(context.Background())
				tc.stop(cancel)
			}
			defer cancel()
			start := time.Now()
			st, err := p.Stream(ctx, testDeployment(p), simpleRequest())
			if err != nil {
				t.Fatal(err)
			}
			chunks, err := collect(t, st)
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("took %v", el)
			}
			var pe *llmrouter.ProviderError
			if len(chunks) != 1 || !errors.As(err, &pe) || pe.Kind != tc.kind {
				t.Errorf("chunks %d, err %v; want 1 chunk and %v", len(chunks), err, tc.kind)
			}
		})
	}
}

func TestStreamCloseEarly(t *testing.T) {
	released := make(chan struct{})
	p, _ := newTestServer(t, serveSSE(`data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}`+"\n\n",
		func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // the client closed the stream
			close(released)
		}))
	st, err := p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Next() || st.Current().Text != "Hel" {
		t.Fatalf("first chunk = %+v", st.Current())
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if st.Next() || st.Err() != nil || st.Close() != nil {
		t.Errorf("after Close: Next true, or Err %v", st.Err())
	}
	select {
	case <-released:
	case <-time.After(5 * time.Second):
		t.Fatal("the server never saw the connection close")
	}
}

// TestStreamLongLine checks an event longer than the SSE reader takes.
func TestStreamLongLine(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 4 MiB")
	}
	p, _ := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, `data: {"choices":[{"index":0,"delta":{"content":"`+strings.Repeat("a", 4<<20)+`"}}]}`+"\n\n")
	})
	st, err := p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
	if err != nil {
		t.Fatal(err)
	}
	_, err = collect(t, st)
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) || pe.Kind != llmrouter.KindMalformed {
		t.Errorf("err = %v; want malformed", err)
	}
}

// An event of many short data lines past sse.MaxEvent ends the stream as
// malformed, without joining them all. The lines are JSON white space, so
// the event would decode if it were read whole.
func TestStreamEventTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 16 MiB")
	}
	pad := strings.Repeat("data:"+strings.Repeat(" ", 59)+"\n", sse.MaxEvent/32)
	p, _ := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, `data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]`+"\n"+pad+"data: }\n\ndata: [DONE]\n\n")
	})
	st, err := p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
	if err != nil {
		t.Fatal(err)
	}
	_, err = collect(t, st)
	var pe *llmrouter.ProviderError
	var tooLarge *sse.EventTooLargeError
	if !errors.As(err, &pe) || pe.Kind != llmrouter.KindMalformed || !errors.As(err, &tooLarge) {
		t.Errorf("err = %v; want malformed, from an *sse.EventTooLargeError", err)
	}
}
