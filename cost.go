package llmrouter

import "slices"

// Cost returns the price of usage u in US dollars: uncached input at
// InputPerMTok, cache reads at CachedInputPerMTok, cache writes at
// CacheWritePerMTok (each defaulting to InputPerMTok), one-hour cache
// writes at CacheWrite1hPerMTok (defaulting to CacheWritePerMTok), and
// output, reasoning included, at OutputPerMTok.
func (p Price) Cost(u Usage) float64 {
	if u.CachedInputTokens|u.CacheWriteTokens|u.CacheWrite1hTokens == 0 && u.InputTokens >= 0 {
		// No cache: the same sum without its zero terms.
		return (float64(u.InputTokens)*p.InputPerMTok + float64(u.OutputTokens)*p.OutputPerMTok) / 1e6
	}
	return p.cacheCost(u)
}

func (p Price) cacheCost(u Usage) float64 {
	cachedPrice, writePrice, write1hPrice := p.CachedInputPerMTok, p.CacheWritePerMTok, p.CacheWrite1hPerMTok
	if cachedPrice == 0 {
		cachedPrice = p.InputPerMTok
	}
	if writePrice == 0 {
		writePrice = p.InputPerMTok
	}
	if write1hPrice == 0 {
		write1hPrice = writePrice
	}
	write1h := min(max(u.CacheWrite1hTokens, 0), max(u.CacheWriteTokens, 0))
	uncached := u.InputTokens - u.CachedInputTokens - u.CacheWriteTokens
	if uncached < 0 {
		uncached = 0
	}
	return (float64(uncached)*p.InputPerMTok +
		float64(u.CachedInputTokens)*cachedPrice +
		float64(u.CacheWriteTokens-write1h)*writePrice +
		float64(write1h)*write1hPrice +
		float64(u.OutputTokens)*p.OutputPerMTok) / 1e6
}

// estimateMicroUSD is the most a call of inputTokens in and outputTokens out
// can cost at price p, in millionths of a dollar: all input at the dearest
// input price. It saturates at math.MaxInt64 rather than overflow (huge
// counts or prices, a NaN), so an estimate never wraps to a small or
// negative amount.
func (p Price) estimateMicroUSD(inputTokens, outputTokens int) int64 {
	return p.bound().estimate(inputTokens, outputTokens)
}

// priceBound is the most a deployment charges per million input tokens
// (the largest of its input prices) and per million output tokens.
type priceBound struct{ in, out float64 }

func (p Price) bound() priceBound {
	// The largest input price, by plain comparisons: the builtin max's
	// care for NaN and signed zeros is wasted on prices New has validated
	// (finite, not negative), and costs more than the estimate itself.
	in := p.InputPerMTok
	if p.CachedInputPerMTok > in {
		in = p.CachedInputPerMTok
	}
	if p.CacheWritePerMTok > in {
		in = p.CacheWritePerMTok
	}
	if p.CacheWrite1hPerMTok > in {
		in = p.CacheWrite1hPerMTok
	}
	return priceBound{in, p.OutputPerMTok}
}

// estimate is the most a request of these counts costs, in micro-USD.
func (b priceBound) estimate(inputTokens, outputTokens int) int64 {
	return satInt64(float64(inputTokens)*b.in + float64(outputTokens)*b.out)
}

// priceBounds returns the price bounds of ds that no other one of ds
// dominates (charges as much or more for both input and output): the only
// ones a most-cost estimate over ds needs, usually one.
func priceBounds(ds []*deployment) []priceBound {
	var bs []priceBound
	for _, d := range ds {
		b := d.Price.bound()
		dominated := false
		for i := 0; i < len(bs); i++ {
			switch o := bs[i]; {
			case o.in >= b.in && o.out >= b.out:
				dominated = true
			case b.in >= o.in && b.out >= o.out:
				bs = slices.Delete(bs, i, i+1)
				i--
			}
		}
		if !dominated {
			bs = append(bs, b)
		}
	}
	return bs
}

// maxEstimate is the largest estimate of bs for a request of these counts
// (0 for none): estimates grow with both prices, so it equals the largest
// over every deployment bs was made from.
func maxEstimate(bs []priceBound, inputTokens, outputTokens int) int64 {
	var m int64
	for _, b := range bs {
		m = max(m, b.estimate(inputTokens, outputTokens))
	}
	return m
}
