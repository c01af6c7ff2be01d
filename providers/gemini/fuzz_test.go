package gemini

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

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

func fixtures(f *testing.F, pattern string) [][]byte {
	names, _ := filepath.Glob(filepath.Join("testdata", pattern))
	var out [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func FuzzDecodeResponse(f *testing.F) {
	for _, b := range fixtures(f, "response_*.json") {
		f.Add(b)
	}
	f.Add([]byte(confToolCall))
	f.Add([]byte(`{"candidates":[null,{"content":{"parts":[null,{"functionCall":null}]}}]}`))
	f.Add([]byte(`{"error":{"code":"x"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, pe := decodeResponse(body)
		if pe != nil {
			if resp != nil || pe.Kind == llmrouter.KindUnknown {
				t.Fatalf("resp %v, err %v", resp, pe)
			}
			return
		}
		if resp.FinishReason == "" {
			t.Fatalf("an answer without a finish reason: %+v", resp)
		}
		for _, tc := range resp.ToolCalls {
			if tc.ID == "" || tc.Arguments == "" {
				t.Fatalf("tool call %+v", tc)
			}
		}
	})
}

// runStream reads raw as a stream body, without a network.
func runStream(raw []byte) ([]llmrouter.Chunk, error) {
	p := New(WithAPIKey(providertest.APIKey))
	d := &llmrouter.Deployment{Name: "fuzz", Model: "gemini-2.5-flash"}
	st := newStream(context.Background(), p, d, io.NopCloser(bytes.NewReader(raw)))
	var chunks []llmrouter.Chunk
	for st.Next() {
		chunks = append(chunks, st.Current())
	}
	err := st.Err()
	_ = st.Close()
	return chunks, err
}

func FuzzStream(f *testing.F) {
	for _, b := range fixtures(f, "stream_*.sse") {
		f.Add(b)
	}
	f.Add([]byte("data: " + confStreamTool[0] + "\n\n"))
	f.Add([]byte("data: {\"candidates\":[{\"finishReason\":\"STOP\"}]}\n\n"))
	f.Add([]byte("data: {\"error\":{\"code\":500,\"status\":\"INTERNAL\"}}\n\n"))
	f.Add([]byte("data: [1,2]\n\n"))
	f.Add([]byte("data: " + confStreamText[0] + "\n\n{\"error\": {\"code\": 429, \"status\": \"RESOURCE_EXHAUSTED\"}}"))
	f.Add([]byte("{\n  \"error\": {\n    \"code\": 400,\n    \"status\": \"INVALID_ARGUMENT\"\n  }\n}\n"))
	f.Add([]byte(": keep-alive\n\nevent: x\ndata: {}\n\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		chunks, err := runStream(raw)
		if err != nil {
			var pe *llmrouter.ProviderError
			if !errors.As(err, &pe) || pe.Kind == llmrouter.KindUnknown || pe.Provider != Name {
				t.Fatalf("err = %v; want a classified *ProviderError", err)
			}
			for _, c := range chunks {
				if c.FinishReason != "" {
					t.Fatalf("a failed stream delivered a finish reason")
				}
			}
			return
		}
		if len(chunks) == 0 || chunks[len(chunks)-1].FinishReason == "" {
			t.Fatalf("a clean stream without a final finish reason: %+v", chunks)
		}
		for _, c := range chunks[:len(chunks)-1] {
			if c.FinishReason != "" {
				t.Fatalf("finish reason before the last chunk")
			}
		}
	})
}

func FuzzErrorFromResponse(f *testing.F) {
	for _, b := range fixtures(f, "error_*.json") {
		f.Add(429, b)
		f.Add(400, b)
	}
	f.Add(502, []byte("<html>Bad Gateway</html>"))
	f.Add(400, []byte(`{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"99999999999999s"}]}}`))
	f.Add(429, []byte(`{"error":{"message":"Please retry in 1e400s."}}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 300 || status > 599 {
			status = 300 + (status%300+300)%300
		}
		h := http.Header{"Retry-After": {"1"}}
		pe := errorFromResponse(status, h, body)
		if pe == nil || pe.Kind == llmrouter.KindUnknown || pe.RetryAfter < 0 || pe.StatusCode == 0 {
			t.Fatalf("errorFromResponse(%d, %q) = %+v", status, body, pe)
		}
		p := New(WithAPIKey(providertest.APIKey))
		filled := p.fill(pe, &llmrouter.Deployment{Name: "fuzz"})
		if strings.Contains(filled.Error(), providertest.APIKey) {
			t.Fatalf("key in error")
		}
	})
}

// FuzzOpenAPISchema: converting any JSON never panics; a conversion gives
// a JSON object with no JSON Schema keyword Gemini rejects, and a refusal
// names a path.
func FuzzOpenAPISchema(f *testing.F) {
	for _, s := range []string{
		`{"type":"object","properties":{"a":{"type":["string","null"]}},"required":["a"],"additionalProperties":false}`,
		`{"anyOf":[{"type":"integer"},{"type":"null"}],"default":null}`,
		`{"$defs":{"A":{"type":"object","properties":{"b":{"$ref":"#/$defs/A"}}}},"$ref":"#/$defs/A"}`,
		`{"definitions":{"B":{"enum":["x",null]}},"items":{"$ref":"#/definitions/B"}}`,
		`{"type":"number","exclusiveMinimum":0,"const":"x"}`,
		`{"oneOf":[{}]}`, `true`, `[]`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			return // encodeRequest refuses invalid JSON first
		}
		out, err := openAPISchema("f", in)
		if err != nil {
			if !strings.HasPrefix(err.Path, "#") || out != nil {
				t.Fatalf("refusal %+v, output %s", err, out)
			}
			return
		}
		var v map[string]any
		if json.Unmarshal(out, &v) != nil {
			t.Fatalf("output is not a JSON object: %s", out)
		}
		for _, k := range []string{`"additionalProperties":`, `"$ref":`, `"$defs":`, `"$schema":`, `"oneOf":`, `"const":`} {
			if bytes.Contains(out, []byte(k)) && !bytes.Contains(in, []byte(k)) {
				t.Fatalf("output %s has %s", out, k)
			}
		}
	})
}
