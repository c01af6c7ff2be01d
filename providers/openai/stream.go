package openai

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/drain"
	"github.com/llmrouter/llmrouter/internal/sse"
)

// Stream sends one request to deployment d and returns its answer as a
// stream of chunks, read from the server-sent events of the answer until
// "data: [DONE]". A stream that ends before [DONE] fails with a
// *llmrouter.ProviderError of KindTransport (or KindMalformed for garbage);
// an error object inside the stream fails it with that error, classified.
//
// The first chunk carries the rate-limit headroom of the response headers;
// a chunk with a FinishReason ends the answer, and a last chunk carries the
// usage. Chunks' strings and tool-call slices are the caller's to keep.
// At [DONE] the stream reads the end of the body, within bounds, so that
// the connection is reused.
func (p *Provider) Stream(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (llmrouter.ChunkStream, error) {
	w := getWork()
	resp, pe := p.send(ctx, d, req, true, w)
	if pe != nil {
		putWork(w)
		return nil, pe
	}
	return p.openStream(ctx, d, resp, w)
}

// openStream reads a 2xx answer to a stream request; it takes w back.
func (p *Provider) openStream(ctx context.Context, d *llmrouter.Deployment, resp *http.Response, w *work) (llmrouter.ChunkStream, error) {
	if isJSON(resp.Header) {
		// The server answered with a whole response (or an error with a 200,
		// as OpenRouter may): serve it as a one-chunk stream.
		defer putWork(w)
		return p.jsonStream(ctx, d, resp, w)
	}
	putWork(w)
	s := &stream{
		p: p, ctx: ctx, dep: d.Name, resp: resp,
		r:      sse.Get(resp.Body),
		rl:     parseRateLimit(resp.Header),
		served: p.servedBy(resp.Header),
		bound:  p.dialect == dialectDeepSeek,
	}
	if p.dialect == dialectOpenRouter {
		s.details = &detailParts{}
	}
	return s, nil
}

// isJSON reports whether the response is application/json (not an event
// stream), without allocating.
func isJSON(h http.Header) bool {
	v := h["Content-Type"]
	if len(v) == 0 {
		return false
	}
	const mt = "application/json"
	s := strings.TrimSpace(v[0])
	if len(s) < len(mt) || !strings.EqualFold(s[:len(mt)], mt) {
		return false
	}
	s = s[len(mt):]
	return s == "" || s[0] == ';' || s[0] == ' ' || s[0] == '\t'
}

// jsonStream serves a non-streamed answer to a stream request.
func (p *Provider) jsonStream(ctx context.Context, d *llmrouter.Deployment, resp *http.Response, w *work) (llmrouter.ChunkStream, error) {
	body, err := readBody(resp, w.buf[:0])
	_ = resp.Body.Close()
	w.buf = body[:0]
	if err != nil {
		return nil, p.transportError(ctx, d, err)
	}
	var out llmrouter.Response
	errBody, err := decodeResponse(&w.s, body, &out)
	if err != nil {
		return nil, p.malformed(d, resp, "unreadable response: "+err.Error())
	}
	if errBody != nil {
		return nil, p.classify(resp.StatusCode, resp.Header, errBody, d.Name)
	}
	c := llmrouter.Chunk{Text: out.Text, Reasoning: out.Reasoning, FinishReason: out.FinishReason,
		RateLimit: parseRateLimit(resp.Header)}
	if u := out.Usage; u != (llmrouter.Usage{}) {
		c.Usage = &u
	}
	c.Refusal, c.ServedBy = out.Refusal, out.ServedBy
	if c.ServedBy == "" {
		c.ServedBy = p.servedBy(resp.Header)
	}
	for i, tc := range out.ToolCalls {
		c.ToolCalls = append(c.ToolCalls, llmrouter.ToolCallDelta{Index: i, ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments})
	}
	p.ownBlocks(&out)
	pending := []llmrouter.Chunk{c}
	for i := range out.ReasoningBlocks {
		if i == 0 {
			pending[0].ReasoningBlock = &out.ReasoningBlocks[0]
			continue
		}
		pending = append(pending, llmrouter.Chunk{ReasoningBlock: &out.ReasoningBlocks[i]})
	}
	return &stream{p: p, ctx: ctx, dep: d.Name, pending: pending, closed: true, ended: true}, nil
}

// stream reads a Chat Completions event stream. It is not safe for
// concurrent use (ChunkStream's contract).
type stream struct {
	p    *Provider
	ctx  context.Context
	dep  string
	resp *http.Response
	r    *sse.Reader
	sc   scanner
	rl   *llmrouter.RateLimit // for the first chunk

	cur      llmrouter.Chunk
	tcs      []llmrouter.ToolCallDelta // reused while decoding a chunk
	pending  []llmrouter.Chunk         // chunks to serve before reading on
	refusal  bool                      // the model refused: finish is content_filter
	servedBy bool                      // ServedBy was reported on a chunk already
	served   string                    // ServedBy from the headers (LiteLLM), for the first chunk
	bound    bool                      // reasoning is state to keep (DeepSeek)
	think    strings.Builder           // with bound: the reasoning so far
	details  *detailParts              // OpenRouter: reasoning_details so far, else nil
	err      error
	ended    bool // [DONE], an error, or Close
	closed   bool
}

// Next advances to the next chunk.
func (s *stream) Next() bool {
	if len(s.pending) > 0 {
		s.cur, s.pending = s.pending[0], s.pending[1:]
		return true
	}
	if s.ended {
		return false
	}
	for {
		ev, err := s.r.Next()
		if err != nil {
			s.fail(s.readError(err))
			return false
		}
		data := bytes.TrimSpace(ev.Data)
		if len(data) == 0 {
			continue
		}
		if bytes.HasPrefix(data, []byte("[DONE]")) {
			s.end(true)
			s.pending = s.detailChunks(s.pending)
			if len(s.pending) > 0 { // reasoning_details no finish_reason flushed
				s.cur, s.pending = s.pending[0], s.pending[1:]
				return true
			}
			return false
		}
		if ev.Name == "error" {
			s.fail(s.p.classify(0, nil, data, s.dep))
			return false
		}
		s.cur = llmrouter.Chunk{}
		errObj, failed, err := s.decode(data)
		switch {
		case err != nil:
			s.fail(&llmrouter.ProviderError{Provider: s.p.name, Deployment: s.dep,
				Kind: llmrouter.KindMalformed, Message: "unreadable stream event: " + err.Error()})
			return false
		case errObj:
			s.fail(s.p.classify(0, nil, data, s.dep))
			return false
		case failed:
			s.fail(&llmrouter.ProviderError{Provider: s.p.name, Deployment: s.dep,
				Kind: llmrouter.KindServer, Code: "error", Message: "the provider ended the stream with finish_reason \"error\""})
			return false
		}
		c := &s.cur
		if s.served != "" && !s.servedBy {
			c.ServedBy, s.servedBy = s.served, true
		}
		if s.bound {
			s.think.WriteString(c.Reasoning)
			if c.FinishReason != "" {
				c.ReasoningBlock = s.p.reasoningState(s.think.String())
			}
		}
		if c.FinishReason != "" && s.details != nil {
			if more := s.detailChunks(nil); len(more) > 0 {
				c.ReasoningBlock = more[0].ReasoningBlock
				s.pending = append(s.pending, more[1:]...)
			}
		}
		if c.Text == "" && c.Reasoning == "" && c.Refusal == "" && len(c.ToolCalls) == 0 && c.FinishReason == "" && c.Usage == nil && c.ServedBy == "" && c.ReasoningBlock == nil {
			continue // role announcements, filter annotations, keep-alives
		}
		if s.rl != nil {
			c.RateLimit, s.rl = s.rl, nil
		}
		return true
	}
}

// detailChunks appends to dst one chunk per reasoning_details entry
// assembled so far, each carrying its block, and forgets the entries.
func (s *stream) detailChunks(dst []llmrouter.Chunk) []llmrouter.Chunk {
	if s.details == nil {
		return dst
	}
	for _, b := range s.details.blocks(s.p.name) {
		dst = append(dst, llmrouter.Chunk{ReasoningBlock: &b})
	}
	return dst
}

// readError classifies why reading the stream stopped before [DONE].
func (s *stream) readError(err error) *llmrouter.ProviderError {
	if s.ctx.Err() != nil {
		return s.p.transportError(s.ctx, &llmrouter.Deployment{Name: s.dep}, s.ctx.Err())
	}
	switch {
	case err == io.EOF:
		return &llmrouter.ProviderError{Provider: s.p.name, Deployment: s.dep, Kind: llmrouter.KindTransport,
			Message: "stream ended without [DONE]", Err: io.ErrUnexpectedEOF}
	case err == io.ErrUnexpectedEOF:
		return &llmrouter.ProviderError{Provider: s.p.name, Deployment: s.dep, Kind: llmrouter.KindTransport,
			Message: "stream cut in the middle of an event", Err: err}
	case sse.TooLarge(err):
		return &llmrouter.ProviderError{Provider: s.p.name, Deployment: s.dep, Kind: llmrouter.KindMalformed,
			Message: err.Error(), Err: err}
	}
	return s.p.transportError(s.ctx, &llmrouter.Deployment{Name: s.dep}, err)
}

func (s *stream) fail(pe *llmrouter.ProviderError) {
	if s.resp != nil && pe.RequestID == "" {
		pe.RequestID = requestID(s.resp.Header)
	}
	s.err = pe
	s.end(false)
}

// end ends the stream; done says it read [DONE].
func (s *stream) end(done bool) {
	s.ended = true
	s.cur = llmrouter.Chunk{}
	s.release(done)
}

// release closes the body and gives the reader back. After [DONE] it
// first reads the end of the body (drain.Close), which often comes a
// moment later: without it the connection could not be reused.
func (s *stream) release(done bool) {
	if !s.closed {
		s.closed = true
		if done {
			_ = drain.Close(s.resp.Body)
		} else {
			_ = s.resp.Body.Close()
		}
		sse.Put(s.r)
		s.r = nil
	}
}

// Current returns the chunk Next advanced to.
func (s *stream) Current() llmrouter.Chunk { return s.cur }

// Err returns the error that ended the stream, or nil.
func (s *stream) Err() error { return s.err }

// Close ends the stream and closes the connection's body. It is safe to
// call more than once.
func (s *stream) Close() error {
	s.ended = true
	s.pending = nil
	s.release(false)
	return nil
}

// decode reads one chunk into s.cur. It reports errObj when the event is an
// error object, and failed when the choice finished with "error" (as
// OpenRouter does after a mid-stream failure).
func (s *stream) decode(data []byte) (errObj, failed bool, err error) {
	sc := &s.sc
	sc.reset(data)
	if !sc.object() {
		if sc.err == nil {
			sc.fail(errSyntax)
		}
		return false, false, sc.err
	}
	c := &s.cur
	s.tcs = s.tcs[:0]
	for n := 0; ; {
		k, ok := sc.key(&n)
		if !ok {
			break
		}
		switch string(k) {
		case "choices":
			if !sc.array() {
				continue
			}
			for m := 0; sc.elem(&m); {
				if f := s.decodeChoice(); f {
					failed = true
				}
			}
		case "provider": // OpenRouter: the upstream serving the stream
			if sc.peek() != '"' {
				sc.skip()
				continue
			}
			if v := sc.str(); len(v) > 0 && !s.servedBy {
				c.ServedBy, s.servedBy = string(v), true
			}
		case "usage":
			if sc.peek() == 'n' {
				sc.skip()
				continue
			}
			u := new(llmrouter.Usage)
			if decodeUsage(sc, u) {
				c.Usage = u
			}
		case "error":
			if sc.peek() == 'n' {
				sc.skip()
				continue
			}
			errObj = sc.skip() != nil
		case "x_groq": // Groq puts a stream's usage here when not asked otherwise
			if !sc.object() {
				continue
			}
			for m := 0; ; {
				k, ok := sc.key(&m)
				if !ok {
					break
				}
				if string(k) == "usage" && sc.peek() == '{' && c.Usage == nil {
					u := new(llmrouter.Usage)
					decodeUsage(sc, u)
					c.Usage = u
					continue
				}
				sc.skip()
			}
		default:
			sc.skip()
		}
	}
	if err := sc.end(); err != nil {
		return false, false, err
	}
	if len(s.tcs) > 0 {
		c.ToolCalls = append([]llmrouter.ToolCallDelta(nil), s.tcs...)
	}
	return errObj, failed, nil
}

// decodeChoice reads one element of choices into s.cur (only index 0
// counts; we ask for one choice).
func (s *stream) decodeChoice() (failed bool) {
	sc := &s.sc
	if !sc.object() {
		return false
	}
	c := &s.cur
	var finish []byte
	index := 0
	// Fields are applied as read; a choice of another index is rare enough
	// (n>1 is never asked for) that it is read into a scratch chunk.
	var other llmrouter.Chunk
	target := c
	for n := 0; ; {
		k, ok := sc.key(&n)
		if !ok {
			break
		}
		switch string(k) {
		case "index":
			if index = sc.int(); index != 0 {
				target = &other
			}
		case "delta", "message":
			s.decodeDelta(target, index == 0)
		case "finish_reason":
			finish = sc.str()
			if index == 0 && len(finish) > 0 {
				if string(finish) == "error" {
					failed = true
					continue
				}
				c.FinishReason = finishReason(finish)
				if s.refusal && c.FinishReason == llmrouter.FinishStop {
					c.FinishReason = llmrouter.FinishContentFilter
				}
			}
		default:
			sc.skip()
		}
	}
	return failed
}

// decodeDelta reads a choice's delta into c; tool-call pieces go to s.tcs
// when keep is set.
func (s *stream) decodeDelta(c *llmrouter.Chunk, keep bool) {
	sc := &s.sc
	if !sc.object() {
		return
	}
	for n := 0; ; {
		k, ok := sc.key(&n)
		if !ok {
			break
		}
		switch string(k) {
		case "content":
			if sc.peek() == '[' {
				c.Text += decodeContent(sc)
				continue
			}
			if v := sc.str(); len(v) > 0 {
				if c.Text == "" {
					c.Text = string(v)
				} else {
					c.Text += string(v)
				}
			}
		case "reasoning_details": // OpenRouter
			if !keep || s.details == nil {
				sc.skip()
				continue
			}
			if !sc.array() {
				continue
			}
			for m := 0; sc.elem(&m); {
				if raw := sc.skip(); raw != nil {
					s.details.add(raw)
				}
			}
		case "reasoning_content", "reasoning":
			if sc.peek() != '"' {
				sc.skip()
				continue
			}
			if v := sc.str(); len(v) > 0 && c.Reasoning == "" {
				c.Reasoning = string(v)
			}
		case "refusal":
			// The answer then finishes as content_filter.
			if v := sc.str(); len(v) > 0 {
				c.Refusal += string(v)
				if keep {
					s.refusal = true
				}
			}
		case "tool_calls":
			if !sc.array() {
				continue
			}
			for m := 0; sc.elem(&m); {
				d := s.decodeToolCallDelta(m - 1)
				if keep && sc.err == nil {
					s.tcs = append(s.tcs, d)
				}
			}
		default:
			sc.skip()
		}
	}
}

// decodeToolCallDelta reads one tool_calls element; pos is its place in the
// array, used when the server sends no index.
func (s *stream) decodeToolCallDelta(pos int) llmrouter.ToolCallDelta {
	sc := &s.sc
	d := llmrouter.ToolCallDelta{Index: pos}
	if !sc.object() {
		return d
	}
	for n := 0; ; {
		k, ok := sc.key(&n)
		if !ok {
			break
		}
		switch string(k) {
		case "index":
			d.Index = sc.int()
		case "id":
			d.ID = sc.string()
		case "function":
			if !sc.object() {
				continue
			}
			for f := 0; ; {
				k, ok := sc.key(&f)
				if !ok {
					break
				}
				switch string(k) {
				case "name":
					d.Name = sc.string()
				case "arguments":
					d.Arguments = arguments(sc)
				default:
					sc.skip()
				}
			}
		default:
			sc.skip()
		}
	}
	return d
}
