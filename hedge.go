package llmrouter

import (
	"errors"
	"time"
)

// Hedge configures hedged requests on a route. A whole-answer request whose
// first attempt has not answered after Delay, or a stream whose first
// attempt has not produced its first visible chunk (text, reasoning or a
// tool-call delta) by then, is sent to the route's next usable candidate
// as well (the one the route would fail over to, every policy rechecked,
// its call slot taken against the deployment's own limits). The first
// success — for a stream, the first visible chunk — wins and the other
// attempt is stopped; a stream is never hedged after its first visible
// chunk. Both attempts are in the lineage record (the loser as canceled,
// with Code HedgeLost) and count against MaxAttempts. The request's quota
// settles, for a whole answer, at no less than its reservation, since the
// stopped provider may have produced and billed the whole answer; for a
// stream, at the usage each attempt reported (a stream stopped before its
// first chunk that reported nothing is charged nothing: a reasoning model's
// hidden reasoning before it is not known). Only the first attempt of a
// request is hedged, and only on providers that honour their context
// (ContextHonoring). The zero value turns hedging off.
//
// Hedging trades extra calls for tail latency: hedge at about the
// deployments' p95 (AtP95 follows it as it moves; Router.Stats shows it).
// The delay is waited on a timer, in real time like the breakers, not on
// the WithClock clock or the router's retry sleep; tests run hedged routes
// in a testing/synctest bubble.
type Hedge struct {
	// Delay before the second attempt. Zero: no hedging.
	Delay time.Duration
	// AtP95, when set, waits instead for the first deployment's running
	// 95th percentile of whole-answer durations (DeploymentStats.AnswerP95)
	// or, for streams, of times to the first visible chunk
	// (DeploymentStats.TTFTP95), and Delay only until that deployment has
	// answered once.
	AtP95 bool
	// MaxExtra caps hedges at this share of the route's hedgeable
	// requests, whole and streamed together: each adds MaxExtra to a bucket (holding at most 10) and a
	// hedge takes 1 from it. Zero means 0.05.
	MaxExtra float64
	// Tools allows hedging requests that offer tools. Off by default:
	// tools with side effects that a provider runs during the call (its
	// own search or code execution, remote tool servers) would run twice.
	// Only the winner's answer, and so its tool calls, reaches the caller.
	Tools bool
}

// HedgeLost is the AttemptRecord.Code of an attempt the router stopped
// because the other attempt of a hedged request answered first (its Kind
// is KindCanceled).
const HedgeLost = "hedge_lost"

// hedgeBucketCap bounds the hedging budget's bucket, so that a long quiet
// spell does not allow a burst of hedges.
const hedgeBucketCap = 10

func (h Hedge) withDefaults() Hedge {
	if h.Delay > 0 && h.MaxExtra == 0 {
		h.MaxExtra = 0.05
	}
	return h
}

func (h Hedge) valid() bool { return h.Delay >= 0 && h.MaxExtra >= 0 && h.MaxExtra <= 1 }

// hedgeState is what a hedged request holds while two attempts are in
// flight, for releaseAll to find: the first attempt's call slot (c.held
// holds the second's).
type hedgeState struct {
	spare slot
}

// chatHedge is a hedged whole-answer request's state: both attempts and
// where they land. Allocated only for requests that may hedge.
type chatHedge struct {
	hedgeState
	a, b chatFlight
	done chan *chatFlight
}

// errNoHedge is next's answer, when picking a hedge, that no untried
// candidate is usable now.
var errNoHedge = errors.New("llmrouter: no candidate to hedge to")

// hedges reports whether the attempt about to start on member i may be
// hedged, and if so adds to the route's hedging budget.
func (c *call) hedges(i int) bool {
	h := &c.rt.hedge
	if h.Delay <= 0 || c.attempts > 0 || len(c.rt.members) < 2 ||
		!c.rt.members[i].honorsCtx || (len(c.req.Tools) > 0 && !h.Tools) {
		return false
	}
	casFloat(&c.rt.hedgeTokens, func(v float64) float64 { return min(v+h.MaxExtra, hedgeBucketCap) })
	return true
}

// takeHedge takes a hedge from the route's budget, if it holds one.
func (rt *route) takeHedge() bool {
	for {
		old := rt.hedgeTokens.Load()
		v := loadFloat(&rt.hedgeTokens)
		if v < 1 {
			return false
		}
		if rt.hedgeTokens.CompareAndSwap(old, floatBits(v-1)) {
			return true
		}
	}
}

// attemptHedged makes the first attempt on member i and, if it has not
// answered within the route's hedge delay, a second on the next usable
// candidate. It returns the answer and the member that gave it, or the
// error of the attempt the request goes on from (the other's failure has
// been acted on already; err, when set, ends the request).
func (c *call) attemptHedged(i int) (resp *Response, at int, pe *ProviderError, err error) {
	h := &chatHedge{done: make(chan *chatFlight, 2)}
	c.hedging = &h.hedgeState // releaseAll finds the spare slot here, whatever happens
	run := func(f *chatFlight) {
		f.resp, f.err = safeChat(f.ctx, f.d, c.req)
		h.done <- f
	}
	a, b := &h.a, &h.b
	defer func() {
		// Normally both have landed (and stopped) already; after a panic
		// of the router's own, this stops whatever is still running.
		for _, f := range [...]*chatFlight{a, b} {
			if f.stop != nil {
				f.stop()
			}
		}
	}()
	c.launchChat(i, a, true)
	h.spare, c.held = c.held, slot{}
	go run(a)
	timer := time.NewTimer(c.hedgeDelay(a.d, false))
	var first *chatFlight
	select {
	case first = <-h.done:
	case <-timer.C:
	case <-c.ctx.Done(): // a honours its context: it returns at once
	}
	timer.Stop()
	hedged := false
	if first == nil {
		if j, ok := c.pickHedge(); ok {
			c.launchChat(j, b, true)
			go run(b)
			hedged = true
		}
		first = <-h.done
	}
	if !hedged {
		resp, pe = c.landHedge(h, a, nil)
		return resp, i, pe, nil
	}
	second := a
	if first == a {
		second = b
	}
	if first.err == nil && first.resp != nil {
		second.stop()
		<-h.done
		c.orphans = true // the stopped call may still bill
		resp, pe = c.landHedge(h, first, nil)
		lost := &ProviderError{Provider: second.d.provider, Deployment: second.d.Name, Kind: KindCanceled,
			Code: HedgeLost, Message: "hedge: another attempt answered first"}
		c.landHedge(h, second, lost)
		if pe == nil {
			// The stopped attempt took at least this long for an answer
			// of about the winner's length: without it, a deployment that
			// hedges keep rescuing would never look slow.
			d := second.d
			d.stats.observeLatency(second.start, c.lastEnd-second.start.Sub(c.start), resp.Usage.OutputTokens, d.decay)
		}
		return resp, first.i, pe, nil
	}
	// The first to come back failed: the other may still answer.
	<-h.done
	_, pe1 := c.landHedge(h, first, nil)
	resp, pe = c.landHedge(h, second, nil)
	if pe == nil {
		return resp, second.i, nil, nil
	}
	return nil, second.i, pe, c.failed(first.i, pe1)
}

// pickHedge takes a call slot (in c.held) on the candidate a failover
// would go to, within the hedging budget. It never waits.
func (c *call) pickHedge() (int, bool) {
	if c.ctx.Err() != nil || !c.rt.takeHedge() {
		return -1, false
	}
	c.hedgePick = true
	j, err := c.next()
	c.hedgePick = false
	if err != nil {
		casFloat(&c.rt.hedgeTokens, func(v float64) float64 { return min(v+1, hedgeBucketCap) })
		return -1, false
	}
	if !c.rt.members[j].honorsCtx { // it could not be stopped
		c.held.release(&ProviderError{Kind: KindCanceled, Message: "hedge not sent"}, 0)
		return -1, false
	}
	return j, true
}

// landHedge lands f (see landWith).
func (c *call) landHedge(h *chatHedge, f *chatFlight, lost *ProviderError) (resp *Response, pe *ProviderError) {
	c.landWith(&h.hedgeState, f == &h.a, func() { resp, pe = c.landChat(f, lost) })
	return resp, pe
}

// landWith runs land, which lands one of a hedged request's attempts and
// releases the slot in c.held, with that attempt's slot there: the second
// attempt's is there already, the first's waits in the spare, which is
// empty afterwards.
func (c *call) landWith(h *hedgeState, first bool, land func()) {
	if !first {
		land()
		return
	}
	c.held, h.spare = h.spare, c.held
	land()
	c.held, h.spare = h.spare, slot{}
}
