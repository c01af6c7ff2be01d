package bedrock

import (
	"context"
	"testing"

	"github.com/llmrouter/llmrouter"
)

// heldStreamOf is streamOf with Guardrail.HoldStream on.
func heldStreamOf(t *testing.T, msgs []wireMessage) *stream {
	s := streamOf(context.Background(), encodeMessages(t, msgs))
	s.hold = true
	return s
}

// deliversAfterEnd reads s until Next reports false, without closing it,
// and reports whether Next then delivers a chunk still.
func deliversAfterEnd(s *stream) bool {
	for s.Next() {
	}
	return s.Next()
}

// TestHoldStreamMakesAStreamedBlockAnError: ConverseStream sends a
// guardrail's blocked-input message as text before the stop reason and
// trace that say it was a block. Held, the stream reports the
// blocked-prompt error before any chunk, as Converse does; an answer is
// delivered whole, in order, and a failure while holding reaches the
// caller before any chunk (so the router can fail over unseen).
func TestHoldStreamMakesAStreamedBlockAnError(t *testing.T) {
	start := ev("messageStart", `{"role":"assistant"}`)
	blockedText := ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Sorry, the model cannot answer this question."}}`)
	t.Run("blocked input, text first", func(t *testing.T) {
		for _, meta := range []string{`{"usage":{"inputTokens":9,"outputTokens":0}}`, `{"usage":{"inputTokens":9,"outputTokens":11},` + inputBlockedTrace + `}`} {
			msgs := []wireMessage{start, blockedText, ev("contentBlockStop", `{"contentBlockIndex":0}`),
				ev("messageStop", `{"stopReason":"guardrail_intervened"}`), ev("metadata", meta)}
			_, _, _, _, _, n, err := drainStream(heldStreamOf(t, msgs))
			if n != 0 {
				t.Errorf("%d chunks before the error; want none", n)
			}
			wantBlocked(t, "held ConverseStream", err)
			if deliversAfterEnd(heldStreamOf(t, msgs)) {
				t.Error("Next after the blocked-prompt error delivered a held chunk")
			}

			// Without holding, the text was delivered: a filtered stream.
			_, _, _, finish, _, n, err := drainStream(streamOf(context.Background(), encodeMessages(t, msgs)))
			if err != nil || n == 0 || finish != llmrouter.FinishContentFilter {
				t.Errorf("not held: %d chunks, finish %q, err %v; want the text and content_filter", n, finish, err)
			}
		}
	})
	t.Run("an answer is delivered whole", func(t *testing.T) {
		msgs := []wireMessage{start,
			ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Paris "}}`),
			ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"it is."}}`),
			ev("contentBlockStop", `{"contentBlockIndex":0}`),
			ev("messageStop", `{"stopReason":"end_turn"}`),
			ev("metadata", `{"usage":{"inputTokens":9,"outputTokens":4}}`)}
		text, _, _, finish, usage, n, err := drainStream(heldStreamOf(t, msgs))
		if err != nil || text != "Paris it is." || finish != llmrouter.FinishStop || n != 3 || usage == nil || usage.OutputTokens != 4 {
			t.Errorf("text %q finish %q usage %+v chunks %d err %v; want the answer in 2 text chunks and a final one", text, finish, usage, n, err)
		}
	})
	t.Run("an answer filtered after generation stays an answer", func(t *testing.T) {
		msgs := []wireMessage{start, ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Once upon"}}`),
			ev("messageStop", `{"stopReason":"guardrail_intervened"}`), ev("metadata", `{"usage":{"inputTokens":9,"outputTokens":3}}`)}
		text, _, _, finish, _, _, err := drainStream(heldStreamOf(t, msgs))
		if err != nil || text != "Once upon" || finish != llmrouter.FinishContentFilter {
			t.Errorf("text %q finish %q err %v; want the text and content_filter", text, finish, err)
		}
	})
	t.Run("a cut while holding fails before any chunk", func(t *testing.T) {
		body := encodeMessages(t, []wireMessage{start, blockedText})
		s := streamOf(context.Background(), body[:len(body)-3])
		s.hold = true
		_, _, _, _, _, n, err := drainStream(s)
		if n != 0 || err == nil {
			t.Errorf("%d chunks, err %v; want an error before any chunk", n, err)
		}
		s = streamOf(context.Background(), body[:len(body)-3])
		s.hold = true
		if deliversAfterEnd(s) {
			t.Error("Next after the cut delivered a held chunk")
		}
	})
}

// TestHoldStreamOverHTTP: the deployment's Guardrail.HoldStream turns the
// hold on for Stream.
func TestHoldStreamOverHTTP(t *testing.T) {
	msgs := []wireMessage{ev("messageStart", `{"role":"assistant"}`),
		ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Sorry, the model cannot answer this question."}}`),
		ev("messageStop", `{"stopReason":"guardrail_intervened"}`), ev("metadata", `{"usage":{"inputTokens":9,"outputTokens":0}}`)}
	srv := streamServer(t, msgs, "")
	p := New(WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithStaticCredentials(testAccessKey, testSecret, testSession))
	req := &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("x")}}
	d := &llmrouter.Deployment{Name: "d", Region: "us-east-1", Extra: DeploymentOptions{Guardrail: &Guardrail{Identifier: "gr-1", Version: "1", HoldStream: true}}}
	s, err := p.Stream(context.Background(), d, req)
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, _, _, n, err := drainStream(s)
	if n != 0 {
		t.Errorf("%d chunks before the error; want none", n)
	}
	wantBlocked(t, "held ConverseStream over HTTP", err)
}
