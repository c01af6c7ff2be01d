// Command fleet runs two routers, as two replicas of a service would,
// against one Redis: a tenant's budget of 5 requests a day and $0.05 a day
// is shared, so whichever replica a request lands on, the fleet admits 5
// requests, not 10.
//
//	go run ./examples/fleet
//
// It starts its own redis-server on a free loopback port (and stops it) when
// redis-server is on PATH; otherwise it says how to install it and exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/redistest"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/llmrouter/llmrouter/redisstore"
	"github.com/redis/go-redis/v9"
)

func main() {
	if !redistest.Available() {
		fmt.Println("examples/fleet needs a local Redis: " + redistest.Install + "; then run it again.")
		return
	}
	dir, err := os.MkdirTemp("", "llmrouter-fleet")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv, err := redistest.Start(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Stop()
	fmt.Println("redis-server on", srv.Addr)

	// Two replicas: each has its own client, store and router.
	var replicas []*llmrouter.Router
	var stores []*redisstore.Store
	for range 2 {
		client := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: true})
		defer client.Close()
		store, err := redisstore.New(client, redisstore.Options{})
		if err != nil {
			log.Fatal(err)
		}
		defer store.Close()
		p := fake.New("openai", fake.WithDefault(fake.Step{Text: "hi",
			Usage: &llmrouter.Usage{InputTokens: 1000, OutputTokens: 500}}))
		r, err := llmrouter.New(
			llmrouter.WithDeployments(llmrouter.Deployment{Name: "gpt", Provider: p, Model: "gpt-4.1",
				Price: llmrouter.Price{InputPerMTok: 2, OutputPerMTok: 8}}),
			llmrouter.WithQuota(store, llmrouter.PerTenant(llmrouter.RPD(5), llmrouter.USDPerDay(0.05))),
		)
		if err != nil {
			log.Fatal(err)
		}
		replicas = append(replicas, r)
		stores = append(stores, store)
	}

	// Requests alternate between the replicas, as a load balancer would
	// send them. A fresh Redis, so the day starts empty.
	ctx := context.Background()
	for i := range 8 {
		req := &llmrouter.Request{Model: "gpt", Tenant: "acme", MaxOutputTokens: 500,
			Messages: []llmrouter.Message{llmrouter.User("hello")}}
		resp, err := replicas[i%2].Chat(ctx, req)
		var qe *llmrouter.QuotaError
		switch {
		case err == nil:
			fmt.Printf("request %d on replica %d: admitted, cost $%.4f\n", i+1, i%2+1, resp.Cost)
		case errors.As(err, &qe):
			fmt.Printf("request %d on replica %d: refused: %s limit reached (%s), shared by both replicas\n",
				i+1, i%2+1, qe.Rule, qe.Limit)
		default:
			log.Fatal(err)
		}
	}
	used, _, err := stores[1].Usage(ctx, "tenant", "acme", llmrouter.RPD(0).Window)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("acme today, as every replica sees it: %d requests, %d tokens, $%.4f\n",
		used.Requests, used.Tokens, float64(used.MicroUSD)/1e6)
}
