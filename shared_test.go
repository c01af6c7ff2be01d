package llmrouter_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// board is an in-process SharedCooldowns: what one router publishes, the
// others apply at once.
type board struct {
	mu   sync.Mutex
	subs []func(string, time.Time)
	pubs []string
}

func (b *board) Publish(name string, until time.Time) {
	b.mu.Lock()
	b.pubs = append(b.pubs, name)
	subs := b.subs
	b.mu.Unlock()
	for _, f := range subs {
		f(name, until)
	}
}

func (b *board) Subscribe(f func(string, time.Time)) {
	b.mu.Lock()
	b.subs = append(b.subs, f)
	b.mu.Unlock()
}

func TestSharedCooldownsReachEveryRouter(t *testing.T) {
	b := &board{}
	newRouter := func(a llmrouter.Provider) *llmrouter.Router {
		r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a), dep("b", fake.New("q"))),
			llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
			llmrouter.WithRetry(llmrouter.RetryPolicy{CooldownAfter: 1}),
			llmrouter.WithSharedCooldowns(b))
		require.NoError(t, err)
		return r
	}
	healthy := fake.New("p")
	r1 := newRouter(fake.New("p", fake.WithDefault(fake.RateLimited(time.Minute))))
	r2 := newRouter(healthy)
	resp, err := r1.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "b", resp.Deployment)
	assert.Equal(t, []string{"a"}, b.pubs, "the cooldown was published once")
	resp, err = r2.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	assert.Equal(t, "b", resp.Deployment)
	assert.Zero(t, healthy.CallCount(), "router 2 cooled a down without calling it")
	assert.Equal(t, []string{"a"}, b.pubs, "applying a shared cooldown publishes nothing")
}
