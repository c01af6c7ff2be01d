package config_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/config"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func base() llmrouter.Config {
	return llmrouter.Config{Providers: map[string]llmrouter.Provider{
		"openai-eu":    fake.New("openai", fake.WithDefault(fake.Reply("from openai"))),
		"anthropic-eu": fake.New("anthropic", fake.WithDefault(fake.Reply("from anthropic"))),
	}}
}

func TestRouterFromYAML(t *testing.T) {
	r, err := config.LoadRouter("testdata/router.yaml", base())
	require.NoError(t, err)
	resp, err := r.Chat(context.Background(), &llmrouter.Request{Model: "chat", Tenant: "acme", Messages: []llmrouter.Message{llmrouter.User("hi")}})
	require.NoError(t, err)
	assert.Equal(t, "from openai", resp.Text)

	// The policies of the file are in force: the bank tenant may not use
	// the limited-retention deployment, and nobody the US one.
	plan, err := r.Plan(&llmrouter.Request{Model: "chat", Tenant: "bank", Messages: []llmrouter.Message{llmrouter.User("hi")}}, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"gpt-eu"}, plan.Eligible())
	for _, c := range plan.Candidates {
		switch c.Deployment {
		case "claude-eu":
			assert.Equal(t, "zero-retention", c.Policy)
		case "gpt-us":
			assert.Equal(t, "region-in(eu-*)", c.Policy)
		}
	}
}

// TestJSONIsReadToo: the same configuration as JSON builds the same router.
func TestJSONIsReadToo(t *testing.T) {
	data, err := os.ReadFile("testdata/router.yaml")
	require.NoError(t, err)
	var generic any
	require.NoError(t, yaml.Unmarshal(data, &generic))
	js, err := json.Marshal(generic)
	require.NoError(t, err)
	r, err := config.NewRouter(js, base())
	require.NoError(t, err)
	plan, err := r.Plan(&llmrouter.Request{Model: "chat", Messages: []llmrouter.Message{llmrouter.User("hi")}}, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"gpt-eu", "claude-eu"}, plan.Eligible())
}

func TestErrorsNamePathAndLine(t *testing.T) {
	valid, err := os.ReadFile("testdata/router.yaml")
	require.NoError(t, err)
	cases := map[string]struct{ from, to, want string }{
		"unknown deployment in a route": {"[claude-eu, gpt-us]", "[claude-eu, gpt-uk]",
			`config: routes.chat.tiers[1][1] (line 23): unknown deployment "gpt-uk"`},
		"unknown provider": {"provider: anthropic-eu", "provider: anthropic-us",
			`config: deployments[1].provider (line 12): unknown provider "anthropic-us"; registered: anthropic-eu, openai-eu`},
		"unknown field": {"context_window: 1000000", "context_windw: 1000000", "line 8: field context_windw not found"},
		"two policies in one entry": {"  - region_in: [eu-*]", "  - region_in: [eu-*]\n    zero_retention: true",
			"config: policies[0] (line 26): sets region_in and zero_retention; an entry sets exactly one policy"},
		"unknown strategy": {"strategy: least_busy", "strategy: fastest",
			`config: routes.chat.strategy (line 24): unknown strategy "fastest"`},
		"bad capability": {"[tools, json, streaming]", "[tools, jsn]",
			`config: deployments[0].capabilities[1] (line 9): unknown capability "jsn"`},
		"bad duration":            {"total: 30s", "total: soon", "line 40"},
		"sub-millisecond timeout": {"first_token: 5s", "first_token: 5us", "config: timeouts.first_token (line 41): "},
		"deployment twice in a route": {"[claude-eu, gpt-us]", "[claude-eu, gpt-eu]",
			`config: routes.chat.tiers[1][1] (line 23): deployment "gpt-eu" appears twice in the route`},
		"negative weight": {"model: gpt-4.1", "model: gpt-4.1\n    weight: -1", "config: deployments[0].weight (line 6): "},
		"bad quota key":   {"per: tenant", "per: team", `config: quotas[0].per (line 32): unknown "team"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			data := strings.Replace(string(valid), c.from, c.to, 1)
			require.NotEqual(t, string(valid), data, "the case changes the file")
			_, err := config.NewRouter([]byte(data), base())
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			var ce *config.Error
			assert.True(t, errors.As(err, &ce), "a *config.Error")
		})
	}
}

func TestCustomPoliciesAndStrategiesByName(t *testing.T) {
	b := base()
	b.CustomPolicies = map[string]llmrouter.Policy{"no-anthropic": llmrouter.DenyProviders("anthropic")}
	b.Strategies = map[string]llmrouter.Strategy{"first": llmrouter.StrategyFunc(func(*llmrouter.Request, []llmrouter.Candidate) int { return 0 })}
	data := `
deployments:
  - {name: a, provider: anthropic-eu, region: eu-1}
  - {name: o, provider: openai-eu, region: eu-1}
routes:
  r: {tiers: [[a, o]], strategy: first}
policies:
  - custom: no-anthropic
`
	r, err := config.NewRouter([]byte(data), b)
	require.NoError(t, err)
	resp, err := r.Chat(context.Background(), &llmrouter.Request{Model: "r", Messages: []llmrouter.Message{llmrouter.User("hi")}})
	require.NoError(t, err)
	assert.Equal(t, "from openai", resp.Text)
}
