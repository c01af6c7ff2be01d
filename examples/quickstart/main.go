// Command quickstart routes one request over two fake providers, with no
// keys and no network: the primary is overloaded, so the router fails over
// to the secondary, and prints the answer and the request's lineage record
// (what was considered, what a policy refused and why, every attempt).
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
)

func main() {
	overloaded := fake.Fail(llmrouter.KindServer, 503)
	overloaded.Err.Code = "overloaded"
	primary := fake.New("openai", fake.WithDefault(overloaded))
	secondary := fake.New("anthropic", fake.WithDefault(fake.Step{
		Text:    "Paris is the capital of France.",
		Latency: 20 * time.Millisecond,
	}))

	var record []byte
	router, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{
				Name: "gpt-eu", Provider: primary, Model: "gpt-4.1-mini", Region: "eu-west-1",
				Price:     llmrouter.Price{InputPerMTok: 0.40, OutputPerMTok: 1.60},
				Retention: llmrouter.ZeroRetention,
			},
			llmrouter.Deployment{
				Name: "claude-eu", Provider: secondary, Model: "claude-haiku-4-5", Region: "eu-central-1",
				Price:     llmrouter.Price{InputPerMTok: 1, OutputPerMTok: 5},
				Retention: llmrouter.ZeroRetention,
			},
			llmrouter.Deployment{
				Name: "gpt-us", Provider: primary, Model: "gpt-4.1-mini", Region: "us-east-1",
				Retention: llmrouter.StoredRetention,
			},
		),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"gpt-eu", "gpt-us"}, {"claude-eu"}}}),
		llmrouter.WithPolicies(llmrouter.RegionIn("eu-*"), llmrouter.RequireZeroRetention()),
		llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(llmrouter.RPM(60), llmrouter.USDPerDay(5))),
		llmrouter.WithRetry(llmrouter.RetryPolicy{InitialBackoff: 50 * time.Millisecond}),
		llmrouter.WithLineage(llmrouter.SinkFunc(func(_ context.Context, r *llmrouter.Record) {
			record, _ = json.MarshalIndent(r, "", "  ")
		})),
	)
	if err != nil {
		log.Fatal(err)
	}

	resp, err := router.Chat(context.Background(), &llmrouter.Request{
		Model:    "chat",
		Tenant:   "acme",
		Messages: []llmrouter.Message{llmrouter.User("What is the capital of France?")},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("answer: %s\n", resp.Text)
	fmt.Printf("served by %s (%s) after %d calls to the primary; cost $%.6f\n\n",
		resp.Deployment, resp.Provider, primary.CallCount(), resp.Cost)
	fmt.Println("lineage record:")
	os.Stdout.Write(append(record, '\n'))
}
