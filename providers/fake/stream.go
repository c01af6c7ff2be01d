package fake

import (
	"context"
	"unicode/utf8"

	"github.com/llmrouter/llmrouter"
)

// Stream implements llmrouter.Provider. The stream it returns sends, like a
// real provider: one empty preamble chunk (a role announcement), the text
// in pieces, each tool call in two deltas, then a last chunk with the finish
// reason and usage. It allocates nothing per chunk; its chunks are the
// caller's to keep (the tool-call deltas of a stream share one array, each
// chunk its own element).
func (p *Provider) Stream(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (llmrouter.ChunkStream, error) {
	s := p.step(d, req, true)
	if err := p.prelude(ctx, d, &s); err != nil {
		return nil, err
	}
	st := &stream{p: p, ctx: ctx, d: d, step: s, rest: s.Text, usage: usageOf(&s, req)}
	if s.Chunks > 0 {
		st.size = (len(s.Text) + s.Chunks - 1) / s.Chunks
	}
	return st, nil
}

type stream struct {
	p    *Provider
	ctx  context.Context
	d    *llmrouter.Deployment
	step Step

	phase   int // 0 preamble, 1 text, 2 tool calls, 3 finish, 4 done
	rest    string
	size    int // bytes per text piece; 0: one word per piece
	tool    int // tool-call delta index (two per call)
	visible int
	sent    int // chunks sent
	cur     llmrouter.Chunk
	deltas  []llmrouter.ToolCallDelta // one per tool-call chunk, made at the first
	usage   llmrouter.Usage
	err     error
	closed  bool
	thought bool // the reasoning chunk was sent
}

func (s *stream) Next() bool {
	if s.closed || s.err != nil || s.phase == 4 {
		return false
	}
	if err := s.ctx.Err(); err != nil {
		s.err = s.p.ctxError(s.d, err)
		return false
	}
	st := &s.step
	if (st.BreakAfter > 0 && s.visible == st.BreakAfter) || (st.BreakAfter < 0 && s.sent > 0) {
		e := st.StreamErr
		if e == nil {
			e = &llmrouter.ProviderError{Kind: llmrouter.KindTransport, Message: "injected connection reset mid-stream"}
		}
		s.err = s.p.fill(e, s.d)
		return false
	}
	if st.HangAfter > 0 && s.visible == st.HangAfter {
		<-s.ctx.Done()
		s.err = s.p.ctxError(s.d, s.ctx.Err())
		return false
	}
	if st.ChunkDelay > 0 && s.sent > 0 {
		if err := sleep(s.ctx, st.ChunkDelay); err != nil {
			s.err = s.p.ctxError(s.d, err)
			return false
		}
	}
	s.cur = llmrouter.Chunk{}
	for {
		switch s.phase {
		case 0:
			s.phase = 1
			s.sent++
			s.cur.ServedBy = st.ServedBy
			return true // the preamble chunk
		case 1:
			if st.Reasoning != "" && !s.thought {
				s.thought = true
				s.cur.Reasoning = st.Reasoning
				s.cur.ReasoningBlock = &st.reasoningBlocks(s.p.name)[0]
				s.visible++
				break
			}
			if s.rest == "" {
				s.phase = 2
				continue
			}
			s.cur.Text = s.piece()
			s.visible++
		case 2:
			if s.tool >= 2*len(st.ToolCalls) {
				s.phase = 3
				continue
			}
			tc := st.ToolCalls[s.tool/2]
			half := len(tc.Arguments) / 2
			for half > 0 && !utf8.RuneStart(tc.Arguments[half]) {
				half--
			}
			if s.deltas == nil {
				s.deltas = make([]llmrouter.ToolCallDelta, 2*len(st.ToolCalls))
			}
			d := &s.deltas[s.tool]
			if s.tool%2 == 0 {
				*d = llmrouter.ToolCallDelta{Index: s.tool / 2, ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments[:half]}
			} else {
				*d = llmrouter.ToolCallDelta{Index: s.tool / 2, Arguments: tc.Arguments[half:]}
			}
			s.cur.ToolCalls = s.deltas[s.tool : s.tool+1 : s.tool+1]
			s.tool++
			s.visible++
		case 3:
			s.phase = 4
			if st.NoFinish {
				return false
			}
			s.cur.FinishReason = st.finishReason()
			if !st.NoUsage {
				s.cur.Usage = &s.usage
			}
		}
		s.sent++
		return true
	}
}

// piece cuts the next piece of text off s.rest.
func (s *stream) piece() string {
	n := len(s.rest)
	if s.size > 0 {
		n = min(s.size, n)
	} else {
		for i := 0; i < len(s.rest); i++ {
			if s.rest[i] == ' ' && i > 0 {
				n = i + 1
				break
			}
		}
	}
	for n < len(s.rest) && !utf8.RuneStart(s.rest[n]) {
		n++
	}
	p := s.rest[:n]
	s.rest = s.rest[n:]
	return p
}

func (s *stream) Current() llmrouter.Chunk { return s.cur }
func (s *stream) Err() error               { return s.err }
func (s *stream) Close() error {
	s.closed = true
	return nil
}
