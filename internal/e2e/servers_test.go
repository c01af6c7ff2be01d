package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter/internal/faults"
)

// decider picks the fate of the n-th call (from 1) of request id.
type decider func(reqID string, n int64, stream bool) faults.Fate

// upstream is a loopback server speaking one provider's wire format, with
// faults chosen by a decider. Requests carry their id in the prompt text
// ("req-123"), so a fault schedule keyed by (id, attempt) is reproducible
// whatever the goroutine schedule.
type upstream struct {
	*httptest.Server
	decide   decider
	calls    atomic.Int64
	attempts sync.Map // request id -> *atomic.Int64
	byPath   sync.Map // path -> *atomic.Int64
	byModel  sync.Map // model named in the body -> *atomic.Int64
}

var (
	reqIDPattern = regexp.MustCompile(`req-[0-9]+`)
	modelPattern = regexp.MustCompile(`"model":"([^"]*)"`)
)

// dialect writes one provider's answers and errors.
type dialect interface {
	stream(r *http.Request, body []byte) bool
	answer(w http.ResponseWriter)
	streamAnswer(w http.ResponseWriter, cut bool)
	serverError(w http.ResponseWriter)
	rateLimited(w http.ResponseWriter)
}

func newUpstream(t testing.TB, d dialect, decide decider) *upstream {
	u := &upstream{decide: decide}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.calls.Add(1)
		v, _ := u.byPath.LoadOrStore(r.URL.Path, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
		if m := modelPattern.FindSubmatch(body); m != nil {
			v, _ := u.byModel.LoadOrStore(string(m[1]), new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
		}
		id := reqIDPattern.FindString(string(body))
		a, _ := u.attempts.LoadOrStore(id, new(atomic.Int64))
		n := a.(*atomic.Int64).Add(1)
		stream := d.stream(r, body)
		f := faults.OK
		if u.decide != nil {
			f = u.decide(id, n, stream)
		}
		switch f {
		case faults.Server:
			d.serverError(w)
		case faults.RateLimited:
			d.rateLimited(w)
		case faults.Hang:
			<-r.Context().Done()
		case faults.Malformed:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"choices":[{"message":{"content":`)
		case faults.StreamCut:
			if stream {
				d.streamAnswer(w, true)
				return
			}
			d.answer(w)
		default:
			if stream {
				d.streamAnswer(w, false)
			} else {
				d.answer(w)
			}
		}
	}))
	t.Cleanup(u.Close)
	return u
}

// modelCalls returns how many calls named model in their body.
func (u *upstream) modelCalls(model string) int64 {
	if v, ok := u.byModel.Load(model); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

const answerText = "a healthy answer"

func sse(w http.ResponseWriter, events ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	for _, e := range events {
		io.WriteString(w, e)
		io.WriteString(w, "\n\n")
	}
	w.(http.Flusher).Flush()
}

// cut aborts the connection mid-stream, as a dropped TCP connection does.
func cut(w http.ResponseWriter) {
	w.(http.Flusher).Flush()
	time.Sleep(time.Millisecond)
	panic(http.ErrAbortHandler)
}

func jsonError(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// openaiDialect speaks Chat Completions.
type openaiDialect struct{}

func (openaiDialect) stream(_ *http.Request, body []byte) bool {
	return strings.Contains(string(body), `"stream":true`)
}

func (openaiDialect) answer(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt","choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}`, answerText)
}

func (openaiDialect) streamAnswer(w http.ResponseWriter, cutAfter bool) {
	sse(w, `data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`,
		`data: {"id":"c1","choices":[{"index":0,"delta":{"content":"a healthy "}}]}`)
	if cutAfter {
		cut(w)
	}
	sse(w, `data: {"id":"c1","choices":[{"index":0,"delta":{"content":"answer"}}]}`,
		`data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
		`data: {"id":"c1","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}`,
		`data: [DONE]`)
}

func (openaiDialect) serverError(w http.ResponseWriter) {
	jsonError(w, 500, `{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}`)
}

func (openaiDialect) rateLimited(w http.ResponseWriter) {
	w.Header().Set("Retry-After-Ms", "2")
	jsonError(w, 429, `{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`)
}

// anthropicDialect speaks the Messages API.
type anthropicDialect struct{}

func (anthropicDialect) stream(_ *http.Request, body []byte) bool {
	return strings.Contains(string(body), `"stream":true`)
}

func (anthropicDialect) answer(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":%q}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":3}}`, answerText)
}

func (anthropicDialect) streamAnswer(w http.ResponseWriter, cutAfter bool) {
	sse(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}",
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
		"event: ping\ndata: {\"type\":\"ping\"}",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a healthy \"}}")
	if cutAfter {
		cut(w)
	}
	sse(w, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"answer\"}}",
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}",
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":3}}",
		"event: message_stop\ndata: {\"type\":\"message_stop\"}")
}

func (anthropicDialect) serverError(w http.ResponseWriter) {
	jsonError(w, 529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
}

func (anthropicDialect) rateLimited(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "0.002")
	jsonError(w, 429, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has exceeded your rate limit"}}`)
}

// geminiDialect speaks generateContent.
type geminiDialect struct{}

func (geminiDialect) stream(r *http.Request, _ []byte) bool {
	return strings.Contains(r.URL.Path, "streamGenerateContent")
}

func (geminiDialect) answer(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"candidates":[{"content":{"role":"model","parts":[{"text":%q}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":3,"totalTokenCount":8},"modelVersion":"gemini","responseId":"r1"}`, answerText)
}

func (geminiDialect) streamAnswer(w http.ResponseWriter, cutAfter bool) {
	sse(w, `data: {"candidates":[{"content":{"role":"model","parts":[{"text":"a healthy "}]},"index":0}],"usageMetadata":{"promptTokenCount":5,"totalTokenCount":5},"modelVersion":"gemini"}`)
	if cutAfter {
		cut(w)
	}
	sse(w, `data: {"candidates":[{"content":{"role":"model","parts":[{"text":"answer"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":3,"totalTokenCount":8},"modelVersion":"gemini"}`)
}

func (geminiDialect) serverError(w http.ResponseWriter) {
	jsonError(w, 500, `{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}`)
}

func (geminiDialect) rateLimited(w http.ResponseWriter) {
	jsonError(w, 429, `{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"0.002s"}]}}`)
}
