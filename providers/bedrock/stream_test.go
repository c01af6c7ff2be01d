package bedrock

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
)

func TestStreamFixtures(t *testing.T) {
	cases := []struct {
		file, text, reasoning string
		calls                 map[int]llmrouter.ToolCall
		finish                llmrouter.FinishReason
		usage                 *llmrouter.Usage
	}{
		{file: "stream_text.json", text: "Here is a list of 3 pop songs by artists from the United Kingdom:\n\n1. \"Wannabe\" by Spice Girls",
			finish: llmrouter.FinishStop, usage: &llmrouter.Usage{InputTokens: 125, OutputTokens: 60}},
		{file: "stream_tool_use.json", text: "I will use the top_song tool.",
			calls:  map[int]llmrouter.ToolCall{0: {ID: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", Name: "top_song", Arguments: `{"sign": "WZPZ"}`}},
			finish: llmrouter.FinishToolCalls, usage: &llmrouter.Usage{InputTokens: 475, OutputTokens: 79, CachedInputTokens: 100}},
		{file: "stream_reasoning.json", text: "Paris.", reasoning: "The user asks for the capital of France.",
			finish: llmrouter.FinishLength, usage: &llmrouter.Usage{InputTokens: 41, OutputTokens: 58}},
		// messageStop then the end of the stream: a finish without usage.
		{file: "stream_no_metadata.json", text: "Hi.", finish: llmrouter.FinishStop},
	}
	// messageStop, then a cut or garbage instead of the metadata.
	noMeta := encodeMessages(t, readTranscript(t, "stream_no_metadata.json"))
	for name, tail := range map[string][]byte{"cut": {0, 0, 0, 40, 0}, "garbage": []byte("garbage and more garbage")} {
		_, _, _, finish, usage, _, err := drainStream(streamOf(context.Background(), append(bytes.Clone(noMeta), tail...)))
		if err != nil || finish != llmrouter.FinishStop || usage != nil {
			t.Errorf("%s after messageStop: finish %q usage %v err %v", name, finish, usage, err)
		}
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			s := streamOf(context.Background(), encodeMessages(t, readTranscript(t, tc.file)))
			text, reasoning, calls, finish, usage, _, err := drainStream(s)
			if err != nil {
				t.Fatal(err)
			}
			if text != tc.text || reasoning != tc.reasoning || finish != tc.finish {
				t.Errorf("text %q reasoning %q finish %q", text, reasoning, finish)
			}
			if (usage == nil) != (tc.usage == nil) || (usage != nil && *usage != *tc.usage) {
				t.Errorf("usage %+v; want %+v", usage, tc.usage)
			}
			if len(calls) != len(tc.calls) {
				t.Fatalf("calls %v", calls)
			}
			for i, c := range calls {
				if *c != tc.calls[i] {
					t.Errorf("call %d = %+v; want %+v", i, *c, tc.calls[i])
				}
			}
		})
	}
}

func TestStreamFinishChunkCarriesUsage(t *testing.T) {
	s := streamOf(context.Background(), encodeMessages(t, readTranscript(t, "stream_text.json")))
	var last llmrouter.Chunk
	for s.Next() {
		last = s.Current()
	}
	if last.FinishReason != llmrouter.FinishStop || last.Usage == nil || s.Err() != nil {
		t.Errorf("last chunk %+v, err %v", last, s.Err())
	}
	// Metadata before messageStop: the finish still carries the usage.
	msgs := []wireMessage{
		ev("messageStart", `{"role":"assistant"}`),
		ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"x"}}`),
		ev("metadata", `{"usage":{"inputTokens":1,"outputTokens":2}}`),
		ev("messageStop", `{"stopReason":"content_filtered"}`),
	}
	_, _, _, finish, usage, _, err := drainStream(streamOf(context.Background(), encodeMessages(t, msgs)))
	if err != nil || finish != llmrouter.FinishContentFilter || usage == nil || usage.OutputTokens != 2 {
		t.Errorf("finish %q usage %v err %v", finish, usage, err)
	}
}

func TestStreamErrors(t *testing.T) {
	start := ev("messageStart", `{"role":"assistant"}`)
	text := ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hello"}}`)
	good := encodeMessages(t, []wireMessage{start, text})
	badCRC := bytes.Clone(good)
	badCRC[len(badCRC)-1] ^= 0xff
	badPrelude := bytes.Clone(good)
	badPrelude[9] ^= 0xff
	huge := make([]byte, 16)
	binary.BigEndian.PutUint32(huge[0:4], 1<<31)
	headersTooLong := encodeMessages(t, []wireMessage{start})
	binary.BigEndian.PutUint32(headersTooLong[4:8], 1<<20)

	cases := []struct {
		name   string
		body   []byte
		kind   llmrouter.Kind
		class  llmrouter.Class
		code   string
		chunks int // text chunks before the error
	}{
		{"empty", nil, llmrouter.KindTransport, llmrouter.ClassRetry, "", 0},
		{"cut at a boundary", good, llmrouter.KindTransport, llmrouter.ClassRetry, "", 1},
		{"cut in a prelude", append(bytes.Clone(good), 0, 0, 0), llmrouter.KindTransport, llmrouter.ClassRetry, "", 1},
		{"cut in a message", good[:len(good)-5], llmrouter.KindTransport, llmrouter.ClassRetry, "", 0},
		{"bad message crc", badCRC, llmrouter.KindMalformed, llmrouter.ClassFailover, "", 0},
		{"bad prelude crc", badPrelude, llmrouter.KindMalformed, llmrouter.ClassFailover, "", 0},
		{"length out of range", append(bytes.Clone(good), huge...), llmrouter.KindMalformed, llmrouter.ClassFailover, "", 1},
		{"headers longer than message", headersTooLong, llmrouter.KindMalformed, llmrouter.ClassFailover, "", 0},
		{"garbage", []byte("<html><body>502 Bad Gateway</body></html>"), llmrouter.KindMalformed, llmrouter.ClassFailover, "", 0},
		{"bad json payload", encodeMessages(t, []wireMessage{start, ev("contentBlockDelta", `{"delta":`)}), llmrouter.KindMalformed, llmrouter.ClassFailover, "", 0},
		{"unknown message type", encodeMessages(t, []wireMessage{start, {Event: "x", MessageType: "bogus"}}), llmrouter.KindMalformed, llmrouter.ClassFailover, "", 0},
		{"unknown event type", encodeMessages(t, []wireMessage{start, {Event: "futureEvent", Payload: []byte(`{"x":1}`)}}), llmrouter.KindTransport, llmrouter.ClassRetry, "", 0},
		{"throttled", encodeMessages(t, readTranscript(t, "stream_throttled.json")), llmrouter.KindRateLimited, llmrouter.ClassRetry, "throttlingException", 1},
		{"model stream error", encodeMessages(t, readTranscript(t, "stream_model_error.json")), llmrouter.KindServer, llmrouter.ClassRetry, "modelStreamErrorException", 0},
		{"validation", encodeMessages(t, []wireMessage{start, {Exception: "validationException", Payload: []byte(`{"message":"Input is too long for requested model."}`)}}),
			llmrouter.KindContextLength, llmrouter.ClassFailover, "validationException", 0},
		{"internal", encodeMessages(t, []wireMessage{start, {Exception: "internalServerException", Payload: []byte(`{"message":"boom"}`)}}),
			llmrouter.KindServer, llmrouter.ClassRetry, "internalServerException", 0},
		{"unavailable", encodeMessages(t, []wireMessage{{Exception: "serviceUnavailableException", Payload: []byte(`{"message":"busy"}`)}}),
			llmrouter.KindServer, llmrouter.ClassRetry, "serviceUnavailableException", 0},
		{"error message", encodeMessages(t, []wireMessage{start, text, {Error: "ThrottlingException", Message: "Rate exceeded"}}),
			llmrouter.KindRateLimited, llmrouter.ClassRetry, "ThrottlingException", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text, _, _, finish, _, n, err := drainStream(streamOf(context.Background(), tc.body))
			pe := asProviderError(t, err)
			if pe.Kind != tc.kind || pe.EffectiveClass() != tc.class || pe.Code != tc.code {
				t.Errorf("kind %v class %v code %q; want %v %v %q (%v)", pe.Kind, pe.EffectiveClass(), pe.Code, tc.kind, tc.class, tc.code, pe)
			}
			if finish != "" {
				t.Errorf("a failed stream reported finish %q", finish)
			}
			if n != tc.chunks {
				t.Errorf("%d chunks (%q) before the error; want %d", n, text, tc.chunks)
			}
		})
	}

}

// streamServer serves a 200 event stream: the given messages, then what
// after says ("cut": drop the connection; "stall": block until the client
// goes).
func streamServer(t *testing.T, msgs []wireMessage, after string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeStream(w, frames(t, msgs))
		switch after {
		case "cut":
			panic(http.ErrAbortHandler)
		case "stall":
			<-r.Context().Done()
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestStreamOverHTTP(t *testing.T) {
	req := &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")}}
	msgs := readTranscript(t, "stream_cut.json")

	t.Run("cut", func(t *testing.T) {
		srv := streamServer(t, msgs, "cut")
		p := New(WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithStaticCredentials(testAccessKey, testSecret, testSession))
		s, err := p.Stream(context.Background(), &llmrouter.Deployment{Name: "d", Region: "us-east-1"}, req)
		if err != nil {
			t.Fatal(err)
		}
		text, _, _, _, _, _, err := drainStream(s)
		if pe := asProviderError(t, err); pe.Kind != llmrouter.KindTransport || text != "Here is a list" {
			t.Errorf("text %q err %v", text, pe)
		}
	})

	t.Run("stall", func(t *testing.T) {
		srv := streamServer(t, msgs, "stall")
		p := New(WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithStaticCredentials(testAccessKey, testSecret, testSession))
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		s, err := p.Stream(ctx, &llmrouter.Deployment{Name: "d", Region: "us-east-1"}, req)
		if err != nil {
			t.Fatal(err)
		}
		begin := time.Now()
		text, _, _, _, _, _, err := drainStream(s)
		if pe := asProviderError(t, err); pe.Kind != llmrouter.KindTimeout || text != "Here is a list" {
			t.Errorf("text %q err %v", text, pe)
		}
		if el := time.Since(begin); el > 3*time.Second {
			t.Errorf("the stall ended after %v", el)
		}
	})

	t.Run("close mid-stream", func(t *testing.T) {
		srv := streamServer(t, msgs, "stall")
		p := New(WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithStaticCredentials(testAccessKey, testSecret, testSession))
		s, err := p.Stream(context.Background(), &llmrouter.Deployment{Name: "d", Region: "us-east-1"}, req)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Next() || s.Current().Text != "Here is a list" {
			t.Fatalf("first chunk %+v err %v", s.Current(), s.Err())
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if s.Next() {
			t.Error("Next after Close")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestStreamAllocations(t *testing.T) {
	var msgs []wireMessage
	msgs = append(msgs, ev("messageStart", `{"role":"assistant"}`))
	for range 100 {
		msgs = append(msgs, ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"token "},"p":"abcdefghijkl"}`))
	}
	msgs = append(msgs, ev("messageStop", `{"stopReason":"end_turn"}`), ev("metadata", `{"usage":{"inputTokens":1,"outputTokens":100}}`))
	body := encodeMessages(t, msgs)
	allocs := testing.AllocsPerRun(20, func() {
		s := streamOf(context.Background(), body)
		for s.Next() {
		}
		if s.Err() != nil {
			t.Fatal(s.Err())
		}
	})
	// The SDK's event-stream decoder allocates about 35 times per message
	// (header names and values, its CRC, tee and limit readers) and
	// encoding/json about 6 per delta; the adapter itself adds nothing
	// per chunk. This guards against regressions.
	if perChunk := allocs / 100; perChunk > 60 {
		t.Errorf("%.1f allocations per chunk", perChunk)
	}
	t.Logf("%.1f allocations per chunk", allocs/100)
}

func BenchmarkStream(b *testing.B) {
	var msgs []wireMessage
	msgs = append(msgs, ev("messageStart", `{"role":"assistant"}`))
	for range 100 {
		msgs = append(msgs, ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"token "},"p":"abcdefghijkl"}`))
	}
	msgs = append(msgs, ev("messageStop", `{"stopReason":"end_turn"}`), ev("metadata", `{"usage":{"inputTokens":1,"outputTokens":100}}`))
	body := encodeMessages(b, msgs)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		s := newStream(context.Background(), &call{}, io.NopCloser(bytes.NewReader(body)))
		for s.Next() {
		}
		if s.Err() != nil {
			b.Fatal(s.Err())
		}
	}
}
