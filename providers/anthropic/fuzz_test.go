package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// seeds adds the testdata files matching pattern to f's corpus.
func seeds(f *testing.F, pattern string, add func(b []byte)) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds for %s: %v", pattern, err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
}

func FuzzDecodeResponse(f *testing.F) {
	seeds(f, "message*.json", func(b []byte) { f.Add(b) })
	seeds(f, "error_*.json", func(b []byte) { f.Add(b) })
	f.Add([]byte(`{"type":"message","content":[{"type":"tool_use","id":"t","name":"n","input":[1]}],"stop_reason":"tool_use"}`))
	f.Add([]byte(`{"content":null,"error":{}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, pe := decodeResponse(body)
		if pe != nil {
			if resp != nil || pe.Kind == llmrouter.KindUnknown || pe.Provider != name {
				t.Fatalf("bad error %+v (response %v)", pe, resp)
			}
			return
		}
		if resp == nil || resp.FinishReason == "" {
			t.Fatalf("response %+v", resp)
		}
		u := resp.Usage
		if u.InputTokens < u.CachedInputTokens+u.CacheWriteTokens || u.ReasoningTokens > u.OutputTokens {
			t.Fatalf("inconsistent usage %+v", u)
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	seeds(f, "error_*.json", func(b []byte) {
		f.Add(400, b)
		f.Add(529, b)
	})
	f.Add(502, []byte("<html>bad gateway</html>"))
	f.Add(200, []byte(`{"error":{"type":""}}`))
	now := time.Now()
	p, d := New(WithAPIKey(testKey)), &llmrouter.Deployment{Name: "fuzz"}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		h := http.Header{"Retry-After": {"1"}, "Anthropic-Ratelimit-Tokens-Remaining": {"0"}}
		pe := p.finish(decodeError(status, h, body, now), d)
		if pe.Kind == llmrouter.KindUnknown || pe.Provider != name || len(pe.Message) > wire.MaxMessage {
			t.Fatalf("bad error %+v", pe)
		}
		se := decodeStreamError(body)
		if se == nil || se.Kind == llmrouter.KindUnknown {
			t.Fatalf("bad stream error %+v", se)
		}
	})
}

func FuzzStream(f *testing.F) {
	seeds(f, "stream_*.sse", func(b []byte) {
		f.Add(b)
		f.Add(b[:len(b)/2])
	})
	f.Add([]byte("data: {\"type\":\"message_stop\"}\n\n"))
	f.Add([]byte("event: content_block_stop\ndata: {\"index\":-1}\n\n"))
	d := &llmrouter.Deployment{Name: "fuzz"}
	p := New()
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := &http.Response{Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))}
		st := newStream(context.Background(), p, d, resp)
		finishes := 0
		for st.Next() {
			c := st.Current()
			if c.FinishReason != "" {
				finishes++
				if c.Usage == nil {
					t.Fatal("finish without usage")
				}
			}
			for _, tc := range c.ToolCalls {
				if tc.Index < 0 {
					t.Fatalf("tool call index %d", tc.Index)
				}
			}
		}
		err := st.Err()
		_ = st.Close()
		if err == nil {
			if finishes != 1 {
				t.Fatalf("clean end with %d finish reasons", finishes)
			}
			return
		}
		var pe *llmrouter.ProviderError
		if !errors.As(err, &pe) || pe.Kind == llmrouter.KindUnknown || finishes != 0 {
			t.Fatalf("error %v after %d finish reasons", err, finishes)
		}
	})
}

// FuzzScanDelta checks the fast content_block_delta decoder against
// encoding/json: when it accepts an event, it must decode it the same way.
func FuzzScanDelta(f *testing.F) {
	seeds(f, "stream_*.sse", func(b []byte) {
		for _, line := range bytes.Split(b, []byte("\n")) {
			if data, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
				f.Add(data)
			}
		}
	})
	f.Add([]byte(`{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"a\"b\\c\/d\u00e9\ud83d\ude00\ud800x\n"}}`))
	f.Add([]byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","Text":"y"}}`))
	f.Add([]byte(`{"type":"content_block_delta","index":-7,"extra":[{"a":"}"}],"delta":{"partial_json":"{\"a\":","type":"input_json_delta"}}`))
	var buf []byte
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast, slow streamEvent
		if !scanDelta(data, &fast, &buf) {
			return
		}
		if err := json.Unmarshal(data, &slow); err != nil {
			t.Fatalf("fast path accepted what encoding/json rejects (%v): %s", err, data)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fast %+v\nslow %+v\ndata %s", fast, slow, data)
		}
	})
}
