package llmrouter_test

import (
	"context"
	"testing"

	"github.com/llmrouter/llmrouter"
)

// BenchmarkRouterChatStrategy is BenchmarkRouterChat under each built-in
// strategy: the cost of reading the statistics at the pick (the update at
// the end of each attempt is in every variant, BenchmarkRouterChat's too).
func BenchmarkRouterChatStrategy(b *testing.B) {
	for _, s := range []struct {
		name string
		s    llmrouter.Strategy
	}{
		{"WeightedRandom", llmrouter.WeightedRandom},
		{"LeastLatency", llmrouter.LeastLatency},
		{"Cheapest", llmrouter.Cheapest},
		{"PriceWeighted", llmrouter.PriceWeighted},
		{"Sticky", llmrouter.Sticky},
	} {
		b.Run(s.name, func(b *testing.B) {
			r := benchRouterWith(b, s.s, benchFake())
			req := benchReq("acme")
			req.AffinityKey = "conversation-42"
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Chat(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
