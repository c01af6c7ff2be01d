package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

// addFixtures seeds f with every testdata file matching pattern.
func addFixtures(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func fakeResponse(status int, contentType string, body []byte) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}},
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
}

func checkErr(t *testing.T, err error) *llmrouter.ProviderError {
	t.Helper()
	if err == nil {
		return nil
	}
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ProviderError", err, err)
	}
	if pe.Kind == llmrouter.KindUnknown || pe.Provider == "" {
		t.Fatalf("unclassified error %+v", pe)
	}
	return pe
}

func FuzzDecodeResponse(f *testing.F) {
	addFixtures(f, "response_*.json")
	addFixtures(f, "error_*.json")
	f.Add([]byte(`{"choices":[{"message":{"content":[{"type":"text","text":"a\u00e9"}],"tool_calls":[{"id":"x","function":{"name":"f","arguments":{"a":[1,2.5e3,true,null]}}}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":-1e400}}`))
	p := New(WithAPIKey(providertest.APIKey))
	d := &llmrouter.Deployment{Name: "fuzz"}
	f.Fuzz(func(t *testing.T, body []byte) {
		w := getWork()
		defer putWork(w)
		resp, err := p.readResponse(context.Background(), d, fakeResponse(200, "application/json", body), w)
		checkErr(t, err)
		if err == nil {
			if resp == nil {
				t.Fatal("nil response and nil error")
			}
			if !json.Valid(body) {
				t.Fatalf("accepted invalid JSON %q", body)
			}
		}
	})
}

func FuzzStream(f *testing.F) {
	addFixtures(f, "*.sse")
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n"))
	f.Add([]byte("event: error\ndata: {\"error\":\"x\"}\n\n"))
	f.Add([]byte(": keep-alive\r\n\r\ndata: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"{\"}}]}}]}\r\n\r\n"))
	p := New(WithAPIKey(providertest.APIKey))
	d := &llmrouter.Deployment{Name: "fuzz"}
	f.Fuzz(func(t *testing.T, body []byte) {
		st, err := p.openStream(context.Background(), d, fakeResponse(200, "text/event-stream", body), getWork())
		if err != nil {
			t.Fatalf("openStream: %v", err)
		}
		n := 0
		for st.Next() {
			c := st.Current()
			if c.Text == "" && c.Reasoning == "" && c.Refusal == "" && len(c.ToolCalls) == 0 &&
				c.FinishReason == "" && c.Usage == nil && c.ServedBy == "" {
				t.Fatalf("empty chunk %+v", c)
			}
			n++
		}
		err = st.Err()
		checkErr(t, err)
		if err == nil && !bytes.Contains(body, []byte("[DONE]")) {
			t.Fatalf("clean end without [DONE] after %d chunks", n)
		}
		_ = st.Close()
	})
}

func FuzzErrorBody(f *testing.F) {
	addFixtures(f, "error_*")
	f.Add([]byte(`{"error":{"message":"x","code":{"nested":[1]},"innererror":{"code":5}}}`))
	f.Add([]byte(`{"error":"` + providertest.APIKey + `"}`))
	p := New(WithAPIKey(providertest.APIKey))
	statuses := []int{0, 200, 400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 503, 529, 600}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range statuses {
			h := http.Header{"Retry-After": {"1"}, "X-Ratelimit-Reset-Tokens": {string(body[:min(len(body), 8)])}}
			pe := p.classify(status, h, body, "fuzz")
			checkErr(t, pe)
			if pe.RetryAfter < 0 {
				t.Fatalf("negative RetryAfter %v", pe.RetryAfter)
			}
			if strings.Contains(pe.Error(), providertest.APIKey[8:]) {
				t.Fatalf("error shows the key: %v", pe)
			}
			if len(pe.Message) > wire.MaxMessage {
				t.Fatalf("message not bounded: %d bytes", len(pe.Message))
			}
		}
		// The same body inside a stream.
		pe := p.classify(0, nil, body, "fuzz")
		checkErr(t, pe)
	})
}

// FuzzScannerString checks the scanner's strings against encoding/json's.
func FuzzScannerString(f *testing.F) {
	for _, s := range []string{`"a"`, `"\u00e9\ud83d\ude00"`, `"\ud800\u0041"`, `"\\\"\/\b\f\n\r\t"`, `"x\u2028"`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var sc scanner
		sc.reset(raw)
		got := sc.string()
		err := sc.end()
		var want *string
		jerr := json.Unmarshal(raw, &want)
		isString := jerr == nil && want != nil
		switch {
		case err == nil && jerr != nil:
			t.Fatalf("scanner accepted %q, encoding/json did not: %v", raw, jerr)
		case err == nil && jerr == nil && isString && utf8.Valid(raw) && got != *want:
			t.Fatalf("scanner read %q as %q; encoding/json as %q", raw, got, *want)
		case err != nil && isString:
			t.Fatalf("scanner rejected %q: %v", raw, err)
		}
		// Round trip through the encoder.
		var back string
		if err := json.Unmarshal(appendString(nil, got), &back); err != nil {
			t.Fatalf("appendString(%q) is not JSON: %v", got, err)
		}
		if utf8.ValidString(got) && back != got {
			t.Fatalf("appendString round trip: %q became %q", got, back)
		}
	})
}
