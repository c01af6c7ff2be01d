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

// series is one latency estimate: a peak-EWMA and a running 90th
// percentile (updateQuantile), in nanoseconds, and the time of its last
// sample.
type series struct {
	peak atomic.Uint64 // float64 bits
	p90  atomic.Uint64 // float64 bits
	at   atomic.Int64  // Unix ns
}

// quantileStep is the relative step of the running percentiles.
const quantileStep = 0.05

// observe adds the sample x (ns) taken at the time at (Unix ns).
func (s *series) observe(x float64, at int64, decay float64) {
	last := s.at.Load()
	if at > last {
		s.at.Store(at)
	}
	w := decayWeight(float64(max(at-last, 0)) / decay)
	casFloat(&s.peak, func(old float64) float64 {
		if x >= old || last == 0 {
			return x
		}
		return old*w + x*(1-w)
	})
	updateQuantile(&s.p90, x, 0.9)
}

// updateQuantile moves the running q-quantile estimate in a toward the
// sample x: up by q×quantileStep (relative) when x is above it, down by
// (1-q)×quantileStep when below, which settles where a share 1-q of the
// samples lie above (stochastic-gradient quantile estimation, in log space
// so it has no unit).
func updateQuantile(a *atomic.Uint64, x, q float64) {
	casFloat(a, func(old float64) float64 {
		switch {
		case old == 0:
			return x
		case x > old:
			return old * (1 + q*quantileStep)
		}
		return old * (1 - (1-q)*quantileStep)
	})
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
	return peak, loadFloat(&s.p90)
}

// deploymentStats is what a deployment's attempts taught: latency, error
// rate, throughput and the last failure. Safe for concurrent use; no lock.
type deploymentStats struct {
	ttft     series        // streams: time to the first visible chunk
	perToken series        // whole answers: duration per output token
	errRate  atomic.Uint64 // float64 bits: EWMA of failed attempts (1) among all (0)
	tput     atomic.Uint64 // float64 bits: EWMA of output tokens per second
	at       atomic.Int64  // Unix ns of the last attempt's end
	failedAt atomic.Int64  // Unix ns of the last failure's end; 0: none
	// wholeP95 is a running 95th percentile of whole answers' durations
	// (ns; float64 bits), the hedge delay of Hedge.AtP95.
	wholeP95 atomic.Uint64
	// ttftP95 is the same for streams' times to the first visible chunk,
	// the hedge delay of Hedge.AtP95 for streams.
	ttftP95 atomic.Uint64
}

// observe records one attempt that began at start, produced its first
// visible chunk ttft later (zero: not a stream, or none) and ended after
// dur, with out output tokens; failed says whether it failed in a way that
// says something about the deployment. decay is in nanoseconds.
func (st *deploymentStats) observe(start time.Time, dur, ttft time.Duration, out int, failed bool, decay float64) {
	end := start.UnixNano() + int64(dur)
	last := st.at.Load()
	if end > last {
		st.at.Store(end)
	}
	w := decayWeight(float64(max(end-last, 0)) / decay)
	fail := 0.0
	if failed {
		fail = 1
		if end > st.failedAt.Load() {
			st.failedAt.Store(end)
		}
	}
	if failed || st.errRate.Load() != 0 { // a success leaves a zero rate at zero: no write
		we := min(w, 1-errorWeightMin)
		casFloat(&st.errRate, func(old float64) float64 { return old*we + fail*(1-we) })
	}
	if ttft > 0 {
		st.ttft.observe(float64(ttft), start.UnixNano()+int64(ttft), decay)
		updateQuantile(&st.ttftP95, float64(ttft), 0.95)
	}
	if failed || out <= 0 {
		return
	}
	if ttft <= 0 {
		st.perToken.observe(float64(dur)/float64(out), end, decay)
		updateQuantile(&st.wholeP95, float64(dur), 0.95)
	}
	if gen := dur - ttft; gen > 0 {
		rate := float64(out) / gen.Seconds()
		casFloat(&st.tput, func(old float64) float64 {
			if old == 0 {
				return rate
			}
			return old*w + rate*(1-w)
		})
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

// decayWeight is e^-x for x ≥ 0. Samples of a busy deployment come a
// small fraction of the decay window apart, where a Taylor polynomial is
// exact to 1e-8 and several times cheaper than math.Exp (which took 60% of
// an update).
func decayWeight(x float64) float64 {
	if x < 1.0/16 {
		return 1 - x*(1-x*(1.0/2-x*(1.0/6-x*(1.0/24))))
	}
	return math.Exp(-x)
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
	s.AnswerP95 = time.Duration(loadFloat(&d.stats.wholeP95))
	s.TTFTP95 = time.Duration(loadFloat(&d.stats.ttftP95))
}

func floatBits(v float64) uint64 { return math.Float64bits(v) }
