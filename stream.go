package llmrouter

import (
	"context"
	"runtime"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Stream is a routed streaming answer, read like a ChunkStream:
//
//	s, err := router.ChatStream(ctx, req)
//	if err != nil { ... }
//	defer s.Close()
//	for s.Next() {
//		fmt.Print(s.Current().Text)
//	}
//	if err := s.Err(); err != nil { ... }
//
// By the time ChatStream returns a Stream, a deployment has produced visible
// content (or a complete empty answer): failures before that failed over
// unseen. A failure after it ends the stream with a *StreamError
// (ErrStreamInterrupted) carrying the partial usage; a stream that stops
// without a finish reason is such a failure, never a silent truncation.
//
// The request's quota settles and its lineage record is written when the
// stream ends or is closed; Close should be called if the stream is not read
// to its end. A Stream dropped without Close is finished by the garbage
// collector once it is unreachable: the upstream call is closed, every slot
// released, the quota settled at no less than its reservation, and the
// record written with OutcomeAbandoned. That happens at the collector's
// pace, so Close it.
//
// A Stream is not safe for concurrent use; cancel the context given to
// ChatStream to stop it from another goroutine.
type Stream struct {
	st      *streamState
	cleanup runtime.Cleanup
}

// streamState is a Stream's state. The Stream handle is what callers hold;
// the state is what the garbage collector's cleanup finishes when a caller
// drops the handle, so nothing in it refers back to the handle.
type streamState struct {
	c     *call
	i     int // route member serving the stream
	d     *deployment
	inner ChunkStream
	ctx   context.Context // the attempt's
	stop  context.CancelCauseFunc
	span  trace.Span

	cur       Chunk
	pending   bool // cur holds the first visible chunk, not yet returned
	done      bool
	orphaned  bool // a Next was abandoned to a provider ignoring its context
	truncated bool // captured output reached maxCapturedOutput
	err       error

	start     time.Time // the attempt's
	ttft      time.Duration
	usage     Usage
	hasUsage  bool
	finish    FinishReason
	outBytes  int // bytes of generated text, for estimates
	output    []byte
	firstWait *time.Timer
	idle      *idleWatch

	// Results kept past the end of the request.
	final      Usage
	cost       float64
	deployment string
	requestID  string
	servedBy   string // for Collect: the preamble that carries it is not delivered
	dropped    int    // Record.ReasoningDropped, for Collect
}

// maxCapturedOutput bounds the answer text a stream keeps for its lineage
// record when content capture is on; past it the record's Content is marked
// Truncated. Streams never buffer their whole answer for lineage.
const maxCapturedOutput = 1 << 20

// newStream wraps st in the handle given to the caller, with the cleanup
// that finishes it if the caller drops it.
func newStream(st *streamState) *Stream {
	h := &Stream{st: st}
	h.cleanup = runtime.AddCleanup(h, abandonStream, st)
	return h
}

// abandonStream finishes a stream whose handle became unreachable before it
// ended. It runs on the runtime's cleanup goroutine and hands the work
// (closing the upstream, sinks, the quota store) to a goroutine of its own.
func abandonStream(st *streamState) {
	if st.done {
		return
	}
	go st.end(nil, OutcomeAbandoned)
}

// openStream prepares the request and opens streams until one produces
// visible content.
func (c *call) openStream() (*streamState, error) {
	if err := c.prepare(); err != nil {
		return nil, err
	}
	s := &streamState{c: c, requestID: c.rec.RequestID}
	for {
		i, err := c.next()
		if err != nil {
			return nil, err
		}
		var pe *ProviderError
		if c.hedges(i) {
			var win *streamState
			if win, i, pe, err = c.openHedged(s, i); err != nil {
				return nil, err
			}
			if pe == nil {
				return win, nil
			}
		} else if pe = s.open(i); pe == nil {
			return s, nil
		}
		if err := c.failed(i, pe); err != nil {
			return nil, err
		}
	}
}

// open makes one streaming attempt on member i and reads it up to its first
// visible chunk, or to the end of a complete empty answer.
func (s *streamState) open(i int) *ProviderError {
	s.launch(i)
	if pe := s.reach(); pe != nil {
		return s.abandon(pe)
	}
	s.serve()
	return nil
}

// launch begins a streaming attempt on member i, whose call slot next has
// just taken: it counts it and gives it its context, span and first-token
// timer.
func (s *streamState) launch(i int) {
	c := s.c
	d := c.rt.members[i]
	resend := int(c.tries[i])
	c.attempts++
	c.tries[i]++
	*s = streamState{c: c, i: i, d: d, requestID: s.requestID, output: s.output[:0]}
	s.start = c.r.now()
	ctx, stop := context.WithCancelCause(c.ctx)
	s.ctx, s.stop = ctx, stop
	s.ctx, s.span = c.startAttemptSpan(s.ctx, d, resend)
	if t := c.attemptTimeouts(d).FirstToken; t > 0 {
		s.firstWait = time.AfterFunc(t, func() { stop(errFirstToken) })
	}
}

// reach opens the attempt's upstream stream and reads it up to its first
// visible chunk, or to the end of a complete empty answer; it returns the
// attempt's classified error if it fails first. Chunks before that carry
// nothing to show and are held back (their usage is kept). It only reads
// the call, never changes it, so a hedged stream runs two on goroutines of
// their own (openHedged).
func (s *streamState) reach() *ProviderError {
	c, d := s.c, s.d
	var inner ChunkStream
	var err error
	if d.honorsCtx {
		inner, err = safeStream(s.ctx, d, c.req)
	} else {
		inner, err = s.guardedOpen()
	}
	if err == nil && inner == nil {
		err = &ProviderError{Provider: d.provider, Deployment: d.Name, Kind: KindMalformed, Message: "provider returned neither a stream nor an error"}
	}
	if err != nil {
		return c.classify(err, s.ctx, d)
	}
	s.inner = inner
	for {
		ok, pe := s.read()
		if pe != nil {
			return pe
		}
		if !ok {
			return &ProviderError{Provider: d.provider, Deployment: d.Name, Kind: KindMalformed,
				Message: "stream ended before any content or finish reason"}
		}
		if s.cur.visible() || s.finish != "" {
			break
		}
	}
	if !s.cur.visible() {
		if pe := c.refusedAnswer(d, s.finish); pe != nil {
			return pe
		}
	}
	if s.firstWait != nil && !s.firstWait.Stop() {
		// The first-token deadline passed as the first chunk arrived: the
		// attempt timed out unseen, and the chunk is not delivered.
		return &ProviderError{Provider: d.provider, Deployment: d.Name, Kind: KindTimeout,
			Message: errFirstToken.Error(), Err: errFirstToken}
	}
	s.ttft = c.r.now().Sub(s.start)
	return nil
}

// serve makes the attempt that reached its first visible chunk the one
// serving the request.
func (s *streamState) serve() {
	c, d := s.c, s.d
	s.pending = true
	c.rec.TTFT = s.start.Add(s.ttft).Sub(c.start)
	cr := c.cand(s.i)
	cr.Status, cr.Policy, cr.Reason = CandidateChosen, "", ""
	c.served = d
	s.deployment = d.Name
	if s.servedBy != "" {
		c.rec.ServedBy = s.servedBy
	}
	if t := c.attemptTimeouts(d).Idle; t > 0 {
		s.idle = watchIdle(t, s.stop)
	}
}

// guardedOpen opens a stream of a provider that does not declare it honours
// its context, returning when the attempt's context ends even if the
// provider does not. An abandoned open closes its stream and releases its
// slot when it returns.
func (s *streamState) guardedOpen() (ChunkStream, error) {
	type result struct {
		cs  ChunkStream
		err error
	}
	c, d, ctx := s.c, s.d, s.ctx
	req, held := c.req, c.held
	r, ok := guarded(ctx, func() result {
		cs, err := safeStream(ctx, d, req)
		return result{cs, err}
	}, func(r result) {
		if r.cs != nil {
			safeClose(r.cs)
		}
		held.release(orphanError(d), 0)
	})
	if !ok {
		c.orphan()
		s.orphaned = true
		return nil, context.Cause(ctx)
	}
	return r.cs, r.err
}

// read advances the upstream stream by one chunk into s.cur. It returns
// false at its end, with the attempt's classified error if it failed (a
// clean end without a finish reason is a failure too).
func (s *streamState) read() (bool, *ProviderError) {
	if s.idle != nil {
		s.idle.progress.Add(1) // odd: waiting on the upstream
	}
	var ok bool
	var perr *ProviderError
	if s.d.honorsCtx {
		ok, perr = safeNext(s.inner, s.d, &s.cur)
	} else {
		ok, perr = s.guardedNext()
	}
	if s.idle != nil {
		s.idle.progress.Add(1)
	}
	if perr != nil {
		return false, perr
	}
	if !ok {
		if err := safeErr(s.inner, s.d); err != nil {
			return false, s.c.classify(err, s.ctx, s.d)
		}
		if s.finish == "" {
			if s.ctx.Err() != nil {
				// An adapter that ends quietly when its context ends.
				return false, s.c.classify(context.Cause(s.ctx), s.ctx, s.d)
			}
			return false, &ProviderError{Provider: s.d.provider, Deployment: s.d.Name, Kind: KindMalformed,
				Message: "stream ended without a finish reason"}
		}
		return false, nil
	}
	if u := s.cur.Usage; u != nil {
		s.usage, s.hasUsage = u.clamped(), true
	}
	if s.cur.ServedBy != "" {
		s.servedBy = s.cur.ServedBy
		if s.deployment != "" { // serving: before that, serve copies it
			s.c.rec.ServedBy = s.servedBy
		}
	}
	if rl := s.cur.RateLimit; rl != nil {
		s.d.steer(rl, s.c.r.now(), s.c.r.retry.MaxRetryAfter)
	}
	if s.cur.FinishReason != "" {
		s.finish = s.cur.FinishReason
	}
	s.outBytes += len(s.cur.Text) + len(s.cur.Reasoning)
	for j := range s.cur.ToolCalls {
		s.outBytes += len(s.cur.ToolCalls[j].Arguments)
	}
	if s.c.r.capture && !s.truncated {
		room := maxCapturedOutput - len(s.output)
		if len(s.cur.Text) > room {
			s.output = append(s.output, s.cur.Text[:room]...)
			s.truncated = true
		} else {
			s.output = append(s.output, s.cur.Text...)
		}
	}
	return true, nil
}

// guardedNext reads the next chunk of a provider that does not declare it
// honours its context, returning when the attempt's context ends even if
// the provider's Next does not. An abandoned Next closes the stream and
// releases the attempt's slot when it returns.
func (s *streamState) guardedNext() (bool, *ProviderError) {
	type result struct {
		ok  bool
		pe  *ProviderError
		cur Chunk
	}
	c, d, inner, held := s.c, s.d, s.inner, s.c.held
	r, ok := guarded(s.ctx, func() result {
		var r result
		r.ok, r.pe = safeNext(inner, d, &r.cur)
		return r
	}, func(result) {
		safeClose(inner)
		held.release(orphanError(d), 0)
	})
	if !ok {
		c.orphan()
		s.orphaned, s.inner = true, nil
		return false, c.classify(context.Cause(s.ctx), s.ctx, d)
	}
	s.cur = r.cur
	return r.ok, r.pe
}

// abandon ends a streaming attempt that failed before any visible content.
func (s *streamState) abandon(pe *ProviderError) *ProviderError {
	s.closeAttempt()
	a := s.attemptRecord()
	s.c.endAttempt(s.i, &a, pe, s.attemptUsage(false))
	endAttemptSpan(s.span, &a, nil)
	return pe
}

// closeAttempt stops the upstream stream and the attempt's timers.
func (s *streamState) closeAttempt() {
	if s.firstWait != nil {
		s.firstWait.Stop()
	}
	if s.idle != nil {
		s.idle.stop()
	}
	if s.inner != nil {
		safeClose(s.inner)
	}
	s.stop(nil)
}

func (s *streamState) attemptRecord() AttemptRecord {
	d := s.d
	return AttemptRecord{Deployment: d.Name, Provider: d.provider, Model: d.UpstreamModel(),
		Start: s.start, Duration: s.c.r.now().Sub(s.start), TTFT: s.ttft, Orphaned: s.orphaned}
}

// attemptUsage is the usage the provider reported, or, for a stream that
// produced output without reporting usage, an estimate.
func (s *streamState) attemptUsage(delivered bool) Usage {
	if s.hasUsage {
		return s.usage
	}
	if !delivered && s.outBytes == 0 {
		return Usage{}
	}
	return Usage{InputTokens: s.c.estInput, OutputTokens: estimateTextTokens(s.outBytes), Estimated: true}
}

// next advances the stream by one chunk.
func (s *streamState) next() bool {
	if s.done {
		return false
	}
	if s.pending {
		s.pending = false
		return true
	}
	ok, pe := s.read()
	if ok {
		return true
	}
	s.end(pe, "")
	return false
}

// Next advances to the next chunk and reports whether there is one.
func (h *Stream) Next() bool {
	ok := h.st.next()
	if !ok {
		h.cleanup.Stop()
	}
	runtime.KeepAlive(h) // the cleanup must not run while the state is in use
	return ok
}

// Current returns the chunk Next advanced to. The chunk is the caller's to
// keep.
func (h *Stream) Current() Chunk { return h.st.cur }

// Err returns the error that ended the stream, or nil at a clean end. A
// failure after content was sent is a *StreamError.
func (h *Stream) Err() error { return h.st.err }

// Close ends the stream, stopping the upstream call if it is still running,
// settles the request's quota and writes its lineage record. It is safe to
// call more than once and returns nil.
func (h *Stream) Close() error {
	h.cleanup.Stop()
	if !h.st.done {
		h.st.end(nil, OutcomeClosed)
	}
	runtime.KeepAlive(h)
	return nil
}

// Usage returns the usage of the whole request once the stream has ended
// (estimated, with Usage.Estimated, when the provider reported none).
func (h *Stream) Usage() Usage { return h.st.final }

// Cost returns the request's cost in US dollars once the stream has ended.
func (h *Stream) Cost() float64 { return h.st.cost }

// Deployment names the deployment serving the stream, from the moment
// ChatStream returns it.
func (h *Stream) Deployment() string { return h.st.deployment }

// RequestID returns the request's id, as in its lineage record.
func (h *Stream) RequestID() string { return h.st.requestID }

// end finishes the stream once: the attempt, the quota, the lineage record.
// how is the outcome when the caller ended it early (closed, or abandoned
// by dropping it); "" when it ended by itself.
func (s *streamState) end(pe *ProviderError, how Outcome) {
	s.done = true
	s.cur = Chunk{}
	c := s.c
	s.closeAttempt()
	a := s.attemptRecord()
	u := s.attemptUsage(true)
	if how == OutcomeAbandoned && !s.hasUsage {
		// The caller may have read more than this stream counted.
		u.Estimated = true
	}
	c.endAttempt(s.i, &a, pe, u)
	endAttemptSpan(s.span, &a, nil)
	var err error
	if pe != nil {
		err = &StreamError{Deployment: s.d.Name, Usage: u, Err: pe}
		s.err = err
	}
	s.final, s.cost = c.rec.Usage, c.cost
	if s.d != nil {
		s.dropped = c.req.ForeignReasoning(s.d.provider)
	}
	if how != "" && s.finish == "" {
		c.rec.Outcome = how
	}
	if c.r.capture {
		c.content.Output, c.content.Truncated = string(s.output), s.truncated
	}
	c.finish(nil, err)
	s.c = nil
}
