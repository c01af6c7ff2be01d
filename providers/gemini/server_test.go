package gemini

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

// The helpers in this file play Gemini's side of the wire for the tests.

// newTestProvider starts a server running h and returns a provider pointed
// at it, configured with providertest.APIKey.
func newTestProvider(t testing.TB, h http.HandlerFunc, opts ...Option) *Provider {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	opts = append([]Option{WithAPIKey(providertest.APIKey), WithBaseURL(srv.URL), WithHTTPClient(srv.Client())}, opts...)
	return New(opts...)
}

// writeJSON answers with status and a JSON body.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// writeSSE answers 200 with the given events, each as "data: <e>" followed
// by sep ("\r\n\r\n" as Google sends, or "\n\n"), flushing after each.
func writeSSE(w http.ResponseWriter, sep string, events ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	for _, e := range events {
		_, _ = w.Write([]byte("data: " + e + sep))
		if f != nil {
			f.Flush()
		}
	}
}

// writeRaw answers 200 text/event-stream with raw bytes.
func writeRaw(w http.ResponseWriter, raw string) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(raw))
}

// cutConnection sends raw bytes of a chunked 200 response and drops the
// TCP connection without ending the body, as a network failure would.
func cutConnection(t testing.TB, w http.ResponseWriter, raw string) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Errorf("cannot hijack the connection")
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	defer conn.Close()
	writeChunked(buf, raw)
	_ = buf.Flush()
}

func writeChunked(buf *bufio.ReadWriter, raw string) {
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
	_, _ = fmt.Fprintf(buf, "%x\r\n%s\r\n", len(raw), raw)
}

// checkCall fails the request unless it has Gemini's shape: POST to the
// model's method, alt=sse for streams, the key in x-goog-api-key and
// nowhere in the URL.
func checkCall(t testing.TB, r *http.Request, model string) (stream bool, ok bool) {
	t.Helper()
	if r.Method != http.MethodPost {
		t.Errorf("method = %s", r.Method)
		return false, false
	}
	if got := r.Header.Get("x-goog-api-key"); got != providertest.APIKey {
		t.Errorf("x-goog-api-key = %q", got)
		return false, false
	}
	if strings.Contains(r.URL.String(), providertest.APIKey) || r.URL.Query().Has("key") {
		t.Errorf("the key is in the URL: %s", r.URL)
		return false, false
	}
	switch r.URL.Path {
	case "/v1beta/models/" + model + ":generateContent":
		return false, r.URL.RawQuery == ""
	case "/v1beta/models/" + model + ":streamGenerateContent":
		if r.URL.RawQuery != "alt=sse" {
			t.Errorf("stream query = %q; want alt=sse", r.URL.RawQuery)
			return true, false
		}
		return true, true
	}
	t.Errorf("path = %s", r.URL.Path)
	return false, false
}

func deployment(p llmrouter.Provider, model string) *llmrouter.Deployment {
	return &llmrouter.Deployment{Name: "gemini-test", Provider: p, Model: model}
}
