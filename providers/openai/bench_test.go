package openai

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// The benchmarks compare the adapter with what a careful hand-written
// net/http + encoding/json client does for the same call: the same request
// body content, the same server, the same transport settings, and the same
// fields decoded (id, model, text, refusal, tool calls, finish reason, usage
// with its details, rate-limit headers).

const benchSystem = "You are a helpful assistant. Answer in one short paragraph."
const benchUser = "What is the capital of France, and why is it famous? Give two reasons."

const benchResponse = `{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Paris is the capital of France. It is famous for the Eiffel Tower, an icon of 19th-century engineering, and for the Louvre, the world's most visited art museum.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":35,"completion_tokens":38,"total_tokens":73,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_44709d6fcb"}`

// benchStream is six chunks: role, three pieces of text, finish, usage.
var benchStream = func() []string {
	head := `data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":`
	tail := func(finish string) string {
		return `,"logprobs":null,"finish_reason":` + finish + `}],"usage":null}` + "\n\n"
	}
	return []string{
		head + `{"role":"assistant","content":"","refusal":null}` + tail("null"),
		head + `{"content":"Paris is the capital of France. "}` + tail("null"),
		head + `{"content":"It is famous for the Eiffel Tower, an icon of 19th-century engineering, "}` + tail("null"),
		head + `{"content":"and for the Louvre, the world's most visited art museum."}` + tail("null"),
		head + `{}` + tail(`"stop"`),
		`data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[],"usage":{"prompt_tokens":35,"completion_tokens":38,"total_tokens":73,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}` + "\n\n",
		"data: [DONE]\n\n",
	}
}()

const benchTextLen = 160 // bytes of answer text in both mock answers

// benchServer is a loopback mock of OpenAI's chat completions endpoint.
func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := w.Header()
		h["X-Request-Id"] = []string{"req_0123456789abcdef"}
		h["X-Ratelimit-Limit-Requests"] = []string{"10000"}
		h["X-Ratelimit-Limit-Tokens"] = []string{"10000000"}
		h["X-Ratelimit-Remaining-Requests"] = []string{"9999"}
		h["X-Ratelimit-Remaining-Tokens"] = []string{"9999950"}
		h["X-Ratelimit-Reset-Requests"] = []string{"6ms"}
		h["X-Ratelimit-Reset-Tokens"] = []string{"0s"}
		if !bytes.Contains(body, []byte(`"stream":true`)) {
			h["Content-Type"] = []string{"application/json"}
			_, _ = io.WriteString(w, benchResponse)
			return
		}
		h["Content-Type"] = []string{"text/event-stream"}
		f := w.(http.Flusher)
		for _, ev := range benchStream {
			_, _ = io.WriteString(w, ev)
			f.Flush()
		}
		// [DONE] is on the wire; the body's terminating zero-length chunk
		// follows in a write of its own when the handler returns, as from
		// a server whose last event and end of body are separate writes (a
		// proxy, say). Yielding first lets the client read [DONE] before
		// the end arrives, as it often does over a network, without
		// sleeping (a sleep would dominate the time measured).
		runtime.Gosched()
	}))
	var conns atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	b.Cleanup(func() {
		// conns/op counts the connections opened after the first: a
		// client that reuses its connection reports 0.
		b.ReportMetric(float64(max(conns.Load()-1, 0))/float64(b.N), "conns/op")
		srv.Close()
	})
	return srv
}

// benchClient is the HTTP client both sides use.
func benchClient() *http.Client { return wire.NewHTTPClient() }

func benchRequest() *llmrouter.Request {
	return &llmrouter.Request{
		Model:           "fast",
		Messages:        []llmrouter.Message{llmrouter.System(benchSystem), llmrouter.User(benchUser)},
		MaxOutputTokens: 256,
		Temperature:     llmrouter.Ptr(0.7),
	}
}

func BenchmarkOpenAIAdapter(b *testing.B) {
	srv := benchServer(b)
	p := New(WithAPIKey("sk-bench-0123456789"), WithBaseURL(srv.URL+"/v1"), WithHTTPClient(benchClient()))
	d := &llmrouter.Deployment{Name: "fast", Provider: p, Model: "gpt-4o-mini"}
	req := benchRequest()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := p.Chat(ctx, d, req)
		if err != nil {
			b.Fatal(err)
		}
		if len(resp.Text) != benchTextLen || resp.Usage.OutputTokens != 38 || resp.RateLimit.RemainingRequests != 9999 {
			b.Fatalf("bad answer %+v", resp)
		}
	}
}

func BenchmarkOpenAIAdapterStream(b *testing.B) {
	srv := benchServer(b)
	p := New(WithAPIKey("sk-bench-0123456789"), WithBaseURL(srv.URL+"/v1"), WithHTTPClient(benchClient()))
	d := &llmrouter.Deployment{Name: "fast", Provider: p, Model: "gpt-4o-mini"}
	req := benchRequest()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		st, err := p.Stream(ctx, d, req)
		if err != nil {
			b.Fatal(err)
		}
		n, out := 0, 0
		var finish llmrouter.FinishReason
		for st.Next() {
			c := st.Current()
			n += len(c.Text)
			if c.FinishReason != "" {
				finish = c.FinishReason
			}
			if c.Usage != nil {
				out = c.Usage.OutputTokens
			}
		}
		if err := st.Err(); err != nil {
			b.Fatal(err)
		}
		_ = st.Close()
		if n != benchTextLen || finish != llmrouter.FinishStop || out != 38 {
			b.Fatalf("bad stream: %d bytes, finish %q, %d tokens", n, finish, out)
		}
	}
}

// The hand-written client.

type hwMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type hwStreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type hwRequest struct {
	Model               string           `json:"model"`
	Messages            []hwMessage      `json:"messages"`
	MaxCompletionTokens int              `json:"max_completion_tokens,omitempty"`
	Temperature         *float64         `json:"temperature,omitempty"`
	Stream              bool             `json:"stream,omitempty"`
	StreamOptions       *hwStreamOptions `json:"stream_options,omitempty"`
}

type hwToolCall struct {
	Index    int    `json:"index"`
	ID       string `json:"id"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type hwUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

type hwMessageOut struct {
	Content   string       `json:"content"`
	Refusal   string       `json:"refusal"`
	ToolCalls []hwToolCall `json:"tool_calls"`
}

type hwResponse struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Message      hwMessageOut `json:"message"`
		FinishReason string       `json:"finish_reason"`
	} `json:"choices"`
	Usage *hwUsage `json:"usage"`
}

type hwChunk struct {
	Choices []struct {
		Delta        hwMessageOut `json:"delta"`
		FinishReason string       `json:"finish_reason"`
	} `json:"choices"`
	Usage *hwUsage `json:"usage"`
}

type hwRateLimit struct {
	RemainingRequests, RemainingTokens int
	ResetRequests, ResetTokens         time.Duration
}

func hwReadRateLimit(h http.Header) hwRateLimit {
	var rl hwRateLimit
	rl.RemainingRequests, _ = strconv.Atoi(h.Get("x-ratelimit-remaining-requests"))
	rl.RemainingTokens, _ = strconv.Atoi(h.Get("x-ratelimit-remaining-tokens"))
	rl.ResetRequests, _ = time.ParseDuration(h.Get("x-ratelimit-reset-requests"))
	rl.ResetTokens, _ = time.ParseDuration(h.Get("x-ratelimit-reset-tokens"))
	return rl
}

type hwClient struct {
	client *http.Client
	url    string
	key    string
}

func (c *hwClient) post(ctx context.Context, req *hwRequest) (*http.Response, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Authorization", "Bearer "+c.key)
	if req.Stream {
		hreq.Header.Set("Accept", "text/event-stream")
	}
	resp, err := c.client.Do(hreq)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp, nil
}

func (c *hwClient) chat(ctx context.Context, req *hwRequest) (*hwResponse, hwRateLimit, error) {
	resp, err := c.post(ctx, req)
	if err != nil {
		return nil, hwRateLimit{}, err
	}
	defer resp.Body.Close()
	var out hwResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, hwRateLimit{}, err
	}
	_, _ = io.Copy(io.Discard, resp.Body) // let the connection be reused
	if len(out.Choices) == 0 {
		return nil, hwRateLimit{}, errors.New("no choices")
	}
	return &out, hwReadRateLimit(resp.Header), nil
}

func benchHWRequest(stream bool) *hwRequest {
	r := &hwRequest{
		Model:               "gpt-4o-mini",
		Messages:            []hwMessage{{Role: "system", Content: benchSystem}, {Role: "user", Content: benchUser}},
		MaxCompletionTokens: 256,
		Temperature:         llmrouter.Ptr(0.7),
	}
	if stream {
		r.Stream, r.StreamOptions = true, &hwStreamOptions{IncludeUsage: true}
	}
	return r
}

func BenchmarkHandWrittenNetHTTP(b *testing.B) {
	srv := benchServer(b)
	c := &hwClient{client: benchClient(), url: srv.URL + "/v1/chat/completions", key: "sk-bench-0123456789"}
	req := benchHWRequest(false)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, rl, err := c.chat(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if len(resp.Choices[0].Message.Content) != benchTextLen || resp.Usage.CompletionTokens != 38 || rl.RemainingRequests != 9999 {
			b.Fatalf("bad answer %+v", resp)
		}
	}
}

func BenchmarkHandWrittenNetHTTPStream(b *testing.B) {
	srv := benchServer(b)
	c := &hwClient{client: benchClient(), url: srv.URL + "/v1/chat/completions", key: "sk-bench-0123456789"}
	req := benchHWRequest(true)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.post(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		_ = hwReadRateLimit(resp.Header)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 4<<20)
		n, out, done := 0, 0, false
		var finish string
		for sc.Scan() {
			line := sc.Bytes()
			data, ok := bytes.CutPrefix(line, []byte("data:"))
			if !ok {
				continue
			}
			data = bytes.TrimSpace(data)
			if bytes.Equal(data, []byte("[DONE]")) {
				done = true
				break
			}
			var ch hwChunk
			if err := json.Unmarshal(data, &ch); err != nil {
				b.Fatal(err)
			}
			for _, choice := range ch.Choices {
				n += len(choice.Delta.Content)
				if choice.FinishReason != "" {
					finish = choice.FinishReason
				}
			}
			if ch.Usage != nil {
				out = ch.Usage.CompletionTokens
			}
		}
		_, _ = io.Copy(io.Discard, resp.Body) // let the connection be reused
		_ = resp.Body.Close()
		if !done || n != benchTextLen || finish != "stop" || out != 38 {
			b.Fatalf("bad stream: done %v, %d bytes, finish %q, %d tokens", done, n, finish, out)
		}
	}
}

// TestBenchAnswersMatch keeps the mock answers honest.
func TestBenchAnswersMatch(t *testing.T) {
	var r hwResponse
	if err := json.Unmarshal([]byte(benchResponse), &r); err != nil || len(r.Choices[0].Message.Content) != benchTextLen {
		t.Fatalf("bench response: %v, %d bytes", err, len(r.Choices[0].Message.Content))
	}
	if !strings.HasSuffix(benchStream[len(benchStream)-1], "[DONE]\n\n") || len(benchStream) != 7 {
		t.Fatal("bench stream must be six chunks and [DONE]")
	}
}

// BenchmarkStreamDecode measures reading a stream's events, without the
// network: the allocations are the stream's own plus one per text piece.
func BenchmarkStreamDecode(b *testing.B) {
	body := []byte(strings.Join(benchStream, ""))
	p := New()
	d := &llmrouter.Deployment{Name: "fast"}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		st, err := p.openStream(ctx, d, fakeResponse(200, "text/event-stream", body), getWork())
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for st.Next() {
			n += len(st.Current().Text)
		}
		if st.Err() != nil || n != benchTextLen {
			b.Fatal(st.Err(), n)
		}
	}
}

// BenchmarkChatDecode measures decoding a whole answer, without the network.
func BenchmarkChatDecode(b *testing.B) {
	body := []byte(benchResponse)
	p := New()
	d := &llmrouter.Deployment{Name: "fast"}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		w := getWork()
		resp, err := p.readResponse(ctx, d, fakeResponse(200, "application/json", body), w)
		putWork(w)
		if err != nil || len(resp.Text) != benchTextLen {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeRequest measures encoding a rich request body.
func BenchmarkEncodeRequest(b *testing.B) {
	p := New()
	d := &llmrouter.Deployment{Name: "gpt-4o"}
	req := richRequest()
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		var err error
		buf, err = p.appendBody(buf[:0], d, req, true)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}
