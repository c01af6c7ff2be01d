package llmrouter

// Cost returns the price of usage u in US dollars: uncached input at
// InputPerMTok, cache reads at CachedInputPerMTok, cache writes at
// CacheWritePerMTok (each defaulting to InputPerMTok), and output, reasoning
// included, at OutputPerMTok.
func (p Price) Cost(u Usage) float64 {
	cachedPrice, writePrice := p.CachedInputPerMTok, p.CacheWritePerMTok
	if cachedPrice == 0 {
		cachedPrice = p.InputPerMTok
	}
	if writePrice == 0 {
		writePrice = p.InputPerMTok
	}
	uncached := u.InputTokens - u.CachedInputTokens - u.CacheWriteTokens
	if uncached < 0 {
		uncached = 0
	}
	return (float64(uncached)*p.InputPerMTok +
		float64(u.CachedInputTokens)*cachedPrice +
		float64(u.CacheWriteTokens)*writePrice +
		float64(u.OutputTokens)*p.OutputPerMTok) / 1e6
}

// estimateMicroUSD is the most a call of inputTokens in and outputTokens out
// can cost at price p, in millionths of a dollar: all input at the dearest
// input price. It saturates at math.MaxInt64 rather than overflow (huge
// counts or prices, a NaN), so an estimate never wraps to a small or
// negative amount.
func (p Price) estimateMicroUSD(inputTokens, outputTokens int) int64 {
	in := max(p.InputPerMTok, p.CachedInputPerMTok, p.CacheWritePerMTok)
	return satInt64(float64(inputTokens)*in + float64(outputTokens)*p.OutputPerMTok)
}
