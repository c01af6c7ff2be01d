package llmrouter_test

import (
	"context"
	"fmt"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
)

// Cheapest sends each request to the deployment where it costs least among
// those the policies allow: here the US deployment is cheaper, but the
// request must stay in the EU.
func ExampleCheapest() {
	p := fake.New("fake")
	router, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "us-mini", Provider: p, Region: "us-east-1", Price: llmrouter.Price{InputPerMTok: 0.15, OutputPerMTok: 0.6}},
			llmrouter.Deployment{Name: "eu-large", Provider: p, Region: "eu-west-1", Price: llmrouter.Price{InputPerMTok: 2, OutputPerMTok: 8}},
			llmrouter.Deployment{Name: "eu-mini", Provider: p, Region: "eu-west-1", Price: llmrouter.Price{InputPerMTok: 0.4, OutputPerMTok: 1.6}},
		),
		llmrouter.WithRoute("chat", llmrouter.Route{
			Tiers:    [][]string{{"us-mini", "eu-large", "eu-mini"}},
			Strategy: llmrouter.Cheapest,
		}),
		llmrouter.WithPolicies(llmrouter.RegionIn("eu-*")),
	)
	if err != nil {
		panic(err)
	}
	resp, err := router.Chat(context.Background(), &llmrouter.Request{
		Model:    "chat",
		Messages: []llmrouter.Message{llmrouter.User("hi")},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Deployment)
	// Output: eu-mini
}

// Sticky keeps a conversation on one deployment, so its prompt cache keeps
// paying off: every turn carrying the same AffinityKey lands in the same
// place while that deployment is usable.
func ExampleSticky() {
	p := fake.New("fake")
	router, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "a", Provider: p},
			llmrouter.Deployment{Name: "b", Provider: p},
			llmrouter.Deployment{Name: "c", Provider: p},
		),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a", "b", "c"}}, Strategy: llmrouter.Sticky}),
	)
	if err != nil {
		panic(err)
	}
	first := ""
	same := true
	for turn := range 5 {
		resp, err := router.Chat(context.Background(), &llmrouter.Request{
			Model:       "chat",
			AffinityKey: "conversation-7f3a",
			Messages:    []llmrouter.Message{llmrouter.User(fmt.Sprint("turn ", turn))},
		})
		if err != nil {
			panic(err)
		}
		if first == "" {
			first = resp.Deployment
		}
		same = same && resp.Deployment == first
	}
	fmt.Println("every turn on", first+":", same)
	// Output: every turn on a: true
}
