// Package rng is where the router's strategies draw their random numbers:
// math/rand/v2's global source, unless a test or the simulator has seeded
// a source of its own with Seed, which makes every random pick
// reproducible.
//
// The unseeded path costs one atomic load on top of math/rand/v2 and takes
// no lock. A seeded source takes a mutex per draw: it is meant for
// deterministic runs (internal/sim), never for production.
package rng

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

type seeded struct {
	mu sync.Mutex
	r  *rand.Rand
}

var src atomic.Pointer[seeded]

// Seed makes every later draw come from a PCG seeded with seed, until
// Unseed. It is safe for concurrent use, but the sequence a goroutine sees
// is reproducible only if draws happen in a reproducible order.
func Seed(seed uint64) {
	src.Store(&seeded{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))})
}

// Unseed goes back to math/rand/v2's global source.
func Unseed() { src.Store(nil) }

// Uint64 returns a random 64-bit value.
func Uint64() uint64 {
	if s := src.Load(); s != nil {
		s.mu.Lock()
		v := s.r.Uint64()
		s.mu.Unlock()
		return v
	}
	return rand.Uint64()
}

// Float64 returns a random number in [0, 1).
func Float64() float64 { return float64(Uint64()>>11) / (1 << 53) }

// IntN returns a random number in [0, n); n must be positive. (Its modulo
// bias, under n/2^64, is negligible for the handful of candidates a
// strategy picks among.)
func IntN(n int) int { return int(Uint64() % uint64(n)) }
