package llmrouter_test

import (
	"context"
	"fmt"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
)

// A running router takes a new configuration: requests that start
// afterwards are served by it, and every record names its version. A bad
// configuration is refused and the serving one goes on.
func ExampleRouter_Apply() {
	providers := map[string]llmrouter.Provider{
		"openai":    fake.New("openai", fake.WithDefault(fake.Reply("from gpt"))),
		"anthropic": fake.New("anthropic", fake.WithDefault(fake.Reply("from claude"))),
	}
	config := func(label string, first, second string) *llmrouter.Config {
		return &llmrouter.Config{Label: label, Providers: providers,
			Deployments: []llmrouter.DeploymentSpec{
				{Name: "gpt", Provider: "openai", Model: "gpt-4.1"},
				{Name: "claude", Provider: "anthropic", Model: "claude-sonnet-4-5"},
			},
			Routes: map[string]llmrouter.RouteSpec{"chat": {Tiers: [][]string{{first}, {second}}}},
		}
	}
	router, err := llmrouter.New(llmrouter.WithConfig(config("launch", "gpt", "claude")))
	if err != nil {
		panic(err)
	}
	ask := func() {
		resp, err := router.Chat(context.Background(), &llmrouter.Request{Model: "chat",
			Messages: []llmrouter.Message{llmrouter.User("Hello")}})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s (version %s)\n", resp.Text, router.ConfigVersion().Label)
	}
	ask()

	launch := router.ConfigVersion()
	if _, err := router.Apply(llmrouter.WithConfig(config("claude-first", "claude", "gpt"))); err != nil {
		panic(err)
	}
	ask()

	_, err = router.Apply(llmrouter.WithConfig(config("typo", "claude", "gtp")))
	fmt.Println("refused:", err)
	ask()

	if _, err := router.Rollback(launch.ID); err != nil {
		panic(err)
	}
	ask()
	// Output:
	// from gpt (version launch)
	// from claude (version claude-first)
	// refused: llmrouter: invalid configuration: routes.chat.tiers[1][0]: unknown deployment "gtp"
	// from claude (version claude-first)
	// from gpt (version launch)
}
