package llmrouter

import (
	"math"
	"math/bits"
)

// Saturating arithmetic for token counts, costs and quota counters: a sum
// or conversion that would overflow stops at the largest (or smallest)
// value instead of wrapping around. A wrapped counter is worse than a wrong
// one: a huge reservation that wraps negative would admit everything after
// it.

// satAdd returns a+b, clamped to the range of int64. (The sum overflowed
// exactly when it moved from a the other way from b's sign; it then stops
// at the end b points to. One branch, and cheap enough to inline.)
func satAdd(a, b int64) int64 {
	s := a + b
	if (s < a) != (b < 0) {
		return math.MaxInt64 ^ b>>63
	}
	return s
}

// satSub returns a-b, clamped to the range of int64.
func satSub(a, b int64) int64 {
	s := a - b
	if (s > a) != (b < 0) {
		return math.MinInt64 ^ b>>63
	}
	return s
}

// satAddInt returns a+b, clamped to the range of int (of either size), as
// satAdd does: one branch, cheap enough for the token counts of every
// message part.
func satAddInt(a, b int) int {
	s := a + b
	if (s < a) != (b < 0) {
		return math.MaxInt ^ b>>(bits.UintSize-1)
	}
	return s
}

// satInt64 rounds f to the nearest int64 (halves away from zero), clamped
// to the range of int64. NaN, which no count or cost should be, counts as
// the most: a charge or an estimate of unknown size must not admit anything
// after it.
func satInt64(f float64) int64 {
	switch {
	case f != f || f >= math.MaxInt64: // NaN, or 2^63 and above
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	case f < 0:
		return int64(f - 0.5) // near MinInt64, f - 0.5 rounds back to f
	}
	return int64(f + 0.5)
}
