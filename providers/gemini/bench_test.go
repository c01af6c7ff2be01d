package gemini

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
)

// BenchmarkStreamChunk measures decoding one text event of a stream; the
// per-op allocations are those of one chunk.
func BenchmarkStreamChunk(b *testing.B) {
	const n = 256
	ev := `data: {"candidates":[{"content":{"parts":[{"text":"Hello there, "}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":12,"totalTokenCount":12},"modelVersion":"gemini-2.5-flash","responseId":"r1"}` + "\r\n\r\n"
	last := `data: {"candidates":[{"content":{"parts":[{"text":"bye"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":300,"totalTokenCount":312}}` + "\r\n\r\n"
	raw := []byte(strings.Repeat(ev, n-1) + last)
	p := New()
	d := &llmrouter.Deployment{Name: "bench", Model: "gemini-2.5-flash"}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw) / n))
	rd := bytes.NewReader(raw)
	for i := 0; i < b.N; i += n {
		rd.Reset(raw)
		st := newStream(context.Background(), p, d, io.NopCloser(rd))
		for st.Next() {
		}
		if st.Err() != nil {
			b.Fatal(st.Err())
		}
	}
}

func BenchmarkDecodeResponse(b *testing.B) {
	body := []byte(confText)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeResponse(body); err != nil {
			b.Fatal(err)
		}
	}
}
