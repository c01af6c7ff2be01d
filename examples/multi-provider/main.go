// Command multi-provider routes over three real providers: OpenAI first,
// Anthropic as fallback, Gemini last. Keys come from OPENAI_API_KEY,
// ANTHROPIC_API_KEY and GEMINI_API_KEY; for each key that is missing it
// says so and runs that hop against a local stand-in server speaking the
// provider's wire format, so it always runs. (The OpenAI stand-in is
// overloaded, to show a failover.)
//
//	go run ./examples/multi-provider
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/examples/internal/standin"
	"github.com/llmrouter/llmrouter/providers/anthropic"
	"github.com/llmrouter/llmrouter/providers/gemini"
	"github.com/llmrouter/llmrouter/providers/openai"
)

func main() {
	openaiOpts := []openai.Option{openai.WithAPIKey(os.Getenv("OPENAI_API_KEY"))}
	if os.Getenv("OPENAI_API_KEY") == "" {
		fmt.Println("OPENAI_API_KEY is not set: the OpenAI hop runs against a local stand-in (overloaded, to show failover)")
		s := standin.OpenAI("", "")
		defer s.Close()
		s.FailWith(503)
		openaiOpts = append(openaiOpts, openai.WithBaseURL(s.URL))
	}
	anthropicOpts := []anthropic.Option{anthropic.WithAPIKey(os.Getenv("ANTHROPIC_API_KEY"))}
	if os.Getenv("ANTHROPIC_API_KEY") == "" {
		fmt.Println("ANTHROPIC_API_KEY is not set: the Anthropic hop runs against a local stand-in")
		s := standin.Anthropic("Bonjour ! (from the Anthropic stand-in)")
		defer s.Close()
		anthropicOpts = append(anthropicOpts, anthropic.WithBaseURL(s.URL))
	}
	geminiOpts := []gemini.Option{gemini.WithAPIKey(os.Getenv("GEMINI_API_KEY"))}
	if os.Getenv("GEMINI_API_KEY") == "" {
		fmt.Println("GEMINI_API_KEY is not set: the Gemini hop runs against a local stand-in")
		s := standin.Gemini("Bonjour ! (from the Gemini stand-in)")
		defer s.Close()
		geminiOpts = append(geminiOpts, gemini.WithBaseURL(s.URL))
	}

	router, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "openai", Provider: openai.New(openaiOpts...), Model: "gpt-4.1-mini",
				Price: llmrouter.Price{InputPerMTok: 0.4, OutputPerMTok: 1.6}},
			llmrouter.Deployment{Name: "anthropic", Provider: anthropic.New(anthropicOpts...), Model: "claude-haiku-4-5",
				Price: llmrouter.Price{InputPerMTok: 1, OutputPerMTok: 5}},
			llmrouter.Deployment{Name: "gemini", Provider: gemini.New(geminiOpts...), Model: "gemini-2.5-flash",
				Price: llmrouter.Price{InputPerMTok: 0.3, OutputPerMTok: 2.5}},
		),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"openai"}, {"anthropic"}, {"gemini"}}}),
		llmrouter.WithTimeouts(llmrouter.Timeouts{Total: 60 * time.Second, Attempt: 30 * time.Second}),
		llmrouter.WithLineage(llmrouter.SinkFunc(func(_ context.Context, r *llmrouter.Record) {
			for _, a := range r.Attempts {
				if a.Status == "ok" {
					fmt.Printf("  attempt %-9s ok    %s\n", a.Deployment, a.Duration.Round(time.Millisecond))
				} else {
					fmt.Printf("  attempt %-9s error %s (%d, %s)\n", a.Deployment, a.Kind, a.StatusCode, a.Class)
				}
			}
		})),
	)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := router.Chat(context.Background(), &llmrouter.Request{
		Model:           "chat",
		MaxOutputTokens: 100,
		Messages:        []llmrouter.Message{llmrouter.User("Say hello in French, in five words or fewer.")},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n(served by %s, %d tokens, $%.6f)\n", resp.Text, resp.Deployment, resp.Usage.Total(), resp.Cost)
}
