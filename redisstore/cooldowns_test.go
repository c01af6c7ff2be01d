package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/redistest"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/llmrouter/llmrouter/redisstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One replica's rate limits steer the fleet: replica 1 is throttled on
// deployment a and cools it down; replica 2, whose own calls to a succeed,
// stops calling a within the refresh.
func TestCooldownsSteerEveryReplica(t *testing.T) {
	srv := redistest.New(t)
	newRouter := func(a *fake.Provider) *llmrouter.Router {
		cd, err := redisstore.NewCooldowns(client(t, srv.Addr), redisstore.CooldownOptions{Refresh: 50 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { _ = cd.Close() })
		r, err := llmrouter.New(
			llmrouter.WithDeployments(llmrouter.Deployment{Name: "a", Provider: a, Model: "m"},
				llmrouter.Deployment{Name: "b", Provider: fake.New("q"), Model: "m"}),
			llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
			llmrouter.WithRetry(llmrouter.RetryPolicy{CooldownAfter: 1}),
			llmrouter.WithSharedCooldowns(cd))
		require.NoError(t, err)
		return r
	}
	ask := func(r *llmrouter.Router) string {
		resp, err := r.Chat(context.Background(), &llmrouter.Request{Model: "chat",
			Messages: []llmrouter.Message{llmrouter.User("hi")}})
		require.NoError(t, err)
		return resp.Deployment
	}
	throttled := fake.New("p", fake.WithDefault(fake.RateLimited(30*time.Second)))
	healthy := fake.New("p")
	r1, r2 := newRouter(throttled), newRouter(healthy)

	assert.Equal(t, "a", ask(r2))
	assert.Equal(t, "b", ask(r1), "replica 1 is throttled on a and fails over")
	require.Eventually(t, func() bool { return ask(r2) == "b" }, 5*time.Second, 10*time.Millisecond,
		"replica 2 learns of the cooldown")
	calls := healthy.CallCount()
	for range 10 {
		assert.Equal(t, "b", ask(r2))
	}
	assert.Equal(t, calls, healthy.CallCount(), "a cools down on replica 2 too")
}

func TestCooldownsBadConfig(t *testing.T) {
	c := client(t, "127.0.0.1:1")
	_, err := redisstore.NewCooldowns(c, redisstore.CooldownOptions{Refresh: time.Millisecond})
	var ce *llmrouter.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "redisstore.CooldownOptions.Refresh", ce.Field)
}
