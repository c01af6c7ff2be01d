// Command euonly keeps a tenant's data in the EU: a router-wide policy
// allows only EU regions, and a per-tenant policy adds zero data retention
// for a regulated customer. When the EU deployments fail, the request
// fails; it never falls back to a US deployment, and the lineage record
// says why each candidate was refused.
//
//	go run ./examples/euonly
package main

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
)

func main() {
	openai := fake.New("openai", fake.WithDefault(fake.Reply("Hello from Frankfurt.")))
	mistral := fake.New("mistral", fake.WithDefault(fake.Reply("Bonjour de Paris.")))
	us := fake.New("anthropic", fake.WithDefault(fake.Reply("Hello from Virginia.")))

	router, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "gpt-frankfurt", Provider: openai, Model: "gpt-4.1", Region: "eu-central-1", Retention: llmrouter.LimitedRetention},
			llmrouter.Deployment{Name: "mistral-paris", Provider: mistral, Model: "mistral-large", Region: "eu-west-3", Retention: llmrouter.ZeroRetention},
			llmrouter.Deployment{Name: "claude-virginia", Provider: us, Model: "claude-sonnet-4-5", Region: "us-east-1", Retention: llmrouter.ZeroRetention},
		),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"gpt-frankfurt"}, {"mistral-paris"}, {"claude-virginia"}}}),
		llmrouter.WithPolicies(llmrouter.RegionIn("eu-*")),
		llmrouter.WithTenantPolicies("bank", llmrouter.RequireZeroRetention()),
		llmrouter.WithLineage(llmrouter.SinkFunc(func(_ context.Context, r *llmrouter.Record) {
			fmt.Printf("  tenant %-5s outcome %-14s", r.Tenant, r.Outcome)
			for _, c := range r.Candidates {
				fmt.Printf(" | %s: %s", c.Deployment, c.Status)
				if c.Policy != "" {
					fmt.Printf(" by %s (%s)", c.Policy, c.Reason)
				}
			}
			fmt.Println()
		})),
	)
	if err != nil {
		log.Fatal(err)
	}
	ask := func(tenant string) {
		resp, err := router.Chat(context.Background(), &llmrouter.Request{
			Model: "chat", Tenant: tenant, Messages: []llmrouter.Message{llmrouter.User("Hello?")},
		})
		switch {
		case errors.Is(err, llmrouter.ErrPolicyDenied):
			fmt.Printf("%s: refused by policy: %v\n", tenant, err)
		case err != nil:
			fmt.Printf("%s: failed: %v\n", tenant, err)
		default:
			fmt.Printf("%s: %q from %s\n", tenant, resp.Text, resp.Deployment)
		}
	}
	ask("shop") // any EU deployment
	ask("bank") // EU and zero retention: Paris only

	// Both EU deployments go down. The US one is healthy, but the policy
	// holds on every attempt: the request fails rather than leave the EU.
	openai.Script(fake.ServerError(), fake.ServerError())
	mistral.Script(fake.Fail(llmrouter.KindAuth, 401))
	ask("shop")
	fmt.Printf("calls to the US deployment: %d\n", us.CallCount())
}
