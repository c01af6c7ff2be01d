package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/sse"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

// streamed is what a stream delivered, accumulated.
type streamed struct {
	Text, Reasoning string
	Calls           []llmrouter.ToolCall
	Finish          llmrouter.FinishReason
	Usage           *llmrouter.Usage
	Chunks          int
	Finishes        int // chunks carrying a finish reason
}

func collect(t *testing.T, st llmrouter.ChunkStream) (streamed, error) {
	t.Helper()
	var s streamed
	for st.Next() {
		c := st.Current()
		s.Chunks++
		s.Text += c.Text
		s.Reasoning += c.Reasoning
		for _, d := range c.ToolCalls {
			for len(s.Calls) <= d.Index {
				s.Calls = append(s.Calls, llmrouter.ToolCall{})
			}
			tc := &s.Calls[d.Index]
			if d.ID != "" {
				tc.ID = d.ID
			}
			if d.Name != "" {
				tc.Name = d.Name
			}
			tc.Arguments += d.Arguments
		}
		if c.FinishReason != "" {
			s.Finish = c.FinishReason
			s.Finishes++
		}
		if c.Usage != nil {
			s.Usage = c.Usage
		}
	}
	err := st.Err()
	_ = st.Close()
	return s, err
}

func streamRaw(t *testing.T, raw string) (streamed, error) {
	t.Helper()
	p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
		if _, ok := checkCall(t, r, "gemini-2.5-flash"); !ok {
			writeJSON(w, 404, readFixture(t, "error_not_found.json"))
			return
		}
		writeRaw(w, raw)
	})
	st, err := p.Stream(context.Background(), deployment(p, "gemini-2.5-flash"), providertest.Request(providertest.StreamText))
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	return collect(t, st)
}

func TestStreamFixtures(t *testing.T) {
	tests := []struct {
		file string
		want streamed
	}{
		{"stream_cookbook.sse", streamed{
			Text:   "In the quaint, sunlit cottage nestled amidst a lush meadow, resided two feline companions named Mittens and Whiskers. other and for adventure stronger than ever.",
			Finish: llmrouter.FinishStop,
		}},
		{"stream_thinking.sse", streamed{
			Text:      "Hello! How can I help you today?",
			Reasoning: "**Planning the greeting**\n\nA short hello will do.",
			Finish:    llmrouter.FinishStop,
			Usage:     &llmrouter.Usage{InputTokens: 9, OutputTokens: 49, ReasoningTokens: 40},
		}},
		{"stream_function_call.sse", streamed{
			Text: "Let me check both.",
			Calls: []llmrouter.ToolCall{
				{ID: "call_0", Name: "get_current_temperature", Arguments: `{"location":"Paris"}`},
				{ID: "call_1", Name: "get_current_temperature", Arguments: `{"location":"London"}`},
			},
			Finish: llmrouter.FinishToolCalls,
			Usage:  &llmrouter.Usage{InputTokens: 70, OutputTokens: 80, ReasoningTokens: 50},
		}},
		{"stream_trailing_usage.sse", streamed{
			Text:   "Done",
			Finish: llmrouter.FinishLength,
			Usage:  &llmrouter.Usage{InputTokens: 4, OutputTokens: 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := streamRaw(t, readFixture(t, tt.file))
			if err != nil {
				t.Fatalf("stream error: %v", err)
			}
			if got.Finishes != 1 {
				t.Errorf("%d chunks carried a finish reason; want exactly 1 (the last)", got.Finishes)
			}
			got.Chunks, got.Finishes = 0, 0
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v (usage %+v)\nwant %+v (usage %+v)", got, got.Usage, tt.want, tt.want.Usage)
			}
		})
	}
}

func TestStreamFaults(t *testing.T) {
	text := `{"candidates":[{"content":{"parts":[{"text":"Hello"}],"role":"model"},"index":0}]}`
	compact := func(name string) string {
		var b bytes.Buffer
		if err := json.Compact(&b, []byte(readFixture(t, name))); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	tests := []struct {
		name string
		raw  string
		kind llmrouter.Kind
		code string
		text string
		// Checked when set.
		class  llmrouter.Class
		status int
		retry  time.Duration
	}{
		{"clean close without finish reason", "data: " + text + "\r\n\r\n", llmrouter.KindTransport, "stream_cut", "Hello", 0, 0, 0},
		{"empty body", "", llmrouter.KindTransport, "stream_cut", "", 0, 0, 0},
		{"partial last event", "data: " + text + "\n\ndata: {\"candidates\":[{\"content\":{\"parts\":[{\"te", llmrouter.KindTransport, "", "Hello", 0, 0, 0},
		{"garbage event", "data: " + text + "\n\ndata: {not json}\n\n", llmrouter.KindMalformed, "", "Hello", 0, 0, 0},
		{"wrong shape", "data: {\"candidates\":\"nope\"}\n\n", llmrouter.KindMalformed, "", "", 0, 0, 0},
		{"in-stream error", readFixture(t, "stream_error.sse"), llmrouter.KindServer, "UNAVAILABLE", "Partial answer", 0, 0, 0},
		{"in-stream rate limit", "data: {\"error\":{\"code\":429,\"message\":\"quota\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"5s\"}]}}\n\n", llmrouter.KindRateLimited, "RESOURCE_EXHAUSTED", "",
			llmrouter.ClassRetry, 429, 5 * time.Second},
		// Gemini sends an error that happens after the 200 as a bare
		// {"error":{...}} without "data:": on one line (the shape
		// go-genai's tests send, here without a line end) or pretty-printed
		// as in a response body (which python-genai reassembles line by
		// line). It is classified as the same body would be: a bad request
		// is not retried, a daily quota fails over, a refused key is an
		// auth error, and RetryInfo is kept.
		{"bare daily quota, pretty-printed, after text", "data: " + text + "\r\n\r\n" + readFixture(t, "error_daily_quota.json"), llmrouter.KindRateLimited, "RESOURCE_EXHAUSTED", "Hello",
			llmrouter.ClassFailover, 429, 1500 * time.Millisecond},
		{"bare rate limit, one line", "data: " + text + "\r\n\r\n" + `{"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}]}}` + "\n\n", llmrouter.KindRateLimited, "RESOURCE_EXHAUSTED", "Hello",
			llmrouter.ClassRetry, 429, 37 * time.Second},
		{"bare bad request, one line without line end", compact("error_invalid_argument.json"), llmrouter.KindBadRequest, "INVALID_ARGUMENT", "",
			llmrouter.ClassStop, 400, 0},
		{"bare refused key, pretty-printed", readFixture(t, "error_api_key_invalid.json"), llmrouter.KindAuth, "API_KEY_INVALID", "",
			llmrouter.DefaultClass(llmrouter.KindAuth), 400, 0},
		{"bare overloaded, after text, CRLF", "data: " + text + "\r\n\r\n" + strings.ReplaceAll(readFixture(t, "error_unavailable.json"), "\n", "\r\n") + "\r\n", llmrouter.KindServer, "UNAVAILABLE", "Hello",
			llmrouter.ClassRetry, 503, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := streamRaw(t, tt.raw)
			var pe *llmrouter.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v; want *ProviderError", err)
			}
			if pe.Kind != tt.kind || (tt.code != "" && pe.Code != tt.code) {
				t.Errorf("err = %v; want kind %v code %q", pe, tt.kind, tt.code)
			}
			if (tt.class != 0 && pe.EffectiveClass() != tt.class) || (tt.status != 0 && pe.StatusCode != tt.status) ||
				(tt.class != 0 && pe.RetryAfter != tt.retry) {
				t.Errorf("err = %+v; want class %v, status %d, retry after %v", pe, tt.class, tt.status, tt.retry)
			}
			if pe.Provider != Name || pe.Deployment != "gemini-test" {
				t.Errorf("provider/deployment = %q/%q", pe.Provider, pe.Deployment)
			}
			if got.Finish != "" || got.Text != tt.text {
				t.Errorf("delivered %+v; want text %q and no finish", got, tt.text)
			}
		})
	}
}

// A last event with a finish reason whose line ends but no blank line
// follows is whole: the answer is complete.
func TestStreamLastEventWithoutBlankLine(t *testing.T) {
	got, err := streamRaw(t, `data: {"candidates":[{"content":{"parts":[{"text":"Hi"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1}}`+"\n")
	if err != nil || got.Text != "Hi" || got.Finish != llmrouter.FinishStop || got.Usage == nil {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestStreamDelimiters(t *testing.T) {
	for _, sep := range []string{"\n\n", "\r\n\r\n"} {
		p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
			writeSSE(w, sep, confStreamText...)
		})
		st, err := p.Stream(context.Background(), deployment(p, "gemini-2.5-flash"), providertest.Request(providertest.StreamText))
		if err != nil {
			t.Fatal(err)
		}
		got, err := collect(t, st)
		if err != nil || got.Text != providertest.AnswerText || got.Finish != llmrouter.FinishStop {
			t.Errorf("sep %q: got %+v, %v", sep, got, err)
		}
	}
}

// The connection drops mid-event: a transport error, after the text sent.
func TestStreamConnectionCut(t *testing.T) {
	p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
		cutConnection(t, w, "data: "+confStreamText[0]+"\r\n\r\ndata: {\"candi")
	})
	st, err := p.Stream(context.Background(), deployment(p, "gemini-2.5-flash"), providertest.Request(providertest.StreamText))
	if err != nil {
		t.Fatal(err)
	}
	got, err := collect(t, st)
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) || pe.Kind != llmrouter.KindTransport {
		t.Fatalf("err = %v; want transport", err)
	}
	if got.Text != "Hello from" || got.Finish != "" {
		t.Errorf("got %+v", got)
	}
}

// The server sends a chunk and stalls: the context's deadline ends the
// blocked read promptly.
func TestStreamStall(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
		writeSSE(w, "\n\n", confStreamText[0])
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	st, err := p.Stream(ctx, deployment(p, "gemini-2.5-flash"), providertest.Request(providertest.StreamText))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, err := collect(t, st)
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("stalled stream took %v to end", el)
	}
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) || pe.Kind != llmrouter.KindTimeout {
		t.Fatalf("err = %v; want timeout", err)
	}
	if got.Text != "Hello from" {
		t.Errorf("text = %q", got.Text)
	}
}

// Close before the end releases the connection; Next then returns false.
func TestStreamCloseEarly(t *testing.T) {
	served := make(chan struct{})
	p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
		defer close(served)
		writeSSE(w, "\n\n", confStreamText[0])
		<-r.Context().Done()
	})
	st, err := p.Stream(context.Background(), deployment(p, "gemini-2.5-flash"), providertest.Request(providertest.StreamText))
	if err != nil {
		t.Fatal(err)
	}
	if !st.Next() || st.Current().Text != "Hello from" {
		t.Fatalf("first chunk = %+v", st.Current())
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if st.Next() {
		t.Errorf("Next after Close returned true")
	}
	select {
	case <-served:
	case <-time.After(5 * time.Second):
		t.Fatalf("the server did not see the stream closed")
	}
}

// A 200 that is a JSON error object rather than an event stream.
func TestStreamJSONInsteadOfEvents(t *testing.T) {
	for body, kind := range map[string]llmrouter.Kind{
		readFixture(t, "error_unavailable.json"): llmrouter.KindServer,
		confText:                                 llmrouter.KindMalformed,
	} {
		p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, body) })
		_, err := p.Stream(context.Background(), deployment(p, "gemini-2.5-flash"), providertest.Request(providertest.StreamText))
		var pe *llmrouter.ProviderError
		if !errors.As(err, &pe) || pe.Kind != kind {
			t.Errorf("err = %v; want %v", err, kind)
		}
	}
}

// Cancelling the context ends a running stream with KindCanceled.
func TestStreamCancel(t *testing.T) {
	p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
		writeSSE(w, "\n\n", confStreamText[0])
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	st, err := p.Stream(ctx, deployment(p, "gemini-2.5-flash"), providertest.Request(providertest.StreamText))
	if err != nil {
		t.Fatal(err)
	}
	if !st.Next() {
		t.Fatalf("no first chunk: %v", st.Err())
	}
	cancel()
	if st.Next() {
		t.Errorf("Next after cancel returned true")
	}
	var pe *llmrouter.ProviderError
	if !errors.As(st.Err(), &pe) || pe.Kind != llmrouter.KindCanceled {
		t.Errorf("err = %v; want canceled", st.Err())
	}
	_ = st.Close()
}

// An event of many short data lines past sse.MaxEvent ends the stream as
// malformed, without joining them all. The lines are JSON white space, so
// the event would decode if it were read whole.
func TestStreamEventTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 16 MiB")
	}
	pad := strings.Repeat("data:"+strings.Repeat(" ", 59)+"\n", sse.MaxEvent/32)
	_, err := streamRaw(t, `data: {"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"STOP","index":0}]`+"\n"+pad+"data: }\n\n")
	var pe *llmrouter.ProviderError
	var tooLarge *sse.EventTooLargeError
	if !errors.As(err, &pe) || pe.Kind != llmrouter.KindMalformed || !errors.As(err, &tooLarge) {
		t.Errorf("err = %v; want malformed, from an *sse.EventTooLargeError", err)
	}
}

// Chunks are the caller's to keep: the function calls of an earlier event
// must not change when a later one is decoded.
func TestStreamChunksKept(t *testing.T) {
	call := func(name, city string) string {
		return `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"` + name + `","args":{"city":"` + city + `"}}}],"role":"model"},"index":0}]}`
	}
	p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
		writeSSE(w, "\r\n\r\n", call("get_weather", "Paris"), call("get_time", "Tokyo"), confStreamText[2])
	})
	st, err := p.Stream(context.Background(), deployment(p, "gemini-2.5-flash"), providertest.Request(providertest.StreamToolCall))
	if err != nil {
		t.Fatal(err)
	}
	var kept []llmrouter.Chunk
	for st.Next() {
		kept = append(kept, st.Current())
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	var got []string
	for _, c := range kept {
		for _, d := range c.ToolCalls {
			got = append(got, fmt.Sprintf("%d %s %s", d.Index, d.Name, d.Arguments))
		}
	}
	want := []string{`0 get_weather {"city":"Paris"}`, `1 get_time {"city":"Tokyo"}`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tool calls read after the stream = %q; want %q", got, want)
	}
}

// Lines that are neither SSE fields nor an error object are ignored.
func TestStreamStrayLines(t *testing.T) {
	text := `{"candidates":[{"content":{"parts":[{"text":"Hello"}],"role":"model"},"index":0}]}`
	got, err := streamRaw(t, "stray line\n{\"not\": \"an error\"}\n\ndata: "+text+"\r\n\r\ndata: "+confStreamText[2]+"\n\n")
	if err != nil || got.Text != "Hello suite." || got.Finish != llmrouter.FinishStop {
		t.Fatalf("got %+v, %v", got, err)
	}
}
