package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/sse"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// stream reads streamGenerateContent?alt=sse: data-only SSE events, each a
// partial GenerateContentResponse. Gemini has no end-of-stream event: the
// answer is complete when the connection closes after an event whose
// candidate has a finishReason (older models repeat it on every event). So
// the stream holds the finish reason back and delivers it, with the last
// usageMetadata, on a final chunk once the body ends cleanly; an end before
// any finishReason is a KindTransport error. An error object ends the
// stream with that error classified, whether it comes as an event's data or
// bare, without "data:" (see bareError). As the answer ends with its body,
// a whole stream has read its body to the end and its connection is
// reused; nothing is left to drain.
//
// Decoding reuses one json.Decoder and one wireEvent (about one allocation
// per text chunk: its string). Chunks are the caller's to keep: a chunk
// with function calls gets a ToolCalls slice of its own.
type stream struct {
	p    *Provider
	ctx  context.Context
	d    *llmrouter.Deployment
	body io.ReadCloser
	rd   *sse.Reader

	buf     wireEvent
	dec     *json.Decoder // reused across events, with its buffers
	feed    feed
	cur     llmrouter.Chunk
	text    strings.Builder
	scratch bytes.Buffer

	calls    int // function calls seen
	rawStop  string
	blocked  bool      // promptFeedback.blockReason seen
	block    [2]string // its reason and message
	sent     bool      // a chunk with content was delivered
	finished bool      // a finishReason or block reason was seen
	usage    llmrouter.Usage
	hasUsage bool
	eof      bool // the body ended; deliver the final chunk
	done     bool
	err      error
	closed   bool
}

func newStream(ctx context.Context, p *Provider, d *llmrouter.Deployment, body io.ReadCloser) *stream {
	s := &stream{p: p, ctx: ctx, d: d, body: body, rd: sse.Get(body)}
	s.rd.KeepOther(true) // for errors sent without "data:" (bareError)
	s.dec = json.NewDecoder(&s.feed)
	return s
}

// feed gives the decoder one event's data at a time, followed by a space
// (so a value's end is seen without waiting for more input) and io.EOF.
type feed struct {
	b     []byte
	space bool
}

func (f *feed) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		if f.space && len(p) > 0 {
			f.space = false
			p[0] = ' '
			return 1, nil
		}
		return 0, io.EOF
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}

// decode decodes data, one JSON value, into s.buf.
func (s *stream) decode(data []byte) error {
	s.buf.reset()
	s.feed = feed{b: data, space: true}
	if err := s.dec.Decode(&s.buf); err != nil {
		return err
	}
	if s.dec.More() || len(s.feed.b) > 0 {
		return errTrailing
	}
	return nil
}

var errTrailing = errors.New("data after the JSON value")

// Next implements llmrouter.ChunkStream.
func (s *stream) Next() bool {
	if s.closed || s.done || s.err != nil {
		return false
	}
	for !s.eof {
		ev, err := s.rd.Next()
		if ev.Other != nil {
			if pe := s.bareError(ev.Other); pe != nil {
				s.err = pe
				return false
			}
		}
		if err != nil {
			if !s.wholeLastEvent(ev, err) {
				s.readFailed(err)
				return false
			}
			s.eof = true
		}
		if ok, stop := s.event(ev.Data); stop {
			return false
		} else if ok {
			s.sent = true
			return true
		}
	}
	// The body ended cleanly.
	s.done = true
	s.closeBody()
	if !s.finished {
		s.err = s.p.fill(&llmrouter.ProviderError{Kind: llmrouter.KindTransport, Code: "stream_cut",
			Message: "the stream ended before Gemini sent a finish reason"}, s.d)
		return false
	}
	if s.blocked && s.rawStop == "" && !s.sent {
		// The prompt was blocked and nothing was answered: the
		// blocked-prompt error, as from Chat.
		s.err = s.p.fill(promptBlocked(s.block[0], s.block[1]), s.d)
		return false
	}
	s.cur = llmrouter.Chunk{FinishReason: s.finishReason()}
	if s.hasUsage {
		u := s.usage
		s.cur.Usage = &u
	}
	return true
}

// wholeLastEvent reports whether the reader's error is a clean end of the
// body: io.EOF, or a last event that lacks only its terminating blank line
// but is whole JSON (a partial one means the connection was cut).
func (s *stream) wholeLastEvent(ev sse.Event, err error) bool {
	if err == io.EOF {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) && s.ctx.Err() == nil && len(ev.Data) > 0 && json.Valid(ev.Data)
}

// readFailed sets s.err for a failed read of the body.
func (s *stream) readFailed(err error) {
	if sse.TooLarge(err) {
		s.err = s.p.fill(&llmrouter.ProviderError{Kind: llmrouter.KindMalformed, Message: "stream event too long: " + err.Error(), Err: err}, s.d)
		return
	}
	s.err = s.p.fill(wire.TransportError(s.ctx, Name, s.d.Name, err), s.d)
}

// event decodes one event's data into s.cur. ok reports a chunk to
// deliver; stop that s.err is set.
func (s *stream) event(data []byte) (ok, stop bool) {
	if len(bytes.TrimSpace(data)) == 0 {
		return false, false
	}
	if err := s.decode(data); err != nil {
		s.err = s.p.fill(&llmrouter.ProviderError{Kind: llmrouter.KindMalformed,
			Message: "unreadable stream event: " + err.Error(), Err: err}, s.d)
		return false, true
	}
	w := &s.buf
	if w.Error != nil {
		s.err = s.p.fill(errorFromWire(0, nil, w.Error, data), s.d)
		return false, true
	}
	if u := w.UsageMetadata; u != nil && !u.empty() {
		s.usage, s.hasUsage = u.usage(), true
	}
	if pf := w.PromptFeedback; pf != nil && pf.BlockReason != "" {
		s.blocked, s.finished = true, true
		s.block = [2]string{pf.BlockReason, pf.BlockReasonMessage}
	}
	s.cur = llmrouter.Chunk{}
	if len(w.Candidates) == 0 {
		return false, false
	}
	c := &w.Candidates[0]
	if c.FinishReason != "" {
		s.rawStop, s.finished = c.FinishReason, true
	}
	var textParts, thoughtParts int
	for i := range c.Content.Parts {
		part := &c.Content.Parts[i]
		switch {
		case part.FunctionCall != nil:
			fc := part.FunctionCall
			s.cur.ToolCalls = append(s.cur.ToolCalls, llmrouter.ToolCallDelta{
				Index: s.calls, ID: callID(fc.ID, s.calls), Name: fc.Name, Arguments: argsText(fc.Args, &s.scratch),
				Signature: part.ThoughtSignature})
			s.calls++
		case part.Thought:
			s.cur.Reasoning = s.join(s.cur.Reasoning, part.Text, &thoughtParts)
		default:
			s.cur.Text = s.join(s.cur.Text, part.Text, &textParts)
		}
	}
	return s.cur.Text != "" || s.cur.Reasoning != "" || len(s.cur.ToolCalls) > 0, false
}

// join appends t to acc; the first piece is used as is (no copy).
func (s *stream) join(acc, t string, n *int) string {
	if t == "" {
		return acc
	}
	*n++
	if *n == 1 {
		return t
	}
	s.text.Reset()
	s.text.WriteString(acc)
	s.text.WriteString(t)
	return s.text.String()
}

func (s *stream) finishReason() llmrouter.FinishReason {
	if s.blocked && s.rawStop == "" {
		return llmrouter.FinishContentFilter
	}
	return finishReason(s.rawStop, s.calls > 0)
}

// Current implements llmrouter.ChunkStream.
func (s *stream) Current() llmrouter.Chunk { return s.cur }

// Err implements llmrouter.ChunkStream.
func (s *stream) Err() error { return s.err }

// Close implements llmrouter.ChunkStream. It closes the response body,
// which stops the upstream call; it is safe to call more than once.
func (s *stream) Close() error {
	if !s.closed {
		s.closed = true
		s.closeBody()
		sse.Put(s.rd) // Next reads no more once closed
		s.rd = nil
	}
	return nil
}

func (s *stream) closeBody() {
	if s.body != nil {
		_ = s.body.Close()
		s.body = nil
	}
}
