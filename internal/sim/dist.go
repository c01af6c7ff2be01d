package sim

import (
	"math"
	"math/rand/v2"
	"time"
)

// Dist is a latency distribution.
type Dist interface {
	Sample(r *rand.Rand) time.Duration
}

// LogNormal is log-normally distributed around Median: Median × e^(Sigma·N(0,1)).
type LogNormal struct {
	Median time.Duration
	Sigma  float64
}

// Sample implements Dist.
func (d LogNormal) Sample(r *rand.Rand) time.Duration {
	return time.Duration(float64(d.Median) * math.Exp(d.Sigma*r.NormFloat64()))
}

// Pareto is a heavy tail: Min × U^(-1/Alpha), cut at Max (zero: no cut).
type Pareto struct {
	Min   time.Duration
	Alpha float64
	Max   time.Duration
}

// Sample implements Dist.
func (d Pareto) Sample(r *rand.Rand) time.Duration {
	u := 1 - r.Float64() // (0, 1]
	x := time.Duration(float64(d.Min) * math.Pow(u, -1/d.Alpha))
	if d.Max > 0 && (x > d.Max || x < 0) {
		x = d.Max
	}
	return x
}

// Mixture samples Tail with probability P, else Body.
type Mixture struct {
	Body, Tail Dist
	P          float64
}

// Sample implements Dist.
func (d Mixture) Sample(r *rand.Rand) time.Duration {
	if r.Float64() < d.P {
		return d.Tail.Sample(r)
	}
	return d.Body.Sample(r)
}

// Scaled multiplies every sample of Dist by Factor.
type Scaled struct {
	Dist
	Factor float64
}

// Sample implements Dist.
func (d Scaled) Sample(r *rand.Rand) time.Duration {
	return time.Duration(float64(d.Dist.Sample(r)) * d.Factor)
}
