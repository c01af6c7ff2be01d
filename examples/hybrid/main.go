// Command hybrid runs the recommended hybrid of a routing marketplace and a
// self-hosted gateway, in process, from a configuration file
// (router.yaml): regulated tenants are pinned by one router-wide policy to
// a private, self-hosted model server (a vLLM-style OpenAI-compatible
// server in the private network); everyone else goes to the marketplace
// (OpenRouter, asked for zero-data-retention providers only) with a direct
// provider as fallback, and never to the private server. It runs against
// local stand-in servers.
//
//	go run ./examples/hybrid
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/config"
	"github.com/llmrouter/llmrouter/examples/internal/standin"
	"github.com/llmrouter/llmrouter/providers/anthropic"
	"github.com/llmrouter/llmrouter/providers/openai"
)

//go:embed router.yaml
var routerYAML []byte

// upstreams are the stand-in servers: the private vLLM, the marketplace
// and the direct provider.
type upstreams struct{ vllm, marketplace, direct *standin.Server }

func startUpstreams() upstreams {
	return upstreams{
		vllm:        standin.OpenAI("Your statement is ready. (private vLLM)", ""),
		marketplace: standin.OpenAI("Here are three gift ideas. (via OpenRouter)", "DeepInfra"),
		direct:      standin.Anthropic("Here are three gift ideas. (Anthropic direct)"),
	}
}

func (u upstreams) close() { u.vllm.Close(); u.marketplace.Close(); u.direct.Close() }

// newRouter builds the router of router.yaml, its providers pointed at u.
func newRouter(u upstreams, opts ...llmrouter.Option) (*llmrouter.Router, error) {
	base := llmrouter.Config{Providers: map[string]llmrouter.Provider{
		"private-vllm": openai.New(openai.VLLM(u.vllm.URL + "/v1")),
		"openrouter":   openai.New(openai.OpenRouter(), openai.WithBaseURL(u.marketplace.URL+"/api/v1"), openai.WithAPIKey("sk-or-example")),
		"anthropic":    anthropic.New(anthropic.WithBaseURL(u.direct.URL), anthropic.WithAPIKey("sk-ant-example")),
	}}
	return config.NewRouter(routerYAML, base, opts...)
}

func main() {
	u := startUpstreams()
	defer u.close()
	router, err := newRouter(u, llmrouter.WithLineage(llmrouter.SinkFunc(func(_ context.Context, r *llmrouter.Record) {
		fmt.Printf("    lineage: tenant=%q outcome=%s deployment=%s served_by=%q attempts=%d\n",
			r.Tenant, r.Outcome, r.Deployment, r.ServedBy, len(r.Attempts))
	})))
	if err != nil {
		log.Fatal(err)
	}
	ask := func(tenant, prompt string) {
		fmt.Printf("%q asks %q\n", tenant, prompt)
		resp, err := router.Chat(context.Background(), &llmrouter.Request{
			Model: "assistant", Tenant: tenant, Messages: []llmrouter.Message{llmrouter.User(prompt)},
		})
		switch {
		case errors.Is(err, llmrouter.ErrNoRoute):
			fmt.Printf("  -> failed, and stayed where its policy allows: %v\n", err)
		case err != nil:
			fmt.Printf("  -> %v\n", err)
		default:
			fmt.Printf("  -> %q from %s\n", resp.Text, resp.Deployment)
		}
	}

	ask("bank", "Summarise account 12345's statement.")
	ask("shop", "Three gift ideas for a cyclist?")
	ask("", "Three gift ideas for a runner?")

	fmt.Println("\nThe marketplace goes down:")
	u.marketplace.FailWith(502)
	ask("shop", "Three gift ideas for a cyclist?")

	fmt.Println("\nThe private server goes down too:")
	u.vllm.FailWith(503)
	ask("bank", "Summarise account 12345's statement.")
	fmt.Printf("\ncalls: private=%d marketplace=%d direct=%d\n", u.vllm.Calls(), u.marketplace.Calls(), u.direct.Calls())
}
