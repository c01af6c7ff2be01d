// Package faults draws reproducible fault schedules for the chaos tests:
// each attempt's fate depends only on a seed, a key (the request) and the
// attempt's number, never on goroutine scheduling.
package faults

import "hash/fnv"

// Draw returns a number in [0, 1) fixed by (seed, key, n).
func Draw(seed uint64, key string, n int64) float64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return float64(splitmix64(h.Sum64()^seed^uint64(n)*0x9e3779b97f4a7c15)>>11) / (1 << 53)
}

// Fate is what a mock upstream does with one call.
type Fate int

// The fates, in the order of IssueMix's shares.
const (
	OK Fate = iota
	Server
	RateLimited
	Hang
	StreamCut
	Malformed
)

// Pick returns which share x falls in: Fate(i+1) for shares[i], or OK when
// x lies beyond them all.
func Pick(x float64, shares ...float64) Fate {
	for i, p := range shares {
		if x < p {
			return Fate(i + 1)
		}
		x -= p
	}
	return OK
}

// splitmix64 scrambles x into a well-mixed 64-bit value.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Seed is the chaos suites' fixed seed.
const Seed = 20261127

// IssueMix is the fault mix the chaos suites inject, in Pick's order:
// 30% server errors, 10% rate limits with Retry-After, 5% hangs, 5%
// streams cut after content, 2% malformed bodies.
var IssueMix = []float64{0.30, 0.10, 0.05, 0.05, 0.02}
