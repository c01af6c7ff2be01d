package llmrouter

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.opentelemetry.io/otel/trace"
)

// call is one request's state, from Chat or ChatStream to its lineage
// record. Calls are pooled, with room inline for the usual route, so that a
// request allocates almost nothing of its own; a call is cleared and reused
// once its record has been written.
type call struct {
	callState
	hasher *promptHasher // made by the first PromptHash, kept across reuse
	// ids holds request ids made ahead, idsAhead in one string (one
	// allocation for several requests): each request takes the first.
	ids string
	// lastGen and lastRoute are the route the call's previous request
	// resolved, in that configuration version: a request for the same
	// route skips the map lookup (callers tend to send one route).
	lastGen   *generation
	lastRoute *route
	// lastBuckets are the memory-store buckets the previous request
	// reserved in, per quota rule (the first len of them): a request of the
	// same tenant goes straight to its bucket, without hashing its key and
	// finding it in a shard (MemoryQuotaStore.reserve).
	lastBuckets [2]*bucket

	// Inline room for the usual request: a route of up to four deployments,
	// two attempts, five policies, two quota rules. Larger ones spill to the
	// heap. (Sized so that a call, with the 8-byte header the runtime puts
	// before objects over 512 bytes that hold pointers, fits the 2,304-byte
	// size class: an in-flight request must hold little memory.)
	candBuf  [4]CandidateRecord
	attBuf   [2]AttemptRecord
	polBuf   [5]string
	triesBuf [4]uint8
	// routeFrom counts the failures before the current route, those of
	// the routes left behind (here, not in callState, it fills padding;
	// release resets it).
	routeFrom int32
	holdBuf   [4]int64
	resBuf    [2]Reservation
	pickBuf   [4]Candidate
	idxBuf    [4]int32
}

// callState is the part of a call cleared wholesale between requests; the
// inline buffers are cleared only as far as they were used.
type callState struct {
	r      *generation
	parent context.Context // the caller's context
	ctx    context.Context // parent, bounded by Timeouts.Total, in the router span
	cancel context.CancelFunc
	req    *Request
	rt     *route
	start  time.Time
	needs  Capabilities
	// budgetOut: a retry was refused by the retry budget. stream: ChatStream.
	// (These small fields sit next to needs: no padding. The call's size
	// decides its allocation class, which call_size_test bounds.)
	budgetOut, stream bool
	waits             uint8 // sleeps for a cooldown, at most maxWaits per route
	hedgePick         bool  // next is picking a hedge: untried candidates, no waiting
	fallbacks         uint8 // fallback routes moved to (Request.Fallback)
	fbKind            uint8 // 1+the Kind whose Route.FallbackOn list the request took; 0: none
	reasoning         bool  // a message carries reasoning blocks (set by prepare)
	// fixedOnly: every policy in force was answered in New (no policies
	// of the tenant's or the request's), set by prepare.
	fixedOnly bool
	span      trace.Span

	tenantPolicies []Policy
	estInput       int   // estimated input tokens
	estOutput      int   // output tokens reserved
	estMicroUSD    int64 // most the request may cost
	permit               // every slot the request holds

	attempts  int
	tries     []uint8       // calls per route member
	hold      []int64       // per route member: not before this router-clock time (a Retry-After)
	minWindow int           // after a context-length failure: windows must exceed it
	invalid   *RequestError // a nil request or context, found by begin
	until     int64         // set by try: when a refused member may be usable
	hedging   *hedgeState
	pickNow   int64         // router-clock Unix ns of the pick in progress
	lastEnd   time.Duration // the end of the last attempt, since start, when nothing came after (0: none)
	failures  []*ProviderError
	bo        *backoff.ExponentialBackOff

	served  *deployment
	cost    float64 // of rec.Usage, which sums the attempts' usage (rec.ServedBy, too, is set as attempts go)
	content Content
	rec     Record
}

// begin takes a call from the pool and starts the request.
func (r *generation) begin(ctx context.Context, req *Request, stream bool) *call {
	c := r.calls.Get().(*call)
	if req == nil {
		req, c.invalid = &Request{}, &RequestError{Field: "Request", Reason: "nil: pass a *Request"}
	}
	if ctx == nil {
		ctx, c.invalid = context.Background(), &RequestError{Field: "ctx", Reason: "nil context: pass context.Background() or a request's context"}
	}
	c.r, c.parent, c.ctx, c.req, c.stream = r, ctx, ctx, req, stream
	if r.realClock {
		c.start = wallNow()
	} else {
		c.start = r.now()
	}
	c.rec.Candidates = c.candBuf[:0]
	c.rec.Attempts = c.attBuf[:0]
	c.rec.Policies = c.polBuf[:0]
	c.res = c.resBuf[:0]
	c.rec.RequestID = req.ID
	c.rec.ConfigVersion = r.version.ID
	if c.rec.RequestID == "" {
		if len(c.ids) == 0 {
			c.ids = newRequestIDs()
		}
		c.rec.RequestID, c.ids = c.ids[:requestIDLen], c.ids[requestIDLen:]
	}
	c.startSpan()
	if m := r.metrics; m != nil {
		m.inFlight.Add(ctx, 1)
	}
	return c
}

// wallAnchor is a recent time.Now reading, which wallNow extends by the
// monotonic clock; renewed after anchorFor.
var wallAnchor atomic.Pointer[time.Time]

// anchorFor is how long wallNow extends one wall-clock reading: its times
// follow a step of the system clock (an NTP correction) at most this late.
const anchorFor = time.Second

// wallNow is time.Now (wall and monotonic reading) for one clock read
// instead of two: the monotonic time since a recent wall-clock reading,
// added to it. The request's start is read so (the default clock only).
func wallNow() time.Time {
	if a := wallAnchor.Load(); a != nil {
		if d := time.Since(*a); d >= 0 && d < anchorFor {
			return a.Add(d)
		}
	}
	t := time.Now()
	wallAnchor.Store(&t)
	return t
}

// elapsed returns the time since the request's start, read as now does.
func (c *call) elapsed() time.Duration {
	if c.r.realClock {
		return time.Since(c.start)
	}
	return c.r.now().Sub(c.start)
}

// now reads the router's clock during the request. With the default
// clock it reads the monotonic clock alone and adds the time since the
// request's start to c.start: one clock read instead of time.Now's two (a
// wall and a monotonic one, ~50 ns each where the clock is not read in
// user space, as on many VMs), and durations immune to wall-clock steps.
func (c *call) now() time.Time {
	if c.r.realClock {
		return c.start.Add(time.Since(c.start))
	}
	return c.r.now()
}

// release clears the call and returns it to the pool.
func (c *call) release() {
	r := c.r
	// candBuf, polBuf and pickBuf hold only names and pointers into the
	// router (and policy names), overwritten before they are read again:
	// left as they are, as is resBuf, which settleQuota clears of the
	// request's own strings. Attempts may hold error texts (Error, Code):
	// those are cleared; the rest of an attempt record is the router's
	// names, the time and counts, overwritten whole by the next attempt.
	for i := range c.attBuf[:min(len(c.rec.Attempts), len(c.attBuf))] {
		a := &c.attBuf[i]
		a.Error, a.Code = "", ""
	}
	c.callState = callState{}
	c.routeFrom = 0
	r.calls.Put(c)
}

// requestIDLen is the length of a request id: 128 bits in
// lowercase hex.
const requestIDLen = 32

// idsAhead is how many request ids newRequestIDs makes at once. They share
// one string, so a request id kept after its request keeps this many ids'
// memory (128 bytes) alive, and each pooled call holds up to that much
// (an in-flight request must hold little memory: TestTenThousandConcurrentStreams):
// a bound, for one allocation per 4 requests instead of one per request.
const idsAhead = 4

// newRequestIDs returns idsAhead request ids, concatenated: built on the
// stack, so that the string is the only allocation. Each id is 64 random
// bits and a 64-bit number drawn at random for the batch plus the id's
// place in it: ids of one batch differ in that half, and two batches
// share an id only if they draw the same 128 bits (one draw per id
// instead of two).
func newRequestIDs() string {
	var b [idsAhead * requestIDLen]byte
	base := rand.Uint64()
	for i := 0; i < len(b); i += requestIDLen {
		x, y := rand.Uint64(), base+uint64(i)
		binary.LittleEndian.PutUint64(b[i:], hexDigits(uint32(x)))
		binary.LittleEndian.PutUint64(b[i+8:], hexDigits(uint32(x>>32)))
		binary.LittleEndian.PutUint64(b[i+16:], hexDigits(uint32(y)))
		binary.LittleEndian.PutUint64(b[i+24:], hexDigits(uint32(y>>32)))
	}
	return string(b[:])
}

// hexDigits spreads the 8 nibbles of x over the 8 bytes of the result,
// lowest first, as lowercase hex digits: without a loop or a table, for
// the request id (the digits' order does not matter: ids are compared, not read
// as numbers).
func hexDigits(x uint32) uint64 {
	v := uint64(x)
	v = (v | v<<16) & 0x0000ffff0000ffff
	v = (v | v<<8) & 0x00ff00ff00ff00ff
	v = (v | v<<4) & 0x0f0f0f0f0f0f0f0f
	// Each byte holds a nibble n: '0'+n, plus 'a'-'0'-10 = 39 when n > 9
	// (n+6 carries into bit 4 exactly then).
	letters := (v + 0x0606060606060606) >> 4 & 0x0101010101010101
	return v + 0x3030303030303030 + letters*39
}

// prepare validates and resolves the request, filters its candidates
// through every policy, and admits it against quotas.
func (c *call) prepare() error {
	// The usual request takes the straight path; what only some requests
	// have (fallbacks, their own timeouts or policies, long routes) is
	// handled out of line, keeping this path's code short.
	req := c.req
	if c.invalid != nil {
		return c.invalid
	}
	scan, err := req.scan() // Validate, measuring the request on the way
	if err != nil {
		return err
	}
	rt := c.lastRoute
	if c.lastGen != c.r || rt.name != req.Model {
		if rt = c.r.routes[req.Model]; rt == nil {
			return unknownRoute("Model", req.Model)
		}
		c.lastGen, c.lastRoute = c.r, rt
	}
	c.rt = rt
	if req.Fallback != nil {
		if err := c.r.checkFallbacks(req); err != nil {
			return err
		}
	}
	if req.Timeouts != nil || c.r.timeouts.Total > 0 {
		c.startTotalTimeout()
	}
	c.needs, c.reasoning = req.needsWith(c.stream, scan.needs), scan.reasoning
	c.estInput, c.estOutput = c.r.estimateScanned(req, &scan)
	c.rec.Prompt = PromptInfo{Messages: len(req.Messages), Bytes: scan.bytes, Tokens: c.estInput}
	c.rec.Policies = append(c.rec.Policies, c.r.policyNames...)
	if c.r.tenantPolicies != nil || req.Policies != nil {
		c.addOwnPolicies()
	}
	c.fixedOnly = len(c.r.policies) == c.r.fixedPolicies && len(c.tenantPolicies) == 0 && len(req.Policies) == 0
	c.enterRoute(rt)
	// Admitted once for every route the request may take: the estimate is
	// the most any allowed member, or any fallback deployment, could cost.
	if c.allOpen() {
		// The usual request: every member is allowed, as New found.
		bounds := rt.withFallbacks // Route.Fallback, Route.FallbackOn
		if req.Fallback != nil {
			bounds = rt.memberPrices
		}
		c.estMicroUSD = maxEstimate(bounds, c.estInput, c.estOutput)
	} else if err := c.filterMembers(); err != nil {
		return err
	}
	if req.Fallback != nil {
		c.estimateFallbacks()
	}
	return c.admit()
}

// startTotalTimeout bounds the request by its total timeout, if any.
func (c *call) startTotalTimeout() {
	if t := c.timeouts().Total; t > 0 {
		c.ctx, c.cancel = context.WithTimeout(c.ctx, t)
	}
}

// addOwnPolicies takes the tenant's policies (WithTenantPolicies) and
// records their names and those of the request's own after the router's.
func (c *call) addOwnPolicies() {
	if c.r.tenantPolicies != nil {
		c.tenantPolicies = c.r.tenantPolicies[c.req.Tenant]
	}
	for _, list := range [...][]Policy{c.tenantPolicies, c.req.Policies} {
		for _, p := range list {
			c.rec.Policies = append(c.rec.Policies, p.Name)
		}
	}
}

// enterRoute puts the request on route rt (its own, or a fallback): rt's
// candidates join the record, and its per-member counts start at zero, in
// the inline buffers when they fit.
func (c *call) enterRoute(rt *route) {
	c.rt = rt
	c.rec.Candidates = append(c.rec.Candidates, rt.candidates...)
	if n := len(rt.members); n <= len(c.triesBuf) {
		c.triesBuf, c.holdBuf = [len(c.triesBuf)]uint8{}, [len(c.holdBuf)]int64{} // whole: fixed-size stores
		c.tries, c.hold = c.triesBuf[:n], c.holdBuf[:n]
	} else {
		c.tries, c.hold = make([]uint8, n), make([]int64, n)
	}
}

// estimateFallbacks raises the request's most cost to what any deployment
// of its Request.Fallback routes could cost.
func (c *call) estimateFallbacks() {
	for _, name := range c.req.Fallback {
		c.estMicroUSD = max(c.estMicroUSD, maxEstimate(c.r.routes[name].memberPrices, c.estInput, c.estOutput))
	}
}

// allOpen reports whether the request allows every member of its route
// unchecked: no policies left to run on it (fixedOnly), members that New
// allowed and that declare no capabilities (route.open), and no need of
// embeddings (which a provider serves or not, whatever it declares).
func (c *call) allOpen() bool {
	return c.fixedOnly && c.rt.open && c.needs&CapEmbeddings == 0
}

// filterMembers runs the capability check and every policy on each member
// of the route, recording refusals, and estimates the request's cost on
// the members allowed and the route's fallbacks.
func (c *call) filterMembers() error {
	allowed := 0
	for i, d := range c.rt.members {
		if policy, reason, ok := c.allows(d); ok {
			allowed++
			c.estMicroUSD = max(c.estMicroUSD, d.Price.estimateMicroUSD(c.estInput, c.estOutput))
		} else {
			cr := c.cand(i)
			cr.Status, cr.Policy, cr.Reason = CandidateRefused, policy, reason
		}
	}
	if allowed == 0 {
		return c.routeError(ErrPolicyDenied)
	}
	if c.req.Fallback == nil {
		c.estMicroUSD = max(c.estMicroUSD, maxEstimate(c.rt.fallbackPrices, c.estInput, c.estOutput))
	}
	return nil
}

// timeouts returns the request's timeouts: the router's, with the
// request's non-zero overrides (Request.Timeouts).
func (c *call) timeouts() Timeouts {
	t := c.r.timeouts
	if o := c.req.Timeouts; o != nil {
		overTimeouts(&t, o)
	}
	return t
}

// maxAttempts returns the request's attempt cap: the router's, or the
// request's when it is lower (Request.MaxAttempts).
func (c *call) maxAttempts() int {
	if m := c.req.MaxAttempts; m > 0 && m < c.r.retry.MaxAttempts {
		return m
	}
	return c.r.retry.MaxAttempts
}

// cand returns the lineage record of member i of the current route: the
// current route's candidates are the last ones recorded (a fallback
// route's follow those of the routes before it).
func (c *call) cand(i int) *CandidateRecord {
	return &c.rec.Candidates[len(c.rec.Candidates)-len(c.rt.members)+i]
}

// builtinCapabilityCheck names the router's own capability check in lineage.
const builtinCapabilityCheck = "capabilities"

// allows runs the capability check and every policy for d, returning the
// first refusal. The usual answer, with every policy answered in New, is
// small enough to inline.
func (c *call) allows(d *deployment) (policy, reason string, ok bool) {
	if c.fixedOnly && d.refusedBy == "" && (d.Capabilities == 0 || d.Capabilities.Has(c.needs)) && (c.needs&CapEmbeddings == 0 || d.embeds) {
		return "", "", true
	}
	return c.allowsSlow(d)
}

// allowsSlow is allows when policies remain to run, or d is refused.
func (c *call) allowsSlow(d *deployment) (policy, reason string, ok bool) {
	if d.Capabilities != 0 && !d.Capabilities.Has(c.needs) {
		return builtinCapabilityCheck, "lacks " + (c.needs &^ d.Capabilities).lowest().String(), false
	}
	if c.needs&CapEmbeddings != 0 && !d.embeds {
		return builtinCapabilityCheck, "provider serves no embeddings", false
	}
	if d.refusedBy != "" {
		return d.refusedBy, d.refusal, false
	}
	if c.fixedOnly {
		return "", "", true // every policy in force was answered in New
	}
	return c.checkPolicies(d)
}

// checkPolicies runs the policies not answered in New for d, returning the
// first refusal.
func (c *call) checkPolicies(d *deployment) (policy, reason string, ok bool) {
	var p *Policy // the policy running, named if it panics
	defer func() {
		if v := recover(); v != nil {
			// A policy that panics refuses: governance fails closed.
			policy, reason, ok = p.Name, inPolicy+" panicked", false
		}
	}()
	for _, list := range [...][]Policy{c.r.policies[c.r.fixedPolicies:], c.tenantPolicies, c.req.Policies} {
		for k := range list {
			p = &list[k]
			if ok, reason := p.Check(c.req, &d.Deployment); !ok {
				return p.Name, reason, false
			}
		}
	}
	return "", "", true
}

// routeError builds the *RouteError ending the request with cause.
func (c *call) routeError(cause error) *RouteError {
	e := &RouteError{Route: c.req.Model, Err: cause, Attempts: c.failures}
	for _, cr := range c.rec.Candidates {
		if cr.Status == CandidateRefused || cr.Status == CandidateSkipped {
			e.Skipped = append(e.Skipped, Skip{Deployment: cr.Deployment, Policy: cr.Policy, Reason: cr.Reason})
		}
	}
	return e
}
