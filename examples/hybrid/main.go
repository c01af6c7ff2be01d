// Command hybrid runs the recommended hybrid of a routing marketplace and a
// self-hosted gateway, in process: a regulated tenant is pinned by policy to
// a private, self-hosted model server (a vLLM-style OpenAI-compatible
// server in the private network); everyone else goes to the marketplace
// (OpenRouter, asked for zero-data-retention providers only) with a direct
// provider as fallback. It runs against local stand-in servers.
//
//	go run ./examples/hybrid
package main

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/examples/internal/standin"
	"github.com/llmrouter/llmrouter/providers/anthropic"
	"github.com/llmrouter/llmrouter/providers/openai"
)

func main() {
	vllm := standin.OpenAI("Your statement is ready. (private vLLM)", "")
	marketplace := standin.OpenAI("Here are three gift ideas. (via OpenRouter)", "DeepInfra")
	direct := standin.Anthropic("Here are three gift ideas. (Anthropic direct)")
	defer vllm.Close()
	defer marketplace.Close()
	defer direct.Close()

	private := openai.New(openai.VLLM(vllm.URL + "/v1"))
	openrouter := openai.New(openai.OpenRouter(), openai.WithBaseURL(marketplace.URL+"/api/v1"), openai.WithAPIKey("sk-or-example"))
	claude := anthropic.New(anthropic.WithBaseURL(direct.URL), anthropic.WithAPIKey("sk-ant-example"))

	router, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "llama-private", Provider: private, Model: "meta-llama/Llama-3.3-70B-Instruct",
				Region: "onprem-fra", Retention: llmrouter.ZeroRetention, Labels: map[string]string{"network": "private"}},
			llmrouter.Deployment{Name: "llama-openrouter", Provider: openrouter, Model: "meta-llama/llama-3.3-70b-instruct",
				Region: "global", Retention: llmrouter.ZeroRetention,
				Price: llmrouter.Price{InputPerMTok: 0.13, OutputPerMTok: 0.4},
				Extra: openai.OpenRouterPreferences{DataCollection: "deny", ZDR: true, Sort: "price",
					MaxPrice: &openai.OpenRouterMaxPrice{Prompt: 1, Completion: 2}}},
			llmrouter.Deployment{Name: "claude-direct", Provider: claude, Model: "claude-haiku-4-5",
				Region: "us", Retention: llmrouter.LimitedRetention,
				Price: llmrouter.Price{InputPerMTok: 1, OutputPerMTok: 5}},
		),
		llmrouter.WithRoute("assistant", llmrouter.Route{Tiers: [][]string{{"llama-private"}, {"llama-openrouter"}, {"claude-direct"}}}),
		// The regulated tenant's data never leaves the private network.
		llmrouter.WithTenantPolicies("bank", llmrouter.Policy{Name: "private-network-only",
			Check: func(_ *llmrouter.Request, d *llmrouter.Deployment) (bool, string) {
				if d.Labels["network"] == "private" {
					return true, ""
				}
				return false, "outside the private network"
			}}),
		// Everyone else keeps the private capacity for the regulated tenant.
		llmrouter.WithTenantPolicies("shop", llmrouter.DenyProviders("vllm")),
		llmrouter.WithLineage(llmrouter.SinkFunc(func(_ context.Context, r *llmrouter.Record) {
			fmt.Printf("    lineage: tenant=%s outcome=%s deployment=%s served_by=%q attempts=%d\n",
				r.Tenant, r.Outcome, r.Deployment, r.ServedBy, len(r.Attempts))
		})),
	)
	if err != nil {
		log.Fatal(err)
	}
	ask := func(tenant, prompt string) {
		fmt.Printf("%s asks %q\n", tenant, prompt)
		resp, err := router.Chat(context.Background(), &llmrouter.Request{
			Model: "assistant", Tenant: tenant, Messages: []llmrouter.Message{llmrouter.User(prompt)},
		})
		switch {
		case errors.Is(err, llmrouter.ErrNoRoute):
			fmt.Printf("  -> failed, and stayed in the private network: %v\n", err)
		case err != nil:
			fmt.Printf("  -> %v\n", err)
		default:
			fmt.Printf("  -> %q from %s\n", resp.Text, resp.Deployment)
		}
	}

	ask("bank", "Summarise account 12345's statement.")
	ask("shop", "Three gift ideas for a cyclist?")

	fmt.Println("\nThe marketplace goes down:")
	marketplace.FailWith(502)
	ask("shop", "Three gift ideas for a cyclist?")

	fmt.Println("\nThe private server goes down too:")
	vllm.FailWith(503)
	ask("bank", "Summarise account 12345's statement.")
	fmt.Printf("\ncalls: private=%d marketplace=%d direct=%d\n", vllm.Calls(), marketplace.Calls(), direct.Calls())
}
