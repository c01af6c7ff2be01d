package llmrouter

import (
	"context"
	"errors"
	"time"
)

// Hedged streams. A stream is hedged only before its first visible chunk
// (text, reasoning or a tool-call delta): ChatStream returns once one
// attempt has produced one, and from then on the stream is that attempt's
// alone. The two attempts race on goroutines of their own, which read the
// call but never change it (streamState.reach); everything else — picking
// the hedge, landing each attempt, releasing its slot — happens on the
// caller's goroutine, which waits for both racers before it returns, so
// that no goroutine outlives ChatStream.

// streamHedge is what a hedged stream holds while its attempts race: the
// first attempt's call slot (hedgeState.spare; c.held holds the second's),
// the second attempt's state (the first's is the stream's own) and where
// the racers land. Allocated only for streams that may hedge.
type streamHedge struct {
	hedgeState
	b    streamState
	done chan raced
}

// raced is a racer's result: its state and, if it failed before its first
// visible chunk, its classified error.
type raced struct {
	s  *streamState
	pe *ProviderError
}

// errHedgeLost is the cause with which the router stops the attempt of a
// hedged stream that did not produce a visible chunk first.
var errHedgeLost = errors.New("hedge: another attempt answered first")

// openHedged makes the first streaming attempt on member i, in s, and, if
// it has not produced a visible chunk within the route's hedge delay, a
// second on the route's next usable candidate. The first to produce one
// (or to end a complete empty answer) serves the stream; the other is
// stopped and recorded as lost. It returns the serving state, or the error
// of the attempt the request goes on from and its member (the other's
// failure has been acted on already; err, when set, ends the request).
func (c *call) openHedged(s *streamState, i int) (win *streamState, at int, pe *ProviderError, err error) {
	h := &streamHedge{done: make(chan raced, 2)}
	c.hedging = &h.hedgeState // releaseAll finds the spare slot here, whatever happens
	a, b := s, &h.b
	b.c, b.requestID = c, s.requestID
	running := 0
	race := func(st *streamState) {
		running++
		go func() { h.done <- raced{st, st.reach()} }()
	}
	defer func() {
		// Normally both have landed already; after a panic of the
		// router's own, stop whatever still runs and wait for it.
		if running == 0 {
			return
		}
		for _, st := range [...]*streamState{a, b} {
			if st.stop != nil {
				st.stop(errHedgeLost)
			}
		}
		for ; running > 0; running-- {
			r := <-h.done
			r.s.closeAttempt()
		}
	}()
	a.launch(i)
	h.spare, c.held = c.held, slot{}
	race(a)
	timer := time.NewTimer(c.hedgeDelay(a.d, true))
	var first raced
	landed := false
	select {
	case first = <-h.done:
		landed = true
	case <-timer.C:
	case <-c.ctx.Done(): // a's context ends with it: a lands at once
	}
	timer.Stop()
	hedged := false
	if !landed {
		if j, ok := c.pickHedge(); ok {
			b.launch(j)
			race(b)
			hedged = true
		}
		first = <-h.done
	}
	running--
	if !hedged {
		c.keepSlotOf(h, a)
		if first.pe != nil {
			return nil, i, a.abandon(first.pe), nil
		}
		a.serve()
		return a, i, nil, nil
	}
	other := b
	if first.s == b {
		other = a
	}
	if first.pe == nil {
		other.stop(errHedgeLost) // it returns at once: it honours its context
	}
	second := <-h.done
	running--
	if first.pe != nil && second.pe == nil {
		first, second = second, first
	}
	if first.pe == nil {
		// first serves. The other is lost: stopped (or, reaching its first
		// chunk a moment too late, never delivered), unless it failed on
		// its own before it was stopped.
		lost, stopped := second.pe, errors.Is(context.Cause(second.s.ctx), errHedgeLost)
		if lost != nil && stopped {
			second.s.observeUnanswered()
		}
		if lost == nil || stopped {
			lost = &ProviderError{Provider: second.s.d.provider, Deployment: second.s.d.Name, Kind: KindCanceled,
				Code: HedgeLost, Message: errHedgeLost.Error(), Err: errHedgeLost}
		}
		c.landRacer(h, second.s, lost)
		c.keepSlotOf(h, first.s)
		first.s.serve()
		return first.s, first.s.i, nil, nil
	}
	// Both failed: the request goes on from the second, as from any
	// failed attempt.
	pe1 := c.landRacer(h, first.s, first.pe)
	pe = c.landRacer(h, second.s, second.pe)
	return nil, second.s.i, pe, c.failed(first.s.i, pe1)
}

// hedgeDelay is how long the first attempt on d runs alone: the route's
// Hedge.Delay or, with AtP95, d's running 95th percentile of time to the
// first visible chunk (streams) or of whole answers' durations, once
// measured.
func (c *call) hedgeDelay(d *deployment, stream bool) time.Duration {
	h := &c.rt.hedge
	if v := d.stats.hedgeP95(stream); h.AtP95 && v > 0 {
		return time.Duration(v)
	}
	return h.Delay
}

// landRacer ends a racer that does not serve: its upstream stopped, its
// slot released (see landWith), its attempt recorded with its usage (what
// it reported, else an estimate of the content it produced; nothing when
// it produced none and reported nothing). It returns pe.
func (c *call) landRacer(h *streamHedge, s *streamState, pe *ProviderError) *ProviderError {
	c.landWith(&h.hedgeState, s != &h.b, func() { s.abandon(pe) })
	return pe
}

// keepSlotOf leaves the slot of the serving racer s in c.held, where the
// stream releases it when it ends, and the spare empty.
func (c *call) keepSlotOf(h *streamHedge, s *streamState) {
	if s != &h.b {
		c.held = h.spare
	}
	h.spare = slot{}
}

// observeUnanswered records that the stopped racer s had not produced a
// visible chunk after running as long as it did: a lower bound on its time
// to first chunk, kept only when above the current estimate (below it, it
// says nothing: a hedge stopped soon after it started). Without it, a
// deployment whose streams hedges keep rescuing would never look slow.
func (s *streamState) observeUnanswered() {
	d := s.d
	waited := s.c.r.now().Sub(s.start)
	if peak, _ := d.stats.ttft.estimate(0, d.decay); float64(waited) > peak {
		d.stats.ttft.observe(float64(waited), s.start.UnixNano()+int64(waited), d.decay)
	}
}
