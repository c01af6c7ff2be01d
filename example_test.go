package llmrouter_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
)

// A route with two tiers: the primary fails with a 503 and the request
// fails over to the secondary at once.
func Example() {
	primary := fake.New("openai", fake.WithDefault(fake.Fail(llmrouter.KindServer, 503)))
	secondary := fake.New("anthropic", fake.WithDefault(fake.Reply("Bonjour!")))
	router, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "gpt", Provider: primary, Model: "gpt-4.1"},
			llmrouter.Deployment{Name: "claude", Provider: secondary, Model: "claude-sonnet-4-5"},
		),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"gpt"}, {"claude"}}}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{InitialBackoff: time.Millisecond}),
		llmrouter.WithLineage(llmrouter.SinkFunc(func(_ context.Context, r *llmrouter.Record) {
			for _, a := range r.Attempts {
				fmt.Printf("attempt %s: %s %s\n", a.Deployment, a.Status, a.Kind)
			}
		})),
	)
	if err != nil {
		panic(err)
	}
	resp, err := router.Chat(context.Background(), &llmrouter.Request{
		Model:    "chat",
		Messages: []llmrouter.Message{llmrouter.User("Say hello in French.")},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Deployment, resp.Text)
	// Output:
	// attempt gpt: error server
	// attempt claude: ok unknown
	// claude Bonjour!
}

// Policies decide which deployments may see a request's data; a refusal
// names the policy and its reason.
func ExampleRegionIn() {
	p := fake.New("openai")
	router, _ := llmrouter.New(
		llmrouter.WithDeployments(llmrouter.Deployment{Name: "us", Provider: p, Region: "us-east-1"}),
		llmrouter.WithPolicies(llmrouter.RegionIn("eu-*")),
	)
	_, err := router.Chat(context.Background(), &llmrouter.Request{
		Model:    "us",
		Messages: []llmrouter.Message{llmrouter.User("hi")},
	})
	fmt.Println(errors.Is(err, llmrouter.ErrPolicyDenied))
	fmt.Println(err)
	// Output:
	// true
	// llmrouter: route "us": policies refused every deployment; skipped us: policy region-in(eu-*): region not in eu-*
}

// A per-tenant quota refuses the request that would exceed it, before
// anything is sent, and says when to retry.
func ExamplePerTenant() {
	now := time.Date(2026, 11, 27, 12, 0, 40, 0, time.UTC)
	router, _ := llmrouter.New(
		llmrouter.WithDeployments(llmrouter.Deployment{Name: "m", Provider: fake.New("openai")}),
		llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(llmrouter.RPM(1))),
		llmrouter.WithClock(func() time.Time { return now }),
	)
	req := &llmrouter.Request{Model: "m", Tenant: "acme", Messages: []llmrouter.Message{llmrouter.User("hi")}}
	_, err := router.Chat(context.Background(), req)
	fmt.Println(err)
	_, err = router.Chat(context.Background(), req)
	fmt.Println(err)
	// Output:
	// <nil>
	// llmrouter: quota exceeded: tenant "acme": 1 requests per 1m0s; retry after 20s
}

// Streams fail over unseen until the first visible chunk.
func ExampleRouter_ChatStream() {
	broken := fake.New("openai", fake.WithDefault(fake.ServerError()))
	good := fake.New("anthropic", fake.WithDefault(fake.Reply("one two three")))
	router, _ := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "a", Provider: broken},
			llmrouter.Deployment{Name: "b", Provider: good},
		),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1}),
	)
	s, err := router.ChatStream(context.Background(), &llmrouter.Request{
		Model:    "chat",
		Messages: []llmrouter.Message{llmrouter.User("count")},
	})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	for s.Next() {
		fmt.Printf("%q ", s.Current().Text)
	}
	fmt.Println(s.Err(), s.Deployment())
	// Output:
	// "one " "two " "three" "" <nil> b
}

// A lineage record keeps what routing read of a request, not its prompt:
// PlanRecord plans it again, here under a policy added since.
func ExampleRouter_PlanRecord() {
	p := fake.New("openai")
	router, _ := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "us", Provider: p, Region: "us-east-1"},
			llmrouter.Deployment{Name: "eu", Provider: p, Region: "eu-west-1"},
		),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"us"}, {"eu"}}}),
		llmrouter.WithTenantPolicies("bank", llmrouter.RegionIn("eu-*")),
	)
	rec := &llmrouter.Record{RequestID: "r1", Route: "chat", Tenant: "bank", Needs: llmrouter.CapTools,
		Prompt: llmrouter.PromptInfo{Messages: 2, Tokens: 1200}, MaxOutputTokens: 400}
	plan, err := router.PlanRecord(rec)
	if err != nil {
		panic(err)
	}
	for _, c := range plan.Candidates {
		fmt.Println(c.Deployment, c.Status, c.Policy)
	}
	// Output:
	// us refused region-in(eu-*)
	// eu eligible
}
