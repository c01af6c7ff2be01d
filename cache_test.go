package llmrouter_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/llmrouter/llmrouter"
)

// Anthropic's Opus 4.5 prices: $5 input, $6.25 five-minute writes, $10
// one-hour writes, $0.50 reads, $25 output.
func TestCostOfCacheWritesByTTL(t *testing.T) {
	p := llmrouter.Price{InputPerMTok: 5, OutputPerMTok: 25, CachedInputPerMTok: 0.5, CacheWritePerMTok: 6.25, CacheWrite1hPerMTok: 10}
	u := llmrouter.Usage{InputTokens: 1_000_000 + 2_000_000 + 3_000_000 + 4_000_000, CachedInputTokens: 2_000_000,
		CacheWriteTokens: 3_000_000 + 4_000_000, CacheWrite1hTokens: 4_000_000, OutputTokens: 1_000_000}
	assert.InDelta(t, 5+2*0.5+3*6.25+4*10+25, p.Cost(u), 1e-9)

	// Without a one-hour price, one-hour writes cost the write price.
	p.CacheWrite1hPerMTok = 0
	assert.InDelta(t, 5+2*0.5+7*6.25+25, p.Cost(u), 1e-9)

	// A one-hour count above the write count is capped by it.
	u.CacheWrite1hTokens = 99_000_000
	p.CacheWrite1hPerMTok = 10
	assert.InDelta(t, 5+2*0.5+7*10+25, p.Cost(u), 1e-9)
}
