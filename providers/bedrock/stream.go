package bedrock

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream/eventstreamapi"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/drain"
)

// maxFrame is the largest event-stream message the stream accepts (the
// format's 16 MiB payload limit plus its 128 KiB of headers, rounded up).
const maxFrame = 17 << 20

// preludeLen is the size of an event-stream message's prelude and prelude
// CRC; minFrame the size of a message with no headers and no payload.
const (
	preludeLen = 12
	minFrame   = 16
)

// streamEvent is the union of the ConverseStream event payloads, decoded
// into one reused value.
type streamEvent struct {
	ContentBlockIndex int `json:"contentBlockIndex"`
	Start             struct {
		ToolUse struct {
			ToolUseID string `json:"toolUseId"`
			Name      string `json:"name"`
		} `json:"toolUse"`
	} `json:"start"`
	Delta struct {
		Text    string `json:"text"`
		ToolUse struct {
			Input string `json:"input"`
		} `json:"toolUse"`
		ReasoningContent struct {
			Text            string `json:"text"`
			Signature       string `json:"signature"`
			RedactedContent string `json:"redactedContent"`
		} `json:"reasoningContent"`
	} `json:"delta"`
	StopReason string      `json:"stopReason"`
	Usage      *tokenUsage `json:"usage"`
	Trace      *trace      `json:"trace"`
	Message    string      `json:"message"`
}

// readTracker remembers the last error the body returned, to tell a
// broken connection from a malformed message.
type readTracker struct {
	r   io.Reader
	err error
}

func (t *readTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil {
		t.err = err
	}
	return n, err
}

// thinkSlot is a reasoningContent block of the stream: its text,
// signature and redacted content arrive in deltas (Converse sends no start
// for it); the whole block is sent at its contentBlockStop.
type thinkSlot struct {
	block    int
	text     strings.Builder
	sig      string
	redacted string
}

// toolSlot maps a content block to the index of its tool call.
type toolSlot struct{ block, index int }

// stream reads a ConverseStream answer: binary event-stream messages, each
// an event (messageStart, contentBlockStart, contentBlockDelta,
// contentBlockStop, messageStop, metadata) or an exception.
type stream struct {
	ctx  context.Context
	c    *call
	body io.ReadCloser
	rt   readTracker
	br   *bufio.Reader
	dec  *eventstream.Decoder

	payload []byte
	ev      streamEvent
	cur     llmrouter.Chunk
	tools   []toolSlot
	think   *thinkSlot // the reasoning block being streamed, or nil

	stop    string // the messageStop reason, once seen
	sawStop bool
	sent    bool // a chunk with content was delivered
	blocked bool // the metadata's guardrail trace says the prompt was blocked
	usage   *llmrouter.Usage
	// hold: chunks are queued until the message ends (Guardrail.HoldStream),
	// then delivered from queue.
	hold   bool
	queue  []llmrouter.Chunk
	done   bool
	closed bool
	err    error
}

func newStream(ctx context.Context, c *call, body io.ReadCloser) *stream {
	s := &stream{ctx: ctx, c: c, body: body, dec: eventstream.NewDecoder(), payload: make([]byte, 0, 1024)}
	s.rt.r = body
	s.br = bufio.NewReaderSize(&s.rt, 16<<10)
	return s
}

// Next implements llmrouter.ChunkStream.
func (s *stream) Next() bool {
	if s.closed || s.err != nil {
		return false // held chunks included: a blocked prompt's text stays unseen
	}
	if len(s.queue) > 0 { // held chunks, delivered once the message ended
		s.pop()
		return true
	}
	if s.done {
		return false
	}
	for {
		msg, err := s.read()
		if err == io.EOF {
			if s.sawStop {
				// messageStop came but no metadata: finish without usage.
				return s.deliver(s.finish())
			}
			s.err = s.c.fail(llmrouter.KindTransport, 0, "", "ConverseStream ended before messageStop")
			return false
		}
		if err != nil {
			if s.sawStop && s.ctx.Err() == nil {
				// The answer is complete; only the metadata (usage) is
				// lost. Finish rather than fail a whole answer.
				return s.deliver(s.finish())
			}
			s.err = s.readError(err)
			return false
		}
		if s.handle(&msg) {
			if s.hold && !s.done {
				s.queue = append(s.queue, s.cur)
				continue
			}
			return s.deliver(true)
		}
		if s.err != nil {
			return false
		}
	}
}

// read decodes the next message. It returns io.EOF only at a clean message
// boundary.
func (s *stream) read() (eventstream.Message, error) {
	pre, err := s.br.Peek(preludeLen)
	if err != nil {
		if len(pre) == 0 && err == io.EOF {
			return eventstream.Message{}, io.EOF
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return eventstream.Message{}, err
	}
	total, headers := binary.BigEndian.Uint32(pre[0:4]), binary.BigEndian.Uint32(pre[4:8])
	if total < minFrame || total > maxFrame || headers > total-minFrame {
		return eventstream.Message{}, errBadFrame
	}
	msg, err := s.dec.Decode(s.br, s.payload[:0])
	if err == io.EOF {
		err = io.ErrUnexpectedEOF // the prelude was there: cut mid-message
	}
	if cap(msg.Payload) > cap(s.payload) {
		s.payload = msg.Payload[:0]
	}
	return msg, err
}

var errBadFrame = errors.New("event-stream message length out of range")

// readError classifies a failure to read the next message: the context
// ending or the connection failing (KindTransport, KindTimeout,
// KindCanceled), or a message that does not decode (KindMalformed).
func (s *stream) readError(err error) *llmrouter.ProviderError {
	if s.ctx.Err() != nil || (s.rt.err != nil && s.rt.err != io.EOF) {
		cause := s.rt.err
		if cause == nil {
			cause = err
		}
		return s.c.transport(s.ctx, cause)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		pe := s.c.fail(llmrouter.KindTransport, 0, "", "ConverseStream cut in the middle of a message")
		pe.Err = err
		return pe
	}
	pe := s.c.fail(llmrouter.KindMalformed, 0, "", "unreadable ConverseStream message: "+err.Error())
	pe.Err = err
	return pe
}

func headerString(msg *eventstream.Message, name string) string {
	if v := msg.Headers.Get(name); v != nil {
		return v.String()
	}
	return ""
}

// handle processes one message and reports whether it produced a chunk
// (in s.cur). It sets s.err for exceptions and unreadable events.
func (s *stream) handle(msg *eventstream.Message) bool {
	switch mt := headerString(msg, eventstreamapi.MessageTypeHeader); mt {
	case eventstreamapi.EventMessageType:
	case eventstreamapi.ExceptionMessageType:
		s.err = s.exception(headerString(msg, eventstreamapi.ExceptionTypeHeader), msg.Payload, "")
		return false
	case eventstreamapi.ErrorMessageType:
		s.err = s.exception(headerString(msg, eventstreamapi.ErrorCodeHeader), nil, headerString(msg, eventstreamapi.ErrorMessageHeader))
		return false
	default:
		s.err = s.c.fail(llmrouter.KindMalformed, 0, "", "ConverseStream message of unknown type "+quote(mt))
		return false
	}

	et := headerString(msg, eventstreamapi.EventTypeHeader)
	switch et {
	case "contentBlockStart", "contentBlockDelta", "messageStop", "metadata":
	case "contentBlockStop":
		if s.think == nil {
			return false
		}
	default:
		// messageStart, contentBlockStop outside reasoning and events this
		// adapter does not know carry nothing to report.
		return false
	}
	s.ev = streamEvent{}
	if err := json.Unmarshal(msg.Payload, &s.ev); err != nil {
		s.err = s.c.fail(llmrouter.KindMalformed, 0, "", "unreadable ConverseStream "+et+" event: "+err.Error())
		return false
	}
	ev := &s.ev
	s.cur = llmrouter.Chunk{}
	switch et {
	case "contentBlockStart":
		if ev.Start.ToolUse.ToolUseID == "" && ev.Start.ToolUse.Name == "" {
			return false
		}
		s.cur.ToolCalls = []llmrouter.ToolCallDelta{{Index: s.toolIndex(ev.ContentBlockIndex),
			ID: ev.Start.ToolUse.ToolUseID, Name: ev.Start.ToolUse.Name}}
		return true
	case "contentBlockDelta":
		d := &ev.Delta
		switch {
		case d.Text != "":
			s.cur.Text = d.Text
		case d.ToolUse.Input != "":
			s.cur.ToolCalls = []llmrouter.ToolCallDelta{{Index: s.toolIndex(ev.ContentBlockIndex), Arguments: d.ToolUse.Input}}
		case d.ReasoningContent.Text != "" || d.ReasoningContent.Signature != "" || d.ReasoningContent.RedactedContent != "":
			rc := &d.ReasoningContent
			if s.think == nil || s.think.block != ev.ContentBlockIndex {
				s.think = &thinkSlot{block: ev.ContentBlockIndex}
			}
			s.think.text.WriteString(rc.Text)
			s.think.sig += rc.Signature
			s.think.redacted += rc.RedactedContent
			s.cur.Reasoning = rc.Text
			return rc.Text != ""
		default:
			return false // a citation, an event added later...
		}
		return true
	case "contentBlockStop":
		t := s.think
		if t.block != ev.ContentBlockIndex {
			return false
		}
		s.think = nil
		rb := llmrouter.ReasoningBlock{Provider: ProviderName, Redacted: t.redacted}
		if t.redacted == "" {
			rb.Text, rb.Signature = t.text.String(), t.sig
		}
		s.cur.ReasoningBlock = &rb
		return true
	case "messageStop":
		s.stop, s.sawStop = ev.StopReason, true
		if s.usage != nil {
			return s.finish()
		}
		return false
	case "metadata":
		if ev.Usage != nil {
			u := ev.Usage.usage()
			s.usage = &u
		}
		if ev.Trace.inputBlocked() {
			s.blocked = true
		}
		if s.sawStop {
			return s.finish()
		}
		return false
	}
	return false
}

// deliver returns a produced chunk (ok) to the caller: s.cur, or, when the
// stream held its chunks, the first of them with s.cur queued last.
func (s *stream) deliver(ok bool) bool {
	if !ok {
		return false
	}
	if s.hold {
		s.hold = false
		s.queue = append(s.queue, s.cur)
		s.pop()
	}
	if !s.done || s.cur.Text != "" || len(s.cur.ToolCalls) > 0 || s.cur.Reasoning != "" || s.cur.ReasoningBlock != nil {
		s.sent = true
	}
	return true
}

// pop makes the first held chunk s.cur.
func (s *stream) pop() {
	s.cur, s.queue[0] = s.queue[0], llmrouter.Chunk{}
	s.queue = s.queue[1:]
}

// finish makes s.cur the last chunk: the finish reason and the usage. A
// filtered stop before any content, with the trace saying the prompt was
// blocked or no output generated, is the blocked-prompt error instead (as
// from Chat); finish then sets s.err and returns false.
func (s *stream) finish() bool {
	fr := finishReason(s.stop)
	if s.stop == "" {
		fr = llmrouter.FinishOther
	}
	s.done = true
	if fr == llmrouter.FinishContentFilter && !s.sent && (s.blocked || s.usage != nil && s.usage.OutputTokens == 0) {
		s.cur = llmrouter.Chunk{}
		s.err = s.c.blockedError(s.stop, "")
		return false
	}
	s.cur = llmrouter.Chunk{FinishReason: fr, Usage: s.usage}
	return true
}

// toolIndex returns the tool-call index of content block b, numbering tool
// calls from 0 in the order their blocks first appear.
func (s *stream) toolIndex(b int) int {
	for _, t := range s.tools {
		if t.block == b {
			return t.index
		}
	}
	i := len(s.tools)
	s.tools = append(s.tools, toolSlot{block: b, index: i})
	return i
}

// exception classifies an in-stream exception or error message.
func (s *stream) exception(code string, payload []byte, msg string) *llmrouter.ProviderError {
	if len(payload) > 0 {
		var eb errorBody
		if json.Unmarshal(payload, &eb) == nil {
			msg = eb.Message
		}
	}
	code = sanitizeCode(code)
	kind, class := classify(code, msg, 0)
	pe := s.c.fail(kind, 0, code, msg)
	pe.Class = class
	return pe
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}

// Current implements llmrouter.ChunkStream. The chunk, its ToolCalls
// included, is the caller's to keep: a chunk with a tool-call delta gets a
// slice of its own.
func (s *stream) Current() llmrouter.Chunk { return s.cur }

// Err implements llmrouter.ChunkStream.
func (s *stream) Err() error {
	if s.err == nil {
		return nil
	}
	return s.err
}

// Close implements llmrouter.ChunkStream: it closes the response body,
// which ends the upstream call. After the last event it first reads the
// end of the body (drain.Close), which often comes a moment later: without
// it the connection could not be reused.
func (s *stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.cur = llmrouter.Chunk{}
	if s.done && s.err == nil {
		_ = drain.Close(s.body)
	} else {
		_ = s.body.Close()
	}
	return nil
}
