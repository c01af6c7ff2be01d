package llmrouter

import (
	"math"
	"sync/atomic"
	"time"
)

// Per-deployment statistics: what the latency- and cost-aware strategies
// read. Every attempt's end updates them with a few atomic
// compare-and-swaps and no lock, from the times the attempt already read
// (no clock read of their own); strategies read them through Candidate.
//
// Latency is a peak-EWMA (Finagle, Linkerd, tower): a sample above the
// estimate replaces it at once, a sample below moves it by the weight
// 1 - exp(-Δt/decay), Δt being the time since the previous sample. Readers
// see the estimate of a deployment with no call in flight decayed further
// toward zero for the time since, four times slower (idleDecay), so a
// deployment left alone for being slow is tried again now and then, one
// call at a time. Two
// series are kept, because they do not compare: time to first visible
// chunk for streams, and duration per output token for whole answers.

// DefaultStatsDecay is the decay of the per-deployment statistics when
// WithStatsDecay is not given.
const DefaultStatsDecay = 30 * time.Second

// errorWeightMin is the least weight a new attempt has in the error rate,
// so that the rate follows the last ~20 attempts when they come faster
// than the decay window (a deployment going down is noticed within a few
// calls).
const errorWeightMin = 1.0 / 20

// WithStatsDecay sets how fast the per-deployment statistics forget:
// latency, error rate and throughput are exponentially weighted over about
// this long, and PriceWeighted deprioritises deployments that failed within
// it. Zero means DefaultStatsDecay; it must not be negative.
func WithStatsDecay(d time.Duration) Option { return func(c *config) { c.statsDecay = d } }

// series is one latency estimate: a peak-EWMA in nanoseconds, two
// running quantiles (stepQuantile), and the time of its last sample.
type series struct {
	peak atomic.Uint64 // float64 bits
	// q holds two running quantiles as float32 bits, so that one
	// compare-and-swap moves both: the 90th percentile of the series'
	// samples (low half), and the 95th percentile of the wait they come
	// from (high half): the time to the first chunk itself for streams,
	// the whole answer's duration (not per token) for whole answers, the
	// hedge delay of Hedge.AtP95. A float32 keeps 24 bits, an error of
	// 6e-8 (8 ns in 100 ms), far under the 0.25% the smallest step moves.
	q  atomic.Uint64
	at atomic.Int64 // Unix ns
}

// observe adds the sample x (ns) taken at the time at (Unix ns) to the
// peak-EWMA and the 90th percentile, not to the 95th percentile of the
// wait: the samples of hedges that lost and of streams stopped unanswered,
// which bound a wait from below but do not measure one.
func (s *series) observe(x float64, at int64, decay float64) {
	last, w := s.advance(at, decay)
	s.movePeak(x, last, w)
	for {
		bits := s.q.Load()
		if s.q.CompareAndSwap(bits, bits&^math.MaxUint32|uint64(stepQuantile(uint32(bits), x, p90Up, p90Down))) {
			return
		}
	}
}

// observeWait is observe, adding wait (ns) to the 95th percentile as
// well.
func (s *series) observeWait(x float64, at int64, decay, wait float64) {
	last, w := s.advance(at, decay)
	s.movePeak(x, last, w)
	s.moveQuantiles(x, wait)
}

// advance moves the series' time to at, and returns its previous sample's
// time and the weight its estimate keeps for a sample taken at at.
func (s *series) advance(at int64, decay float64) (last int64, w float64) {
	last = s.at.Load()
	if at > last {
		s.at.Store(at)
	}
	return last, decayWeight(float64(max(at-last, 0)) / decay)
}

// movePeak moves the peak-EWMA toward x: to x at once when x is above it
// or the series had no sample (last is zero), else by the weight 1-w.
func (s *series) movePeak(x float64, last int64, w float64) {
	for {
		bits := s.peak.Load()
		old, v := math.Float64frombits(bits), x
		if x < old && last != 0 {
			v = old*w + x*(1-w)
		}
		if s.peak.CompareAndSwap(bits, math.Float64bits(v)) {
			return
		}
	}
}

// moveQuantiles moves the 90th percentile toward x and the 95th toward
// wait, in one compare-and-swap.
func (s *series) moveQuantiles(x, wait float64) {
	for {
		bits := s.q.Load()
		q := uint64(stepQuantile(uint32(bits>>32), wait, p95Up, p95Down))<<32 | uint64(stepQuantile(uint32(bits), x, p90Up, p90Down))
		if s.q.CompareAndSwap(bits, q) {
			return
		}
	}
}

// The factors of the running percentiles: a q-quantile estimate moves up
// by q×quantileStep (relative) for a sample above it, down by
// (1-q)×quantileStep for a sample below, which settles where a share 1-q
// of the samples lie above (stochastic-gradient quantile estimation, in
// log space so it has no unit).
const (
	quantileStep = 0.05
	p90Up        = 1 + 0.9*quantileStep
	p90Down      = 1 - 0.1*quantileStep
	p95Up        = 1 + 0.95*quantileStep
	p95Down      = 1 - 0.05*quantileStep
)

// stepQuantile moves the running quantile estimate old (float32 bits) toward
// the sample x by the factor up or down; the first sample (old zero) is
// taken as it is.
func stepQuantile(old uint32, x float64, up, down float32) uint32 {
	q := math.Float32frombits(old)
	switch {
	case old == 0:
		q = float32(x)
	case x > float64(q):
		q *= up
	default:
		q *= down
	}
	return math.Float32bits(q)
}

// idleDecay is how many decay windows it takes an idle deployment's
// latency estimate to fall by e, as it is read: a deployment left alone
// for being slow is tried again after a few windows (sooner the less slower
// it was), and each such probe is a slow answer for someone, so it must be
// rare.
const idleDecay = 4

// estimate returns the peak-EWMA decayed to now, and the 90th percentile;
// zeros before the first sample. A now of zero reads the estimate as last
// updated.
func (s *series) estimate(now int64, decay float64) (peak, p90 float64) {
	peak = loadFloat(&s.peak)
	if dt := now - s.at.Load(); now != 0 && dt > 0 && peak > 0 {
		peak *= decayWeight(float64(dt) / (idleDecay * decay))
	}
	return peak, float64(math.Float32frombits(uint32(s.q.Load())))
}

// p95 returns the running 95th percentile of the series' waits (see
// series.q); zero until measured.
func (s *series) p95() float64 {
	return float64(math.Float32frombits(uint32(s.q.Load() >> 32)))
}

// deploymentStats is what a deployment's attempts taught: latency, error
// rate, throughput and the last failure. Safe for concurrent use; no lock.
type deploymentStats struct {
	// ttft is of streams: time to the first visible chunk. Its p95 is the
	// hedge delay of Hedge.AtP95 for streams.
	ttft series
	// perToken is of whole answers: duration per output token. Its p95 is
	// of whole answers' durations, the hedge delay of Hedge.AtP95.
	perToken series
	errRate  atomic.Uint64 // float64 bits: EWMA of failed attempts (1) among all (0)
	tput     atomic.Uint64 // float64 bits: EWMA of output tokens per second
	at       atomic.Int64  // Unix ns of the last attempt's end
	failedAt atomic.Int64  // Unix ns of the last failure's end; 0: none
}

// hedgeP95 is the hedge delay of Hedge.AtP95: the running 95th percentile
// of streams' times to the first visible chunk, or of whole answers'
// durations; zero until measured.
func (st *deploymentStats) hedgeP95(stream bool) float64 {
	if stream {
		return st.ttft.p95()
	}
	return st.perToken.p95()
}

// observe records one attempt that began at start, produced its first
// visible chunk ttft later (zero: not a stream, or none) and ended after
// dur, with out output tokens; failed says whether it failed in a way that
// says something about the deployment. decay is in nanoseconds.
//
// Its common case, a whole answer that succeeded while the error rate is
// zero and the per-token series' last sample is the deployment's last
// attempt (so that both decay by the same weight), less than decayNearMax
// windows ago, calls nothing but moveQuantiles, last: two stores of the
// time and three compare-and-swaps (the peak, both quantiles, the
// throughput). observeSlow does the rest.
func (st *deploymentStats) observe(start time.Time, dur, ttft time.Duration, out int, failed bool, decay float64) {
	end := start.UnixNano() + int64(dur)
	last := st.at.Load()
	if end > last {
		st.at.Store(end)
	}
	s := &st.perToken
	sLast := s.at.Load()
	dt := float64(max(end-last, 0)) / decay
	w := decayNear(dt)
	sw := w // the series' weight: the same Δt, as sLast is last
	if failed || ttft > 0 || out <= 0 || dt >= decayNearMax || sLast != last || st.errRate.Load() != 0 {
		var whole bool
		if w, sw, whole = st.observeSlow(start, end, last, sLast, dur, ttft, out, failed, decay); !whole {
			return
		}
	}
	// A whole answer that succeeded: its duration per token, its rate.
	if end > sLast {
		s.at.Store(end)
	}
	x := float64(dur) / float64(out)
	s.movePeak(x, sLast, sw)
	if dur > 0 {
		st.moveThroughput(float64(out)*1e9/float64(dur), w)
	}
	s.moveQuantiles(x, float64(dur))
}

// observeSlow is observe past its common case; end is the attempt's end,
// last the deployment's previous one and sLast the per-token series'
// last sample. It records the error rate and streams, and returns whether
// the attempt is a whole answer that succeeded, which observe then
// records with the weights w (of the deployment's Δt) and sw (of the
// series').
func (st *deploymentStats) observeSlow(start time.Time, end, last, sLast int64, dur, ttft time.Duration, out int, failed bool, decay float64) (w, sw float64, whole bool) {
	w = decayWeight(float64(max(end-last, 0)) / decay)
	if failed || st.errRate.Load() != 0 { // a success leaves a zero rate at zero: no write
		st.observeError(end, w, failed)
	}
	if ttft > 0 {
		st.observeStream(start, dur, ttft, out, failed, w, decay)
		return w, w, false
	}
	if failed || out <= 0 {
		return w, w, false
	}
	sw = w // the same Δt unless other attempts ended since the series' last sample
	if sLast != last {
		sw = decayWeight(float64(max(end-sLast, 0)) / decay)
	}
	return w, sw, true
}

// observeError moves the error rate toward 1 for a failed attempt, toward
// 0 for another, by the weight 1-w (at least errorWeightMin), and records
// when the deployment last failed.
func (st *deploymentStats) observeError(end int64, w float64, failed bool) {
	fail := 0.0
	if failed {
		fail = 1
		if end > st.failedAt.Load() {
			st.failedAt.Store(end)
		}
	}
	we := min(w, 1-errorWeightMin)
	for {
		bits := st.errRate.Load()
		if st.errRate.CompareAndSwap(bits, math.Float64bits(math.Float64frombits(bits)*we+fail*(1-we))) {
			return
		}
	}
}

// observeStream is observe for a stream that produced a visible chunk:
// its time to that chunk, and its rate after it.
func (st *deploymentStats) observeStream(start time.Time, dur, ttft time.Duration, out int, failed bool, w, decay float64) {
	x := float64(ttft)
	st.ttft.observeWait(x, start.UnixNano()+int64(ttft), decay, x)
	if failed || out <= 0 {
		return
	}
	if gen := dur - ttft; gen > 0 {
		st.moveThroughput(float64(out)/gen.Seconds(), w)
	}
}

// moveThroughput moves the throughput EWMA toward rate by the weight 1-w
// (to rate at once for the first).
func (st *deploymentStats) moveThroughput(rate, w float64) {
	for {
		bits := st.tput.Load()
		old, v := math.Float64frombits(bits), rate
		if old != 0 {
			v = old*w + rate*(1-w)
		}
		if st.tput.CompareAndSwap(bits, math.Float64bits(v)) {
			return
		}
	}
}

// observeLatency records that a whole answer of out tokens took at least
// dur from start, from an attempt stopped before it answered (a hedge that
// lost): a latency sample only, which says nothing of errors or
// throughput.
func (st *deploymentStats) observeLatency(start time.Time, dur time.Duration, out int, decay float64) {
	if out > 0 && dur > 0 {
		st.perToken.observe(float64(dur)/float64(out), start.UnixNano()+int64(dur), decay)
	}
}

// errorRate is the error rate decayed toward zero for the time since the
// last attempt, so that a deployment that failed and was left alone is
// tried again.
func (st *deploymentStats) errorRate(now int64, decay float64) float64 {
	e := loadFloat(&st.errRate)
	if dt := now - st.at.Load(); dt > 0 && e > 0 {
		e *= decayWeight(float64(dt) / decay)
	}
	return e
}

// decayWeight is e^-x for x ≥ 0: decayNear below decayNearMax, math.Exp
// above.
func decayWeight(x float64) float64 {
	if x < decayNearMax {
		return decayNear(x)
	}
	return math.Exp(-x)
}

// decayNearMax bounds the x for which decayNear is decayWeight.
const decayNearMax = 1.0 / 16

// decayNear is e^-x for 0 ≤ x < decayNearMax, where samples of a busy
// deployment lie (a small fraction of the decay window apart): the [2/2]
// Padé approximant (12-6x+x²)/(12+6x+x²), exact to 2e-9 there, in six
// instructions where math.Exp takes a call and ~40 (it took 60% of an
// update). It inlines, where decayWeight (with its call of math.Exp) does
// not.
func decayNear(x float64) float64 {
	a := x*x + 12
	return (a - 6*x) / (a + 6*x)
}

func loadFloat(a *atomic.Uint64) float64 { return math.Float64frombits(a.Load()) }

// casFloat replaces the float64 in a with f of it, retrying on a race.
func casFloat(a *atomic.Uint64, f func(float64) float64) {
	for {
		old := a.Load()
		if a.CompareAndSwap(old, math.Float64bits(f(math.Float64frombits(old)))) {
			return
		}
	}
}

// snapshot fills the statistics of Router.Stats as of now.
func (d *deployment) snapshot(s *DeploymentStats, now int64) {
	ttft, _ := d.stats.ttft.estimate(now, d.decay)
	perToken, _ := d.stats.perToken.estimate(now, d.decay)
	s.TTFT, s.TimePerToken = time.Duration(ttft), time.Duration(perToken)
	s.ErrorRate, s.Throughput = d.stats.errorRate(now, d.decay), loadFloat(&d.stats.tput)
	s.AnswerP95 = time.Duration(d.stats.perToken.p95())
	s.TTFTP95 = time.Duration(d.stats.ttft.p95())
}

func floatBits(v float64) uint64 { return math.Float64bits(v) }
