package llmrouter

import (
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSaturatingArithmetic(t *testing.T) {
	const maxI, minI = math.MaxInt64, math.MinInt64
	add := []struct{ a, b, want int64 }{
		{1, 2, 3}, {-1, -2, -3}, {maxI, 1, maxI}, {maxI, maxI, maxI}, {minI, -1, minI},
		{minI, minI, minI}, {maxI, minI, -1}, {maxI - 5, 5, maxI}, {100, -(maxI), 100 - maxI},
	}
	for _, c := range add {
		assert.Equal(t, c.want, satAdd(c.a, c.b), "satAdd(%d, %d)", c.a, c.b)
	}
	sub := []struct{ a, b, want int64 }{
		{3, 2, 1}, {maxI, -1, maxI}, {minI, 1, minI}, {0, minI, maxI}, {-1, minI, maxI}, {maxI, maxI - 200, 200},
	}
	for _, c := range sub {
		assert.Equal(t, c.want, satSub(c.a, c.b), "satSub(%d, %d)", c.a, c.b)
	}
	assert.Equal(t, math.MaxInt, satAddInt(math.MaxInt, 1))
	assert.Equal(t, math.MinInt, satAddInt(math.MinInt, -1))
	assert.Equal(t, 5, satAddInt(2, 3))

	conv := []struct {
		f    float64
		want int64
	}{
		{0.4, 0}, {0.5, 1}, {-0.5, -1}, {-1.4, -1}, {1e18, 1e18}, {-math.Exp2(63) + 1024, -math.MaxInt64 + 1023}, {math.Inf(1), maxI}, {math.NaN(), maxI}, {1e300, maxI},
		{math.Inf(-1), minI}, {-1e300, minI}, {math.Exp2(63), maxI},
	}
	for _, c := range conv {
		assert.Equal(t, c.want, satInt64(c.f), "satInt64(%g)", c.f)
	}
}

// Token and cost estimates saturate where they used to wrap to a small or
// negative number, which admitted the request.
func TestEstimatesSaturate(t *testing.T) {
	assert.Equal(t, math.MaxInt/4+1, ceilDiv(math.MaxInt, 4), "no overflow rounding up near MaxInt")
	assert.Equal(t, 3, ceilDiv(9, 4))
	assert.Equal(t, 0, ceilDiv(0, 4))

	p := Price{InputPerMTok: 3, OutputPerMTok: 15}
	assert.Equal(t, int64(3*1000+15*100), p.estimateMicroUSD(1000, 100))
	assert.Equal(t, int64(math.MaxInt64), p.estimateMicroUSD(math.MaxInt, math.MaxInt))
	assert.Equal(t, int64(math.MaxInt64), Price{InputPerMTok: 1e300}.estimateMicroUSD(1_000_000, 0))

	assert.Equal(t, int64(1_500_000), toMicroUSD(1.5))
	assert.Equal(t, int64(math.MaxInt64), toMicroUSD(math.Inf(1)))
	assert.Equal(t, int64(math.MaxInt64), toMicroUSD(math.NaN()))
	assert.Equal(t, int64(math.MaxInt64), toMicroUSD(1e40))
	assert.Equal(t, int64(math.MaxInt64), Limit{USD: math.Inf(1)}.microUSD(), "an infinite budget is the largest, not negative")
}

// TestSatAddSubMatchExactArithmetic compares satAdd and satSub with exact
// (big.Int) sums clamped to int64, over values around 0 and both ends.
func TestSatAddSubMatchExactArithmetic(t *testing.T) {
	vals := []int64{0, 1, -1, 2, -2, 1 << 32, -(1 << 32), math.MaxInt64, math.MaxInt64 - 1, math.MaxInt64 / 2,
		math.MinInt64, math.MinInt64 + 1, math.MinInt64 / 2, 1e18, -1e18}
	clamp := func(z *big.Int) int64 {
		if z.Cmp(big.NewInt(math.MaxInt64)) > 0 {
			return math.MaxInt64
		}
		if z.Cmp(big.NewInt(math.MinInt64)) < 0 {
			return math.MinInt64
		}
		return z.Int64()
	}
	for _, a := range vals {
		for _, b := range vals {
			x, y := big.NewInt(a), big.NewInt(b)
			assert.Equal(t, clamp(new(big.Int).Add(x, y)), satAdd(a, b), "satAdd(%d, %d)", a, b)
			assert.Equal(t, clamp(new(big.Int).Sub(x, y)), satSub(a, b), "satSub(%d, %d)", a, b)
			if math.MaxInt == math.MaxInt64 { // int is 64 bits here
				assert.Equal(t, int(clamp(new(big.Int).Add(x, y))), satAddInt(int(a), int(b)), "satAddInt(%d, %d)", a, b)
			}
		}
	}
}
