package bedrock

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

func FuzzDecodeResponse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "converse_*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"output":{"message":{"content":[{"toolUse":{"input":null}}]}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, pe := decodeResponse(&call{deployment: "d"}, body)
		if (r == nil) == (pe == nil) {
			t.Fatalf("response %v and error %v", r, pe)
		}
		blocked := pe != nil && pe.Kind == llmrouter.KindContentPolicy && pe.Code == wire.CodePromptBlocked
		if pe != nil && (pe.Kind != llmrouter.KindMalformed && !blocked || pe.Provider != ProviderName) {
			t.Fatalf("error %v", pe)
		}
	})
}

func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "stream_*.json"))
	for _, name := range files {
		f.Add(encodeMessages(f, readTranscript(f, filepath.Base(name))))
	}
	f.Add([]byte{})
	f.Add([]byte("not an event stream"))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := streamOf(context.Background(), body)
		finished := false
		for i := 0; s.Next(); i++ {
			if i > len(body) {
				t.Fatal("more chunks than bytes")
			}
			if s.Current().FinishReason != "" {
				finished = true
			}
		}
		err := s.Err()
		if err == nil {
			if !finished {
				t.Fatal("a clean end without a finish reason")
			}
			return
		}
		var pe *llmrouter.ProviderError
		if !errors.As(err, &pe) || pe.Kind == llmrouter.KindUnknown || pe.Provider != ProviderName {
			t.Fatalf("error %v", err)
		}
		if finished {
			t.Fatalf("finished, then failed with %v", err)
		}
		_ = s.Close()
	})
}

func FuzzErrorResponse(f *testing.F) {
	for _, c := range readErrorCases(f) {
		f.Add(c.Status, c.ErrorType, c.body())
	}
	f.Add(418, "com.amazon.coral#Teapot:x", []byte(`{"message":`))
	f.Fuzz(func(t *testing.T, status int, errType string, body []byte) {
		h := http.Header{}
		h.Set("X-Amzn-Errortype", strings.ToValidUTF8(strings.Map(func(r rune) rune {
			if r < ' ' || r == 0x7f {
				return -1
			}
			return r
		}, errType), ""))
		pe := errorFromResponse(&call{deployment: "d", secrets: new(wire.Secrets).With(testSecret)}, status, h, body)
		if pe == nil || pe.Kind == llmrouter.KindUnknown || pe.Provider != ProviderName {
			t.Fatalf("error %v", pe)
		}
		if strings.Contains(pe.Error(), testSecret) {
			t.Fatal("secret in error")
		}
	})
}
