package llmrouter

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
)

// finish ends a request: it settles quotas, completes the response's
// routing fields, writes the lineage record to every sink, ends the router
// span and returns the call to the pool. It runs exactly once per request,
// on every path.
func (c *call) finish(resp *Response, err error) {
	r, req, rec := c.r, c.req, &c.rec
	end := c.lastEnd
	if end == 0 || c.stream || err != nil {
		end = c.elapsed()
	}
	rec.Route, rec.Tenant, rec.User, rec.Labels, rec.Stream = req.Model, req.Tenant, req.User, req.Labels, c.stream
	rec.Embed = req.embed != nil
	rec.Needs, rec.MaxOutputTokens = c.needs, satInt32(req.MaxOutputTokens)
	rec.Start, rec.Duration = c.start, end
	if rec.Outcome == "" {
		rec.Outcome = c.outcome(err)
	}
	if err != nil {
		rec.Error = errorText(err, r.capture)
	}
	if d := c.served; d != nil {
		rec.Deployment, rec.Provider, rec.Model = d.Name, d.provider, d.UpstreamModel()
		if c.reasoning { // served: prepare scanned the messages
			rec.ReasoningDropped = req.ForeignReasoning(d.provider)
		}
	} else {
		rec.ServedBy = "" // set by an attempt that did not end up serving
	}
	rec.Cost = c.cost // rec.Usage sums the attempts' usage already
	c.releaseAll(err)
	if resp != nil {
		resp.RequestID, resp.Cost = rec.RequestID, c.cost
		if d := c.served; d != nil {
			resp.Deployment, resp.Provider = d.Name, d.provider
			resp.ReasoningDropped = rec.ReasoningDropped
		}
	}
	if len(r.sinks) > 0 {
		if rec.Prompt.Messages == 0 { // prepare ended before measuring the prompt
			rec.Prompt = promptInfo(req, c.estInput)
		}
		rec.msgs, rec.hasher = &req.Messages, &c.hasher
		if r.capture {
			c.content.Messages = req.Messages
			if resp != nil {
				c.content.Output = resp.Text
			}
			rec.Content = &c.content
		}
		ctx := c.parent
		for _, s := range r.sinks {
			writeSink(ctx, s, rec)
		}
	}
	if m := r.metrics; m != nil {
		m.record(c.parent, rec, err)
		m.inFlight.Add(c.parent, -1)
	}
	c.endSpan(err)
	if c.cancel != nil {
		c.cancel()
	}
	c.release()
}

// backstop is what Chat, ChatStream and Embed do with a panic the
// user-code wrappers did not catch (their deferred recover calls it): a bug
// of the router's own. The request still ends once (unless finish itself
// was running: finished), releasing all it holds, and the caller gets no
// result and the *RouteError wrapping a *PanicError this returns.
func (c *call) backstop(route string, finished bool, v any) error {
	err := &RouteError{Route: route, Err: newPanic(inRouter, v)}
	if !finished {
		c.finish(nil, err)
	}
	return err
}

// outcome maps a request's error to its lineage outcome.
func (c *call) outcome(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeSuccess
	case errors.Is(err, ErrInvalidRequest):
		return OutcomeInvalid
	case errors.Is(err, ErrQuotaExceeded):
		return OutcomeQuotaExceeded
	case errors.Is(err, ErrPolicyDenied):
		return OutcomePolicyDenied
	case c.parent.Err() != nil:
		return OutcomeCanceled
	case errors.Is(err, ErrStreamInterrupted):
		return OutcomeInterrupted
	}
	return OutcomeFailed
}

// promptHasher hashes prompts for Record.PromptHash. Each pooled call keeps one,
// so its digest and buffer are reused across requests.
type promptHasher struct {
	h   hash.Hash
	buf []byte
	out [sha256.Size]byte
}

// maxHashBuffer is the most prompt bytes buffered before hashing them.
const maxHashBuffer = 16 << 10

// promptInfo counts req's prompt: messages, bytes of text and data, and
// estimated tokens. The hash is left to Record.PromptHash.
func promptInfo(req *Request, tokens int) PromptInfo {
	info := PromptInfo{Messages: len(req.Messages), Tokens: tokens}
	for i := range req.Messages {
		m := &req.Messages[i]
		for j := range m.Content {
			if img := m.Content[j].Image; img != nil && m.Content[j].Type == PartImage {
				info.Bytes += len(img.Data)
			} else {
				info.Bytes += len(m.Content[j].Text)
			}
		}
		for _, tc := range m.ToolCalls {
			info.Bytes += len(tc.Arguments)
		}
	}
	return info
}

// sum hashes msgs in their canonical form.
func (p *promptHasher) sum(msgs []Message) Hash {
	if p.h == nil {
		p.h = sha256.New()
	} else {
		p.h.Reset()
	}
	b := p.buf[:0]
	for i := range msgs {
		m := &msgs[i]
		b = appendField(b, string(m.Role))
		b = binary.AppendUvarint(b, uint64(len(m.Content)))
		for _, part := range m.Content {
			b = appendField(b, string(part.Type))
			if part.Type == PartImage && part.Image != nil {
				b = appendField(b, part.Image.URL)
				b = appendField(b, part.Image.MediaType)
				b = binary.AppendUvarint(b, uint64(len(part.Image.Data)))
				b = append(b, part.Image.Data...)
			} else {
				b = appendField(b, part.Text)
			}
			if len(b) > maxHashBuffer {
				p.h.Write(b)
				b = b[:0]
			}
		}
		b = binary.AppendUvarint(b, uint64(len(m.ToolCalls)))
		for _, tc := range m.ToolCalls {
			b = appendField(b, tc.ID)
			b = appendField(b, tc.Name)
			b = appendField(b, tc.Arguments)
		}
		b = appendField(b, m.ToolCallID)
	}
	p.h.Write(b)
	p.h.Sum(p.out[:0])
	if cap(b) <= 4*maxHashBuffer {
		p.buf = b[:0]
	}
	return p.out
}

func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// HashPrompt returns the hash that lineage records carry for a prompt of
// msgs (Record.Prompt.Hash): SHA-256 over a length-prefixed canonical form
// of each message's role, parts, tool calls and tool call id. Use it to find
// the records of a known prompt without storing prompt text.
func HashPrompt(msgs []Message) Hash {
	var p promptHasher
	return p.sum(msgs)
}
