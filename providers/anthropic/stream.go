package anthropic

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/drain"
	"github.com/llmrouter/llmrouter/internal/sse"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// stream reads a Messages API event stream: message_start, then for each
// content block content_block_start, content_block_delta..., and
// content_block_stop, then message_delta and message_stop, with ping events
// anywhere. An error event ends it with that error; the end of the body
// before message_stop is a cut (KindTransport). It is not safe for
// concurrent use.
type stream struct {
	p     *Provider
	d     *llmrouter.Deployment
	ctx   context.Context
	body  io.ReadCloser
	rd    *sse.Reader
	reqID string

	ev     streamEvent // reused for every event
	buf    []byte      // scratch for unescaping strings
	cur    llmrouter.Chunk
	tools  []toolBlock
	think  *thinkBlock // the thinking block being streamed, or nil
	counts usageCounts
	stop   string
	usage  llmrouter.Usage
	rl     *llmrouter.RateLimit // set on the first chunk, then nil

	err    error
	done   bool
	closed bool
}

// toolBlock is a tool_use content block of the stream.
type toolBlock struct {
	block int    // content block index
	input string // the input of content_block_start, when not {}
	args  bool   // an input_json_delta was sent
}

// thinkBlock is a thinking content block of the stream: its text and
// signature arrive in deltas, the whole block is sent at its stop.
type thinkBlock struct {
	block int
	text  strings.Builder
	sig   string
}

// streamEvent holds the fields of every event the stream reads.
type streamEvent struct {
	Type    string `json:"type"`
	Index   int    `json:"index"`
	Message struct {
		Usage wireUsage `json:"usage"`
	} `json:"message"`
	ContentBlock wireContent `json:"content_block"`
	Delta        struct {
		Type        string `json:"type"`
		Text        string `json:"text"`
		Thinking    string `json:"thinking"`
		Signature   string `json:"signature"`
		PartialJSON string `json:"partial_json"`
		StopReason  string `json:"stop_reason"`
	} `json:"delta"`
	Usage wireUsage `json:"usage"`
}

func newStream(ctx context.Context, p *Provider, d *llmrouter.Deployment, resp *http.Response) *stream {
	return &stream{
		p: p, d: d, ctx: ctx, body: resp.Body, rd: sse.Get(resp.Body),
		reqID: resp.Header.Get("Request-Id"),
		rl:    rateLimit(resp.Header, nowFunc()),
	}
}

// Next implements llmrouter.ChunkStream.
func (s *stream) Next() bool {
	if s.closed || s.err != nil || s.done {
		return false
	}
	if err := s.ctx.Err(); err != nil {
		s.fail(wire.TransportError(s.ctx, name, s.d.Name, err))
		return false
	}
	s.cur = llmrouter.Chunk{}
	for {
		ev, err := s.rd.Next()
		if err != nil {
			s.fail(s.readError(err))
			return false
		}
		typ := ev.Name
		switch typ {
		case "ping":
			continue
		case "error":
			pe := decodeStreamError(ev.Data)
			if pe.RequestID == "" {
				pe.RequestID = s.reqID
			}
			s.fail(pe)
			return false
		case "", "message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop":
		default:
			continue // an event type added after this adapter was written
		}
		s.ev = streamEvent{}
		if typ != "content_block_delta" || !scanDelta(ev.Data, &s.ev, &s.buf) {
			s.ev = streamEvent{}
			if err := json.Unmarshal(ev.Data, &s.ev); err != nil {
				s.fail(malformed("unreadable " + eventName(typ) + " event: " + err.Error()))
				return false
			}
		}
		if typ == "" {
			// A data-only event: its data names its type.
			switch typ = s.ev.Type; typ {
			case "error":
				s.fail(decodeStreamError(ev.Data))
				return false
			}
		}
		if s.handle(typ) {
			if s.rl != nil {
				s.cur.RateLimit, s.rl = s.rl, nil
			}
			return true
		}
		if s.err != nil {
			return false
		}
	}
}

// handle applies the event in s.ev and reports whether it made a chunk.
func (s *stream) handle(typ string) bool {
	ev := &s.ev
	switch typ {
	case "message_start":
		s.counts.merge(&ev.Message.Usage)
	case "content_block_start":
		switch b := &ev.ContentBlock; b.Type {
		case "text":
			s.cur.Text = b.Text
			return b.Text != ""
		case "thinking":
			s.think = &thinkBlock{block: ev.Index, sig: b.Signature}
			s.think.text.WriteString(b.Thinking)
			s.cur.Reasoning = b.Thinking
			return b.Thinking != ""
		case "redacted_thinking":
			rb := responseBlock(b)
			s.cur.ReasoningBlock = &rb
			return true
		case "tool_use":
			tb := toolBlock{block: ev.Index}
			if in := b.Input; len(in) > 0 && string(in) != "{}" && string(in) != "null" {
				args, err := toolArguments(in)
				if err != nil {
					s.fail(err)
					return false
				}
				if args != "{}" {
					tb.input = args
				}
			}
			s.tools = append(s.tools, tb)
			s.cur.ToolCalls = []llmrouter.ToolCallDelta{{Index: len(s.tools) - 1, ID: b.ID, Name: b.Name}}
			return true
		}
	case "content_block_delta":
		switch d := &ev.Delta; d.Type {
		case "text_delta":
			s.cur.Text = d.Text
			return d.Text != ""
		case "thinking_delta":
			if t := s.think; t != nil && t.block == ev.Index {
				t.text.WriteString(d.Thinking)
			}
			s.cur.Reasoning = d.Thinking
			return d.Thinking != ""
		case "signature_delta":
			if t := s.think; t != nil && t.block == ev.Index {
				t.sig += d.Signature
			}
			return false
		case "input_json_delta":
			i := s.tool(ev.Index)
			if i < 0 || d.PartialJSON == "" {
				return false // a server tool's input, or nothing
			}
			s.tools[i].args = true
			s.cur.ToolCalls = []llmrouter.ToolCallDelta{{Index: i, Arguments: d.PartialJSON}}
			return true
		}
	case "content_block_stop":
		if t := s.think; t != nil && t.block == ev.Index {
			s.think = nil
			s.cur.ReasoningBlock = &llmrouter.ReasoningBlock{Provider: name, Text: t.text.String(), Signature: t.sig}
			return true
		}
		i := s.tool(ev.Index)
		if i < 0 || s.tools[i].args {
			return false
		}
		// A call whose arguments never came in deltas: send them whole.
		s.tools[i].args = true
		args := s.tools[i].input
		if args == "" {
			args = "{}"
		}
		s.cur.ToolCalls = []llmrouter.ToolCallDelta{{Index: i, Arguments: args}}
		return true
	case "message_delta":
		if ev.Delta.StopReason != "" {
			s.stop = ev.Delta.StopReason
		}
		s.counts.merge(&ev.Usage)
	case "message_stop":
		s.done = true
		s.cur.FinishReason = finishReason(s.stop)
		s.usage = s.counts.usage()
		s.cur.Usage = &s.usage
		return true
	}
	return false
}

// tool returns the index among tool calls of content block b, or -1.
func (s *stream) tool(b int) int {
	for i := range s.tools {
		if s.tools[i].block == b {
			return i
		}
	}
	return -1
}

// readError classifies a failure to read the next event.
func (s *stream) readError(err error) *llmrouter.ProviderError {
	switch {
	case err == io.EOF:
		return &llmrouter.ProviderError{Kind: llmrouter.KindTransport, Message: "stream ended before message_stop", Err: io.ErrUnexpectedEOF}
	case sse.TooLarge(err):
		pe := malformed(err.Error())
		pe.Err = err
		return pe
	case err == io.ErrUnexpectedEOF && s.ctx.Err() == nil:
		return &llmrouter.ProviderError{Kind: llmrouter.KindTransport, Message: "stream cut mid-event", Err: err}
	}
	return wire.TransportError(s.ctx, name, s.d.Name, err)
}

// fail ends the stream with pe.
func (s *stream) fail(pe *llmrouter.ProviderError) {
	s.err = s.p.finish(pe, s.d)
	s.cur = llmrouter.Chunk{}
}

// Current implements llmrouter.ChunkStream. The chunk, its ToolCalls
// included, is the caller's to keep: a chunk with a tool-call delta gets a
// slice of its own.
func (s *stream) Current() llmrouter.Chunk { return s.cur }

// Err implements llmrouter.ChunkStream.
func (s *stream) Err() error { return s.err }

// Close implements llmrouter.ChunkStream: it closes the response body,
// which ends the upstream call if it still runs. After message_stop it
// first reads the end of the body (drain.Close), which often comes a
// moment later: without it the connection could not be reused.
func (s *stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.done && s.err == nil {
		_ = drain.Close(s.body)
	} else {
		_ = s.body.Close()
	}
	sse.Put(s.rd) // Next reads no more once closed
	s.rd = nil
	return nil
}

func eventName(typ string) string {
	if typ == "" {
		return "data-only"
	}
	return typ
}
