package llmrouter

import (
	"context"
	"sync"
	"sync/atomic"
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
// stream ends or is closed; Close must be called if the stream is not read
// to its end. A Stream is not safe for concurrent use; cancel the context
// given to ChatStream to stop it from another goroutine.
type Stream struct {
	c     *call
	i     int // route member serving the stream
	d     *deployment
	inner ChunkStream
	ctx   context.Context // the attempt's
	stop  context.CancelCauseFunc
	span  trace.Span

	cur     Chunk
	pending bool // cur holds the first visible chunk, not yet returned
	done    bool
	err     error

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
}

// openStream prepares the request and opens streams until one produces
// visible content.
func (c *call) openStream() (*Stream, error) {
	if err := c.prepare(); err != nil {
		return nil, err
	}
	s := &Stream{c: c, requestID: c.rec.RequestID}
	for {
		i, err := c.next()
		if err != nil {
			return nil, err
		}
		pe := s.open(i)
		if pe == nil {
			return s, nil
		}
		if err := c.failed(i, pe); err != nil {
			return nil, err
		}
	}
}

// open makes one streaming attempt on member i and reads it up to its first
// visible chunk, or to the end of a complete empty answer. Chunks before
// that carry nothing to show and are held back (their usage is kept).
func (s *Stream) open(i int) *ProviderError {
	c := s.c
	d := c.rt.members[i]
	resend := int(c.tries[i])
	c.attempts++
	c.tries[i]++
	*s = Stream{c: c, i: i, d: d, requestID: s.requestID, output: s.output[:0]}
	s.start = c.r.now()
	ctx, stop := context.WithCancelCause(c.ctx)
	s.ctx, s.stop = ctx, stop
	s.ctx, s.span = c.startAttemptSpan(s.ctx, d, resend)
	if t := c.r.timeouts.FirstToken; t > 0 {
		s.firstWait = time.AfterFunc(t, func() { stop(errFirstToken) })
	}
	inner, err := safeStream(s.ctx, d, c.req)
	if err == nil && inner == nil {
		err = &ProviderError{Provider: d.provider, Deployment: d.Name, Kind: KindMalformed, Message: "provider returned neither a stream nor an error"}
	}
	if err != nil {
		return s.abandon(c.classify(err, s.ctx, d))
	}
	s.inner = inner
	for {
		ok, pe := s.read()
		if pe != nil {
			return s.abandon(pe)
		}
		if !ok {
			return s.abandon(&ProviderError{Provider: d.provider, Deployment: d.Name, Kind: KindMalformed,
				Message: "stream ended before any content or finish reason"})
		}
		if s.cur.visible() || s.finish != "" {
			break
		}
	}
	if s.firstWait != nil {
		s.firstWait.Stop()
	}
	s.pending = true
	s.ttft = c.r.now().Sub(s.start)
	c.rec.TTFT = c.r.now().Sub(c.start)
	cr := &c.rec.Candidates[i]
	cr.Status, cr.Policy, cr.Reason = CandidateChosen, "", ""
	c.served = d
	if t := c.r.timeouts.Idle; t > 0 {
		s.idle = watchIdle(t, stop)
	}
	return nil
}

// read advances the upstream stream by one chunk into s.cur. It returns
// false at its end, with the attempt's classified error if it failed (a
// clean end without a finish reason is a failure too).
func (s *Stream) read() (bool, *ProviderError) {
	if s.idle != nil {
		s.idle.progress.Add(1) // odd: waiting on the upstream
	}
	ok, perr := safeNext(s.inner, s.d)
	if s.idle != nil {
		s.idle.progress.Add(1)
	}
	if perr != nil {
		return false, perr
	}
	if !ok {
		if err := s.inner.Err(); err != nil {
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
	s.cur = s.inner.Current()
	if u := s.cur.Usage; u != nil {
		s.usage, s.hasUsage = *u, true
	}
	if s.cur.ServedBy != "" {
		s.c.servedBy = s.cur.ServedBy
	}
	if rl := s.cur.RateLimit; rl != nil {
		s.d.steer(rl, s.c.r.now())
	}
	if s.cur.FinishReason != "" {
		s.finish = s.cur.FinishReason
	}
	s.outBytes += len(s.cur.Text) + len(s.cur.Reasoning)
	for j := range s.cur.ToolCalls {
		s.outBytes += len(s.cur.ToolCalls[j].Arguments)
	}
	if s.c.r.capture {
		s.output = append(s.output, s.cur.Text...)
	}
	return true, nil
}

// safeNext calls Next, recovering a panic into a *ProviderError.
func safeNext(cs ChunkStream, d *deployment) (ok bool, pe *ProviderError) {
	defer func() {
		if v := recover(); v != nil {
			ok, pe = false, panicError(d, v)
		}
	}()
	return cs.Next(), nil
}

// abandon ends a streaming attempt that failed before any visible content.
func (s *Stream) abandon(pe *ProviderError) *ProviderError {
	s.closeAttempt()
	a := s.attemptRecord()
	s.c.endAttempt(s.i, &a, pe, s.attemptUsage(false))
	endAttemptSpan(s.span, &a, nil)
	return pe
}

// closeAttempt stops the upstream stream and the attempt's timers.
func (s *Stream) closeAttempt() {
	if s.firstWait != nil {
		s.firstWait.Stop()
	}
	if s.idle != nil {
		s.idle.stop()
	}
	if s.inner != nil {
		_ = s.inner.Close()
	}
	s.stop(nil)
}

func (s *Stream) attemptRecord() AttemptRecord {
	d := s.d
	return AttemptRecord{Deployment: d.Name, Provider: d.provider, Model: d.UpstreamModel(),
		Start: s.start, Duration: s.c.r.now().Sub(s.start), TTFT: s.ttft}
}

// attemptUsage is the usage the provider reported, or, for a stream that
// produced output without reporting usage, an estimate.
func (s *Stream) attemptUsage(delivered bool) Usage {
	if s.hasUsage {
		return s.usage
	}
	if !delivered && s.outBytes == 0 {
		return Usage{}
	}
	return Usage{InputTokens: s.c.estInput, OutputTokens: estimateTextTokens(s.outBytes), Estimated: true}
}

// Next advances to the next chunk and reports whether there is one.
func (s *Stream) Next() bool {
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
	s.end(pe, false)
	return false
}

// Current returns the chunk Next advanced to.
func (s *Stream) Current() Chunk { return s.cur }

// Err returns the error that ended the stream, or nil at a clean end. A
// failure after content was sent is a *StreamError.
func (s *Stream) Err() error { return s.err }

// Close ends the stream, stopping the upstream call if it is still running,
// settles the request's quota and writes its lineage record. It is safe to
// call more than once and returns nil.
func (s *Stream) Close() error {
	if !s.done {
		s.end(nil, true)
	}
	return nil
}

// Usage returns the usage of the whole request once the stream has ended
// (estimated, with Usage.Estimated, when the provider reported none).
func (s *Stream) Usage() Usage { return s.final }

// Cost returns the request's cost in US dollars once the stream has ended.
func (s *Stream) Cost() float64 { return s.cost }

// Deployment names the deployment serving the stream.
func (s *Stream) Deployment() string { return s.deployment }

// RequestID returns the request's id, as in its lineage record.
func (s *Stream) RequestID() string { return s.requestID }

// end finishes the stream once: the attempt, the quota, the lineage record.
func (s *Stream) end(pe *ProviderError, closed bool) {
	s.done = true
	s.cur = Chunk{}
	c := s.c
	s.closeAttempt()
	a := s.attemptRecord()
	u := s.attemptUsage(true)
	c.endAttempt(s.i, &a, pe, u)
	endAttemptSpan(s.span, &a, nil)
	var err error
	if pe != nil {
		err = &StreamError{Deployment: s.d.Name, Usage: u, Err: pe}
		s.err = err
	}
	s.final, s.cost, s.deployment = c.usage, c.cost, s.d.Name
	if closed && s.finish == "" {
		c.rec.Outcome = OutcomeClosed
	}
	if c.r.capture {
		c.content.Output = string(s.output)
	}
	c.finish(nil, err)
	s.c = nil
}

// idleWatch ends a stream whose upstream produces nothing for its idle
// timeout. The reader bumps progress before and after each upstream Next
// (odd while it waits on the upstream, so a slow caller is never blamed); a
// timer ticking every quarter of the timeout checks it, so no timer is
// reset per chunk.
type idleWatch struct {
	progress atomic.Int64
	mu       sync.Mutex
	stopped  bool
	timer    *time.Timer
	last     int64
	since    time.Time
	timeout  time.Duration
	cancel   context.CancelCauseFunc
}

func watchIdle(timeout time.Duration, cancel context.CancelCauseFunc) *idleWatch {
	w := &idleWatch{timeout: timeout, cancel: cancel, since: time.Now()}
	w.mu.Lock() // tick reads w.timer
	w.timer = time.AfterFunc(timeout/4, w.tick)
	w.mu.Unlock()
	return w
}

func (w *idleWatch) tick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	now := time.Now()
	if p := w.progress.Load(); p != w.last || p%2 == 0 {
		w.last, w.since = p, now
	} else if now.Sub(w.since) >= w.timeout {
		w.cancel(errIdle)
		return
	}
	w.timer.Reset(w.timeout / 4)
}

func (w *idleWatch) stop() {
	w.mu.Lock()
	w.stopped = true
	w.timer.Stop()
	w.mu.Unlock()
}
