package main

import (
	"context"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWhereEachTenantGoes runs the example's configuration: regulated
// tenants only ever reach the private server, even when it fails; others,
// and requests without a tenant, go to the marketplace first, the direct
// provider on failure, and never to the private server.
func TestWhereEachTenantGoes(t *testing.T) {
	u := startUpstreams()
	defer u.close()
	r, err := newRouter(u)
	require.NoError(t, err)
	chat := func(tenant string) (*llmrouter.Response, error) {
		return r.Chat(context.Background(), &llmrouter.Request{Model: "assistant", Tenant: tenant,
			Messages: []llmrouter.Message{llmrouter.User("hi")}})
	}
	for _, tenant := range []string{"bank", "clinic"} {
		resp, err := chat(tenant)
		require.NoError(t, err)
		assert.Equal(t, "llama-private", resp.Deployment, tenant)
	}
	for _, tenant := range []string{"shop", "someone-new", ""} {
		resp, err := chat(tenant)
		require.NoError(t, err)
		assert.Equal(t, "llama-openrouter", resp.Deployment, "tenant %q: the marketplace first", tenant)
	}
	u.marketplace.FailWith(502)
	for _, tenant := range []string{"shop", ""} {
		resp, err := chat(tenant)
		require.NoError(t, err)
		assert.Equal(t, "claude-direct", resp.Deployment, "tenant %q: the direct provider on failure", tenant)
	}
	marketplaceCalls, directCalls := u.marketplace.Calls(), u.direct.Calls()
	u.vllm.FailWith(503)
	_, err = chat("bank")
	require.ErrorIs(t, err, llmrouter.ErrNoRoute, "the regulated tenant fails rather than leave the private network")
	assert.Equal(t, marketplaceCalls, u.marketplace.Calls(), "no regulated call reached the marketplace")
	assert.Equal(t, directCalls, u.direct.Calls(), "no regulated call reached the direct provider")
	assert.EqualValues(t, 4, u.vllm.Calls(), "private calls: the two regulated answers and the failed request's two attempts; no one else's")
}
