package llmrouter_test

import (
	"context"
	"fmt"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
)

// Router.Stats after the primary failed three times: its breaker is open,
// the requests failed over, and the retry budget lost a token per failure.
func ExampleRouter_Stats() {
	primary := fake.New("openai", fake.WithDefault(fake.Fail(llmrouter.KindServer, 503)))
	secondary := fake.New("anthropic", fake.WithDefault(fake.Reply("Bonjour!")))
	router, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "gpt", Provider: primary, Model: "gpt-4.1", RPM: 600},
			llmrouter.Deployment{Name: "claude", Provider: secondary, Model: "claude-sonnet-4-5"},
		),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"gpt"}, {"claude"}}}),
		llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 3, OpenFor: time.Minute}),
		// A fixed clock keeps the four calls in one minute of the RPM count.
		llmrouter.WithClock(func() time.Time { return time.Date(2026, 11, 27, 12, 0, 30, 0, time.UTC) }),
	)
	if err != nil {
		panic(err)
	}
	for range 4 {
		if _, err := router.Chat(context.Background(), &llmrouter.Request{
			Model: "chat", Messages: []llmrouter.Message{llmrouter.User("Say hello in French.")},
		}); err != nil {
			panic(err)
		}
	}
	stats := router.Stats()
	for _, d := range stats.Deployments {
		fmt.Printf("%s: breaker %s, %d in flight, %d of %d requests this minute\n", d.Name, d.Breaker, d.InFlight, d.RPMUsed, d.RPM)
	}
	fmt.Printf("retry budget: %.2f\n", stats.RetryBudget)
	// Output:
	// gpt: breaker open, 0 in flight, 3 of 600 requests this minute
	// claude: breaker closed, 0 in flight, 0 of 0 requests this minute
	// retry budget: 0.99
}
