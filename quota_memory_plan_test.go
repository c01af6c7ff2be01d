package llmrouter

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanMergesLimitsOfOneLength(t *testing.T) {
	p := planLimits([]Limit{RPM(10), TPM(1000), MaxConcurrent(3), RPM(5), USDPerDay(2), TPD(math.MaxInt64),
		{Window: time.Minute, Tokens: 800, Concurrent: 2}, {Window: time.Hour, USD: 1e-9}})
	require.NotNil(t, p)
	assert.Equal(t, int64(2), p.concurrent)
	assert.Equal(t, []planWindow{
		{length: time.Minute, requests: 5, tokens: 800},
		{length: 24 * time.Hour, microUSD: 2e6}, // a cap of MaxInt64 caps nothing
		{length: time.Hour},                     // below a millionth of a dollar: nothing
	}, p.windows)
	assert.Nil(t, planLimits([]Limit{RPM(1), {Window: 2 * time.Minute, Requests: 1}, {Window: 3 * time.Minute, Requests: 1},
		{Window: 4 * time.Minute, Requests: 1}, {Window: 5 * time.Minute, Requests: 1}}), "past maxPlanWindows lengths: limit by limit")
}

// TestPlannedReservationsMatchLimitByLimit runs random reservations and
// settlements against two buckets, one reserved through the rule's plan
// and one limit by limit (as before plans), and requires the same answers
// (errors included) and the same counts after every step: times step
// across window boundaries and back, limits share window lengths, caps are
// near the amounts, and some amounts are huge.
func TestPlannedReservationsMatchLimitByLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 29))
	lengths := []time.Duration{time.Second, time.Minute, 2 * time.Second}
	pick := func(vals ...int64) int64 { return vals[rng.IntN(len(vals))] }
	for round := range 400 {
		var limits []Limit
		for range 1 + rng.IntN(4) {
			l := Limit{Window: lengths[rng.IntN(len(lengths))]}
			if rng.IntN(6) == 0 {
				l.Window = 0
			}
			l.Requests = pick(0, 0, 1, 3, 10, math.MaxInt64)
			l.Tokens = pick(0, 0, 50, 500, math.MaxInt64-1, math.MaxInt64)
			l.USD = []float64{0, 0, 0.001, 1, 1e-9}[rng.IntN(5)]
			l.Concurrent = pick(0, 0, 0, 1, 2)
			if l.Window == 0 {
				l.Requests, l.Tokens, l.USD = 0, 0, 0
			}
			limits = append(limits, l)
		}
		p := planLimits(limits)
		require.NotNil(t, p)
		planned, byLimit := &bucket{}, &bucket{}
		now := int64(1_700_000_000)*1e9 + rng.Int64N(1e9)
		var held []struct {
			amount Amount
			at     int64
		}
		for step := range 60 {
			switch {
			case rng.IntN(3) == 0 && len(held) > 0:
				k := rng.IntN(len(held))
				h := held[k]
				held = append(held[:k], held[k+1:]...)
				actual := Amount{Requests: 1, Tokens: rng.Int64N(600), MicroUSD: rng.Int64N(3000)}
				planned.settleAt(&h.amount, &actual, h.at)
				byLimit.settleAt(&h.amount, &actual, h.at)
			default:
				amount := Amount{Requests: 1, Tokens: pick(0, 10, 100, 400, math.MaxInt64), MicroUSD: pick(0, 100, 2000)}
				e1, d1, n1 := planned.reservePlanned(p, limits, &amount, now)
				e2, d2, n2 := byLimit.reserveCounted(limits, &amount, now)
				require.Equal(t, e2, e1, "round %d step %d: limits %+v", round, step, limits)
				require.Equal(t, [2]any{d2, n2}, [2]any{d1, n1})
				if e1 == nil {
					held = append(held, struct {
						amount Amount
						at     int64
					}{amount, now})
				}
			}
			require.Equal(t, byLimit.windows, planned.windows, "round %d step %d", round, step)
			require.Equal(t, byLimit.inFlight, planned.inFlight, "round %d step %d", round, step)
			switch rng.IntN(8) {
			case 0:
				now += int64(time.Second) // across a boundary of the shorter windows
			case 1:
				now -= rng.Int64N(int64(time.Second)) // an older request's time
			default:
				now += rng.Int64N(int64(100 * time.Millisecond))
			}
		}
	}
}

// TestWindowBoundsMatchWindowStart checks that a window's first and last
// times are exactly those windowStart places in it, on both sides of the
// epoch and at the ends of int64.
func TestWindowBoundsMatchWindowStart(t *testing.T) {
	for _, length := range []time.Duration{1, 7, time.Second, time.Minute, 24 * time.Hour} {
		for _, now := range []int64{0, 1, -1, int64(length), -int64(length), int64(length) - 1, 1 - int64(length),
			3*int64(length) + 2, -3*int64(length) - 2, math.MaxInt64, math.MinInt64, math.MaxInt64 - int64(length), math.MinInt64 + int64(length)} {
			w := windowCount{length: length}
			w.begin(now)
			require.True(t, w.holds(now), "length %v now %d", length, now)
			for _, t2 := range []int64{w.first - 1, w.first, w.first + 1, w.last - 1, w.last, w.last + 1} {
				if (t2 == w.first-1 && w.first == math.MinInt64) || (t2 == w.last+1 && w.last == math.MaxInt64) {
					continue // wrapped around
				}
				assert.Equal(t, windowStart(t2, length) == w.start, w.holds(t2), "length %v window of %d at %d", length, now, t2)
			}
		}
	}
}
