package anthropic

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
)

// BenchmarkStreamDecode decodes a transcript of 100 text deltas and reports
// allocations per chunk (the Text strings themselves cost one each).
func BenchmarkStreamDecode(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(evStart)
	sb.WriteString("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n")
	for range 100 {
		sb.WriteString("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" word\"}}\n\n")
	}
	sb.WriteString(evEnd + evStop)
	body := []byte(sb.String())
	d := &llmrouter.Deployment{Name: "bench"}
	p := New()
	rd := bytes.NewReader(body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	chunks := 0
	for b.Loop() {
		rd.Reset(body)
		st := newStream(context.Background(), p, d, &http.Response{Header: http.Header{}, Body: io.NopCloser(rd)})
		for st.Next() {
			chunks++
		}
		if st.Err() != nil {
			b.Fatal(st.Err())
		}
		_ = st.Close() // as callers must: the reader goes back to its pool
	}
	b.ReportMetric(float64(chunks)/float64(b.N), "chunks/op")
}

// BenchmarkEncodeRequest encodes the rich request of the golden test.
func BenchmarkEncodeRequest(b *testing.B) {
	req := richRequest()
	b.ReportAllocs()
	for b.Loop() {
		if _, pe := encodeRequest(req, testDeployment, nil, DefaultMaxTokens, true); pe != nil {
			b.Fatal(pe)
		}
	}
}
