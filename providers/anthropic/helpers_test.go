package anthropic

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
)

const testKey = "sk-ant-test-secret-key-0123456789"

var testDeployment = &llmrouter.Deployment{Name: "claude", Model: "claude-sonnet-4-5"}

// serve returns a provider talking to an httptest server running h.
func serve(t testing.TB, h http.HandlerFunc, opts ...Option) *Provider {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return New(append([]Option{WithAPIKey(testKey), WithBaseURL(srv.URL)}, opts...)...)
}

// sseBody answers with the event stream in body.
func sseBody(body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		_, _ = w.Write([]byte(body))
	}
}

// jsonBody answers with status and body.
func jsonBody(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// fixture returns the content of testdata/name; t may be nil in handlers
// (a missing file then panics).
func fixture(t testing.TB, name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		if t == nil {
			panic(err)
		}
		t.Fatal(err)
	}
	return string(b)
}

func userRequest() *llmrouter.Request {
	return &llmrouter.Request{Model: "route", Messages: []llmrouter.Message{llmrouter.User("Hello")}}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// collected is a stream read to its end, folded into a Response.
type collected struct {
	resp     llmrouter.Response
	chunks   int
	finishes int
	usage    *llmrouter.Usage
	rl       *llmrouter.RateLimit
	err      error
}

// drainStream reads s to its end and closes it.
func drainStream(s llmrouter.ChunkStream) collected {
	var c collected
	var text, reasoning strings.Builder
	for s.Next() {
		ch := s.Current()
		c.chunks++
		text.WriteString(ch.Text)
		reasoning.WriteString(ch.Reasoning)
		for _, d := range ch.ToolCalls {
			for len(c.resp.ToolCalls) <= d.Index {
				c.resp.ToolCalls = append(c.resp.ToolCalls, llmrouter.ToolCall{})
			}
			tc := &c.resp.ToolCalls[d.Index]
			if d.ID != "" {
				tc.ID = d.ID
			}
			if d.Name != "" {
				tc.Name = d.Name
			}
			tc.Arguments += d.Arguments
		}
		if ch.FinishReason != "" {
			c.resp.FinishReason = ch.FinishReason
			c.finishes++
		}
		if ch.Usage != nil {
			u := *ch.Usage
			c.usage = &u
		}
		if ch.RateLimit != nil {
			if c.chunks != 1 {
				c.err = errRateLimitLate
			}
			c.rl = ch.RateLimit
		}
	}
	c.resp.Text, c.resp.Reasoning = text.String(), reasoning.String()
	if c.err == nil {
		c.err = s.Err()
	}
	_ = s.Close()
	return c
}

type testError string

func (e testError) Error() string { return string(e) }

const errRateLimitLate = testError("RateLimit on a chunk after the first")
