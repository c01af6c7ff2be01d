package llmrouter_test

import (
	"context"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPreferNarrowsThenFallsBack(t *testing.T) {
	clk := newClock()
	slowB := true
	p := &timed{clk: clk, latency: func(d *llmrouter.Deployment) time.Duration {
		switch {
		case d.Name == "b" && slowB, d.Name == "c":
			return 800 * time.Millisecond // 8ms per token
		}
		return 200 * time.Millisecond // 2ms per token
	}}
	// The inner strategy records what it was offered and takes the last,
	// so a wrong index mapping would show.
	var offered [][]string
	last := llmrouter.StrategyFunc(func(_ *llmrouter.Request, cands []llmrouter.Candidate) int {
		var names []string
		for _, c := range cands {
			names = append(names, c.Deployment.Name)
		}
		offered = append(offered, names)
		return len(cands) - 1
	})
	r := learnRouter(t, clk, p, llmrouter.Prefer(llmrouter.Preferences{MaxTimePerToken: 4 * time.Millisecond}, last))
	measure(t, r, "a", "b", "c") // unmeasured candidates qualify
	offered = nil
	got := served(t, r, 20, plain)
	assert.Equal(t, map[string]int{"a": 20}, got, "only a meets the preference")
	assert.Equal(t, []string{"a"}, offered[0])

	// Nobody meets a stricter one: every candidate is offered, in order.
	r2 := learnRouter(t, clk, p, llmrouter.Prefer(llmrouter.Preferences{MaxTimePerToken: time.Millisecond}, last))
	measure(t, r2, "a", "b", "c")
	offered = nil
	got = served(t, r2, 5, plain)
	assert.Equal(t, map[string]int{"c": 5}, got, "no candidate qualifies: the request is served anyway")
	assert.Equal(t, []string{"a", "b", "c"}, offered[0])

	// Two of three qualify: the inner strategy's last is b, mapped back.
	slowB = false
	clk.Advance(10 * time.Minute)
	for range 200 { // b's percentile estimate comes down a few percent per sample
		_, err := r.Chat(context.Background(), hello("b"))
		require.NoError(t, err)
	}
	offered = nil
	got = served(t, r, 5, plain)
	assert.Equal(t, map[string]int{"b": 5}, got)
	assert.Equal(t, []string{"a", "b"}, offered[0])
}

func TestRequestPreferences(t *testing.T) {
	clk := newClock()
	p := oneApart(clk, "a", 200*time.Millisecond, 800*time.Millisecond)
	r := learnRouter(t, clk, p, llmrouter.WeightedRandom)
	measure(t, r, "a", "b", "c")
	got := served(t, r, 30, func(int) *llmrouter.Request {
		req := hello("chat")
		req.Prefer = &llmrouter.Preferences{MaxTimePerToken: 4 * time.Millisecond}
		return req
	})
	assert.Equal(t, map[string]int{"a": 30}, got)
	got = served(t, r, 300, plain)
	assert.Greater(t, got["b"], 50, "requests without preferences are not narrowed: %v", got)
}
