package llmrouter_test

import (
	"context"
	"errors"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContentFallback(t *testing.T) {
	blocked := fake.Fail(llmrouter.KindContentPolicy, 400)
	filtered := fake.Step{FinishReason: llmrouter.FinishContentFilter}
	cases := []struct {
		name     string
		first    fake.Step
		fallback bool
		stream   bool
		want     string // deployment that answers; "" for an error
		kind     llmrouter.Kind
	}{
		{name: "blocked prompt ends the request by default", first: blocked, kind: llmrouter.KindContentPolicy},
		{name: "blocked prompt falls back", first: blocked, fallback: true, want: "b"},
		{name: "filtered answer is returned by default", first: filtered, want: "a"},
		{name: "filtered answer falls back", first: filtered, fallback: true, want: "b"},
		{name: "filtered stream falls back unseen", first: filtered, fallback: true, stream: true, want: "b"},
		{name: "filtered stream is returned by default", first: filtered, stream: true, want: "a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := fake.New("pa", fake.WithDefault(tc.first))
			b := fake.New("pb", fake.WithDefault(fake.Reply("fine")))
			rec := &recorder{}
			r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a), dep("b", b)),
				llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}, ContentFallback: tc.fallback}),
				llmrouter.WithLineage(rec))
			require.NoError(t, err)
			var got string
			if tc.stream {
				s, err := r.ChatStream(context.Background(), hello("chat"))
				require.NoError(t, err)
				got = s.Deployment()
				for s.Next() {
				}
				require.NoError(t, s.Close())
			} else {
				resp, err := r.Chat(context.Background(), hello("chat"))
				if tc.want == "" {
					var pe *llmrouter.ProviderError
					require.True(t, errors.As(err, &pe), "%v", err)
					assert.Equal(t, tc.kind, pe.Kind)
					assert.Zero(t, b.CallCount())
					return
				}
				require.NoError(t, err)
				got = resp.Deployment
			}
			assert.Equal(t, tc.want, got)
			record := rec.only(t)
			if tc.want == "b" {
				require.Len(t, record.Attempts, 2, "the refusal is in the record")
				assert.Equal(t, llmrouter.KindContentPolicy, record.Attempts[0].Kind)
			}
		})
	}
}

func TestContentFallbackStillObeysPolicies(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.Fail(llmrouter.KindContentPolicy, 400)))
	us := fake.New("pus")
	da, dus := dep("a", a), dep("us", us)
	da.Region, dus.Region = "eu-west-1", "us-east-1"
	r, err := llmrouter.New(llmrouter.WithDeployments(da, dus),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"us"}}, ContentFallback: true}),
		llmrouter.WithPolicies(llmrouter.RegionIn("eu-*")))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("chat"))
	require.ErrorIs(t, err, llmrouter.ErrNoRoute)
	assert.Zero(t, us.CallCount(), "a refusal never sends the prompt where a policy forbids")
}
