package llmrouter

import (
	"math"
	"time"
)

// What a Strategy may read of a candidate's statistics. Each method reads a
// few atomics (and decays the estimate to the time of the pick with one
// exp); none takes a lock or reads the clock. A Candidate built by hand (in
// a strategy's own tests) has no statistics: every method returns zero.

// dep is the candidate's deployment with its statistics, or nil for a
// Candidate built by hand (or whose Deployment a strategy replaced).
func (c *Candidate) dep() *deployment {
	if c.c == nil || c.c.rt == nil {
		return nil
	}
	for _, d := range c.c.rt.members {
		if &d.Deployment == c.Deployment {
			return d
		}
	}
	return nil
}

// Latency is the candidate's peak-EWMA latency for this request: time to
// the first visible chunk for a stream, duration per output token for a
// whole answer. Zero until the deployment has served such a request. While
// the deployment has no call in flight the estimate decays toward zero,
// over four decay windows, so that a deployment left alone is tried again.
func (c *Candidate) Latency() time.Duration {
	lat, _ := c.p2c()
	return time.Duration(lat)
}

// p2c returns what the P2C cost needs: Latency and ErrorRate (in ns and
// [0, 1]), finding the deployment once.
func (c *Candidate) p2c() (lat, errRate float64) {
	d := c.dep()
	if d == nil {
		return 0, 0
	}
	now := c.c.pickNow
	latNow := now
	if c.InFlight > 0 {
		latNow = 0 // a call is out: wait for its answer rather than decay
	}
	lat, _ = c.series(d).estimate(latNow, d.decay)
	return lat, d.stats.errorRate(now, d.decay)
}

// LatencyP90 is a running estimate of the 90th percentile of the same
// latency as Latency (it moves a few percent per sample and does not decay
// with time). Zero until measured.
func (c *Candidate) LatencyP90() time.Duration {
	d := c.dep()
	if d == nil {
		return 0
	}
	_, p90 := c.series(d).estimate(0, d.decay)
	return time.Duration(p90)
}

// ErrorRate is the share of the deployment's recent attempts that failed
// in a way that speaks of its health (server errors, timeouts, transport
// failures, rate limits; not bad requests or cancellations), in [0, 1]:
// weighted over the decay window, or over about the last twenty attempts
// when they come faster. It decays toward zero while the deployment is
// left alone.
func (c *Candidate) ErrorRate() float64 {
	d := c.dep()
	if d == nil {
		return 0
	}
	return d.stats.errorRate(c.c.pickNow, d.decay)
}

// Throughput is the deployment's recent output rate, in tokens per second
// of generation (after the first chunk, for streams). Zero until measured.
func (c *Candidate) Throughput() float64 {
	d := c.dep()
	if d == nil {
		return 0
	}
	return loadFloat(&d.stats.tput)
}

// FailedWithin reports whether the deployment's last failure ended less
// than window before the pick.
func (c *Candidate) FailedWithin(window time.Duration) bool {
	d := c.dep()
	if d == nil {
		return false
	}
	t := d.stats.failedAt.Load()
	return t != 0 && c.c.pickNow-t < int64(window)
}

// EstimatedCost is what this request would cost on the deployment, in US
// dollars: the router's input estimate at the input price plus the output
// it reserves (MaxOutputTokens, or the default estimate) at the output
// price. Zero for a candidate built by hand.
func (c *Candidate) EstimatedCost() float64 {
	if c.c == nil {
		return 0
	}
	p := &c.Deployment.Price
	return (float64(c.c.estInput)*p.InputPerMTok + float64(c.c.estOutput)*p.OutputPerMTok) / 1e6
}

// series is the latency series that applies to the request.
func (c *Candidate) series(d *deployment) *series {
	if c.c.stream {
		return &d.stats.ttft
	}
	return &d.stats.perToken
}

// loadScore is the P2C cost of a candidate of latency lat and error rate
// errRate: lat scaled by the calls it has in flight, by its error rate (the
// expected time to a success when a failure costs as much as a success) and
// by its weight, with other standing in for an unmeasured latency so that a
// new deployment competes on load.
func (c *Candidate) loadScore(lat, errRate, other float64) float64 {
	if lat == 0 {
		lat = other
	}
	if lat == 0 {
		lat = 1
	}
	ok := math.Max(1-errRate, 0.01)
	return lat * (1 + inFlightWeight*float64(c.InFlight)) / ok / weight(c.Deployment)
}

// inFlightWeight is how much of a call's latency each call in flight adds
// to the P2C cost.
const inFlightWeight = 0.25

// decay is the statistics' decay window (DefaultStatsDecay for a Candidate
// built by hand).
func (c *Candidate) decay() time.Duration {
	d := c.dep()
	if d == nil {
		return DefaultStatsDecay
	}
	return time.Duration(d.decay)
}
