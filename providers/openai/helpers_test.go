package openai

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

// newTestServer starts an httptest server running h and returns a provider
// pointed at it with the conformance key.
func newTestServer(t testing.TB, h http.HandlerFunc, opts ...Option) (*Provider, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	all := append([]Option{WithAPIKey(providertest.APIKey), WithHTTPClient(srv.Client())}, opts...)
	// Point the provider (presets included) at the server.
	all = append(all, func(p *Provider) {
		if p.azure {
			p.baseURL = srv.URL
		} else {
			p.baseURL = srv.URL + "/v1"
		}
	})
	return New(all...), srv
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serveJSON answers with status and body as application/json, plus headers.
func serveJSON(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// serveSSE answers with the events of transcript, flushing after each, and
// then calls after (nil: end cleanly).
func serveSSE(transcript string, after func(w http.ResponseWriter, r *http.Request), headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		for _, ev := range strings.SplitAfter(transcript, "\n\n") {
			if ev == "" {
				continue
			}
			_, _ = io.WriteString(w, ev)
			w.(http.Flusher).Flush()
		}
		if after != nil {
			after(w, r)
		}
	}
}

// cut drops the connection without ending the response.
func cut(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }

// hang waits until the client goes away.
func hang(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

func ctx10s(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func testDeployment(p llmrouter.Provider) *llmrouter.Deployment {
	return &llmrouter.Deployment{Name: "dep", Provider: p, Model: "gpt-4o-mini"}
}

func simpleRequest() *llmrouter.Request {
	return &llmrouter.Request{Model: "route", Messages: []llmrouter.Message{llmrouter.User("Hi")}}
}

// collect drains a stream.
func collect(t testing.TB, st llmrouter.ChunkStream) ([]llmrouter.Chunk, error) {
	t.Helper()
	var out []llmrouter.Chunk
	for st.Next() {
		out = append(out, st.Current())
	}
	err := st.Err()
	if cerr := st.Close(); cerr != nil {
		t.Errorf("Close: %v", cerr)
	}
	return out, err
}

func joinText(chunks []llmrouter.Chunk) string {
	var b strings.Builder
	for _, c := range chunks {
		b.WriteString(c.Text)
	}
	return b.String()
}
