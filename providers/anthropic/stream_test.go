package anthropic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/sse"
)

const (
	evStart = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"m\",\"stop_reason\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n"
	evText  = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n"
	evEnd = "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":5}}\n\n"
	evStop = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
)

// streamErr opens a stream on h, drains it and returns what it got.
func streamOn(t *testing.T, ctx context.Context, h http.HandlerFunc) collected {
	t.Helper()
	p := serve(t, h)
	st, err := p.Stream(ctx, testDeployment, userRequest())
	if err != nil {
		return collected{err: err}
	}
	return drainStream(st)
}

func wantKind(t *testing.T, err error, kinds ...llmrouter.Kind) *llmrouter.ProviderError {
	t.Helper()
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v; want a *ProviderError of kind %v", err, kinds)
	}
	for _, k := range kinds {
		if pe.Kind == k {
			if pe.Provider != "anthropic" || pe.Deployment != "claude" {
				t.Errorf("error names %q/%q", pe.Provider, pe.Deployment)
			}
			return pe
		}
	}
	t.Fatalf("error %v is of kind %v; want %v", pe, pe.Kind, kinds)
	return nil
}

func TestStreamCutMidStream(t *testing.T) {
	c := streamOn(t, ctxT(t), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, evStart+evText)
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	})
	wantKind(t, c.err, llmrouter.KindTransport)
	if c.resp.Text != "Hello" || c.finishes != 0 {
		t.Errorf("text %q, %d finish reasons; want Hello and none", c.resp.Text, c.finishes)
	}
}

func TestStreamCutMidEvent(t *testing.T) {
	c := streamOn(t, ctxT(t), sseBody(evStart+evText+"event: content_block_delta\ndata: {\"type\":\"content_bl"))
	wantKind(t, c.err, llmrouter.KindTransport)
}

func TestStreamEndsWithoutMessageStop(t *testing.T) {
	// A clean end of the body after message_delta: the answer seemed over,
	// but without message_stop the stream counts as cut, and no finish
	// reason may be reported.
	c := streamOn(t, ctxT(t), sseBody(evStart+evText+evEnd))
	pe := wantKind(t, c.err, llmrouter.KindTransport)
	if !strings.Contains(pe.Message, "message_stop") || c.finishes != 0 || c.usage != nil {
		t.Errorf("error %v, %d finish reasons, usage %v", pe, c.finishes, c.usage)
	}
}

func TestStreamStall(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	c := streamOn(t, ctx, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, evStart+evText)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	wantKind(t, c.err, llmrouter.KindTimeout)
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("stalled stream took %v to end", el)
	}
	if c.resp.Text != "Hello" {
		t.Errorf("text %q before the stall; want Hello", c.resp.Text)
	}
}

func TestStreamCloseStopsUpstream(t *testing.T) {
	gone := make(chan struct{})
	p := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, evStart+evText)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(gone)
	})
	st, err := p.Stream(ctxT(t), testDeployment, userRequest())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Next() {
		t.Fatalf("no first chunk: %v", st.Err())
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if st.Next() {
		t.Error("Next after Close returned true")
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Error("the upstream call still runs after Close")
	}
}

func TestStreamMalformed(t *testing.T) {
	tests := map[string]string{
		"bad json":       evStart + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\n\n",
		"not json":       evStart + "event: message_delta\ndata: <html>502</html>\n\n",
		"bad tool input": evStart + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"n\",\"input\":{\"a\":}}}\n\n",
		"wrong types":    evStart + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":\"zero\",\"delta\":{\"type\":\"text_delta\",\"text\":1}}\n\n",
		"line too long":  evStart + "event: content_block_delta\ndata: " + strings.Repeat("x", 4<<20+10) + "\n\n",
		// Short data lines past sse.MaxEvent: JSON white space, so that
		// the event would decode if it were read whole.
		"event too large": evStart + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}\n" +
			strings.Repeat("data:"+strings.Repeat(" ", 59)+"\n", sse.MaxEvent/32) + "data: }\n\n" + evEnd + evStop,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			c := streamOn(t, ctxT(t), sseBody(body))
			wantKind(t, c.err, llmrouter.KindMalformed)
			if c.finishes != 0 {
				t.Error("a malformed stream reported a finish reason")
			}
		})
	}
}

func TestStreamInBandOverloadedAfterContent(t *testing.T) {
	body := evStart + evText + "event: ping\ndata: {\"type\": \"ping\"}\n\n" +
		"event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n"
	c := streamOn(t, ctxT(t), sseBody(body, "Request-Id", "req_1"))
	pe := wantKind(t, c.err, llmrouter.KindServer)
	if pe.Code != "overloaded_error" || pe.RequestID != "req_1" || pe.EffectiveClass() != llmrouter.ClassRetry {
		t.Errorf("error %+v", pe)
	}
	if c.resp.Text != "Hello" || c.finishes != 0 {
		t.Errorf("text %q, %d finishes", c.resp.Text, c.finishes)
	}
}

func TestStreamTolerates(t *testing.T) {
	// Unknown events, comments, CRLF lines, data-only events, a server
	// tool's input deltas and a tool call whose input arrives whole.
	body := ": keep-alive\r\n\r\n" + evStart +
		"event: brand_new_event\ndata: {\"type\":\"brand_new_event\",\"x\":[1,2]}\n\n" +
		"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"Hi\"}}\n\n" +
		"event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" there\"}}\r\n\r\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"citations_delta\",\"citation\":{}}}\n\n" +
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"server_tool_use\",\"id\":\"srv\",\"name\":\"web_search\",\"input\":{}}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"q\\\":1}\"}}\n\n" +
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_a\",\"name\":\"now\",\"input\":{}}}\n\n" +
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":3,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_b\",\"name\":\"echo\",\"input\":{\"x\": 1}}}\n\n" +
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":3}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"input_tokens\":null,\"output_tokens\":9}}\n\n" +
		"data: {\"type\":\"message_stop\"}\n\n"
	c := streamOn(t, ctxT(t), sseBody(body))
	if c.err != nil {
		t.Fatal(c.err)
	}
	want := []llmrouter.ToolCall{{ID: "toolu_a", Name: "now", Arguments: "{}"}, {ID: "toolu_b", Name: "echo", Arguments: `{"x":1}`}}
	if c.resp.Text != "Hi there" || fmt.Sprint(c.resp.ToolCalls) != fmt.Sprint(want) ||
		c.resp.FinishReason != llmrouter.FinishToolCalls || c.usage == nil || *c.usage != (llmrouter.Usage{InputTokens: 10, OutputTokens: 9}) {
		t.Errorf("got %+v, usage %+v", c.resp, c.usage)
	}
}

func TestStreamNonStreamAnswer(t *testing.T) {
	// A 200 that is not an event stream: an error body, or something else.
	c := streamOn(t, ctxT(t), jsonBody(200, errBody("overloaded_error", "Overloaded")))
	wantKind(t, c.err, llmrouter.KindServer)
	c = streamOn(t, ctxT(t), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html>captive portal</html>")
	})
	wantKind(t, c.err, llmrouter.KindMalformed)
}

func TestStreamNoStopReason(t *testing.T) {
	c := streamOn(t, ctxT(t), sseBody(evStart+evText+evStop))
	if c.err != nil || c.resp.FinishReason != llmrouter.FinishOther {
		t.Errorf("finish %q, err %v; want other", c.resp.FinishReason, c.err)
	}
}
