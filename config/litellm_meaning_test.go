package config_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/config"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// registry registers a fake provider under every name a conversion refers
// to.
func registry(c *config.LiteLLM) llmrouter.Config {
	base := llmrouter.Config{Providers: map[string]llmrouter.Provider{}}
	for _, p := range c.Providers {
		base.Providers[p.Name] = fake.New(p.Name)
	}
	return base
}

func convert(t *testing.T, src string) *config.LiteLLM {
	t.Helper()
	got, err := config.ConvertLiteLLM([]byte(src))
	require.NoError(t, err)
	return got
}

func deployment(t *testing.T, c *config.LiteLLM, name string) *llmrouter.DeploymentSpec {
	t.Helper()
	for i := range c.Config.Deployments {
		if c.Config.Deployments[i].Name == name {
			return &c.Config.Deployments[i]
		}
	}
	return nil
}

func warned(c *config.LiteLLM, prefix string) bool {
	for _, w := range c.Warnings {
		if strings.HasPrefix(w, prefix) {
			return true
		}
	}
	return false
}

// The meanings that differ: in LiteLLM a zero (or a missing weight beside
// weighted siblings) switches a deployment off; here zero means "not set".
// simple_shuffle.py weighs by the first deployment's weight, else rpm,
// else tpm, giving 0 to a deployment without it.
func TestConvertLiteLLMZeroesSwitchOff(t *testing.T) {
	cases := []struct {
		name    string
		src     string
		off     []string // deployments left out
		weights map[string]float64
		warn    string
	}{
		{name: "rpm 0 under simple-shuffle", src: `
model_list:
  - {model_name: m, litellm_params: {model: openai/a, rpm: 100}}
  - {model_name: m, litellm_params: {model: openai/b, rpm: 0}}
`, off: []string{"m/2"}, weights: map[string]float64{"m/1": 100}, warn: "model_list[1].litellm_params.rpm"},
		{name: "missing weight beside weighted siblings", src: `
model_list:
  - {model_name: m, litellm_params: {model: openai/a, weight: 2}}
  - {model_name: m, litellm_params: {model: openai/b, weight: 1}}
  - {model_name: m, litellm_params: {model: openai/c}}
`, off: []string{"m/3"}, weights: map[string]float64{"m/1": 2, "m/2": 1}, warn: "model_list[2]"},
		{name: "weight before rpm", src: `
model_list:
  - {model_name: m, litellm_params: {model: openai/a, weight: 1, rpm: 10}}
  - {model_name: m, litellm_params: {model: openai/b, weight: 3, rpm: 0}}
`, weights: map[string]float64{"m/1": 1, "m/2": 3}},
		{name: "tpm weighs when nothing else does", src: `
model_list:
  - {model_name: m, litellm_params: {model: openai/a, tpm: 1000}}
  - {model_name: m, litellm_params: {model: openai/b, tpm: 3000}}
`, weights: map[string]float64{"m/1": 1000, "m/2": 3000}},
		{name: "max_input_tokens 0 under pre-call checks", src: `
model_list:
  - {model_name: m, litellm_params: {model: openai/a}, model_info: {max_input_tokens: 0}}
  - {model_name: m, litellm_params: {model: openai/b}, model_info: {max_input_tokens: 8000, max_output_tokens: 1000}}
router_settings: {enable_pre_call_checks: true}
`, off: []string{"m/1"}, warn: "model_list[0].model_info.max_input_tokens"},
		{name: "max_input_tokens 0 without pre-call checks is unused", src: `
model_list:
  - {model_name: m, litellm_params: {model: openai/a}, model_info: {max_input_tokens: 0}}
`, warn: "model_list[0].model_info.max_input_tokens"},
		{name: "rpm 0 enforced as a limit", src: `
model_list:
  - {model_name: m, litellm_params: {model: openai/a, rpm: 10}}
  - {model_name: m, litellm_params: {model: openai/b, rpm: 0}}
router_settings: {routing_strategy: least-busy, optional_pre_call_checks: [enforce_model_rate_limits]}
`, off: []string{"m/2"}, warn: "model_list[1].litellm_params.rpm"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := convert(t, tc.src)
			for _, name := range tc.off {
				assert.Nil(t, deployment(t, c, name), "%s is left out", name)
				for _, rs := range c.Config.Routes {
					for _, tier := range rs.Tiers {
						assert.NotContains(t, tier, name)
					}
				}
			}
			for name, w := range tc.weights {
				d := deployment(t, c, name)
				require.NotNil(t, d, name)
				assert.Equal(t, w, d.Weight, name)
			}
			if tc.warn != "" {
				assert.True(t, warned(c, tc.warn), "a warning about %s in %q", tc.warn, c.Warnings)
			}
			_, err := config.NewRouter(c.YAML, registry(c))
			require.NoError(t, err)
		})
	}
}

func TestConvertLiteLLMRateLimitsAreWeightsUnlessEnforced(t *testing.T) {
	src := `
model_list:
  - {model_name: m, litellm_params: {model: openai/a, rpm: 60, tpm: 100000}}
`
	c := convert(t, src)
	d := deployment(t, c, "m/1")
	assert.Equal(t, 60.0, d.Weight)
	assert.Zero(t, d.RPM, "simple-shuffle only weighs by rpm")
	c = convert(t, src+"router_settings: {optional_pre_call_checks: [enforce_model_rate_limits]}\n")
	d = deployment(t, c, "m/1")
	assert.Equal(t, 60, d.RPM)
	assert.Equal(t, 100000, d.TPM)
}

func TestConvertLiteLLMReliabilitySettings(t *testing.T) {
	c := convert(t, `
model_list:
  - model_name: gpt-4o
    litellm_params: {model: azure/gpt-4o, api_key: os.environ/AZURE_KEY_EU, api_base: os.environ/AZURE_BASE_EU, timeout: 20, stream_timeout: 5}
    model_info: {id: eu, allowed_fails: 1, cooldown_time: 60}
  - model_name: claude
    litellm_params: {model: anthropic/claude-sonnet-4-5, api_key: os.environ/ANTHROPIC_API_KEY}
router_settings:
  routing_strategy: latency-based-routing
  num_retries: 1
  timeout: 30
  allowed_fails: 2
  cooldown_time: 10
  retry_policy: {RateLimitErrorRetries: 3, ContentPolicyViolationErrorRetries: 0, BadRequestErrorRetries: 0}
  default_fallbacks: [claude]
`)
	cfg := &c.Config
	assert.Equal(t, "least_latency", cfg.Routes["gpt-4o"].Strategy)
	assert.Equal(t, 2, cfg.Retry.RouteAttempts)
	assert.Equal(t, map[llmrouter.Kind]int{llmrouter.KindRateLimited: 3, llmrouter.KindContentPolicy: 0,
		llmrouter.KindBadRequest: 0, llmrouter.KindContextLength: 0}, cfg.Retry.RetriesPerKind)
	assert.Equal(t, 30*time.Second, cfg.Timeouts.Attempt)
	assert.Equal(t, llmrouter.BreakerPolicy{Failures: 3, Interval: time.Minute, OpenFor: 10 * time.Second}, cfg.Breaker)
	eu := deployment(t, c, "eu")
	assert.Equal(t, llmrouter.Timeouts{Attempt: 20 * time.Second, FirstToken: 5 * time.Second, Idle: 5 * time.Second}, eu.Timeouts)
	assert.Equal(t, llmrouter.BreakerPolicy{Failures: 2, Interval: time.Minute, OpenFor: time.Minute}, eu.Breaker)
	assert.Equal(t, "azure:AZURE_KEY_EU", eu.Provider)
	assert.Equal(t, []string{"claude"}, cfg.Routes["gpt-4o"].Fallback, "default_fallbacks")
	assert.Empty(t, cfg.Routes["claude"].Fallback, "a route never falls back to itself")
	assert.NotContains(t, string(c.YAML), "os.environ", "references become registry names")
	_, err := config.NewRouter(c.YAML, registry(c))
	require.NoError(t, err)
}

func TestConvertLiteLLMRefusesWhatHasNoEquivalent(t *testing.T) {
	cases := []struct {
		name, src, path string
	}{
		{"usage-based routing", `
model_list: [{model_name: m, litellm_params: {model: openai/a}}]
router_settings:
  routing_strategy: usage-based-routing-v2
`, "router_settings.routing_strategy (line 4)"},
		{"per-group retry policy", `
model_list: [{model_name: m, litellm_params: {model: openai/a}}]
router_settings:
  model_group_retry_policy: {m: {RateLimitErrorRetries: 1}}
`, "router_settings.model_group_retry_policy (line 4)"},
		{"unknown fallback group", `
model_list: [{model_name: m, litellm_params: {model: openai/a}}]
router_settings:
  fallbacks: [{"m": ["nope"]}]
`, "router_settings.fallbacks[0].m[0]"},
		{"a request default", `
model_list: [{model_name: m, litellm_params: {model: openai/a, temperature: 0.2}}]
`, "model_list[0].litellm_params.temperature"},
		{"weight set only on a later deployment", `
model_list:
  - {model_name: m, litellm_params: {model: openai/a}}
  - {model_name: m, litellm_params: {model: openai/b, weight: 2}}
`, "model_list[1].litellm_params.weight (line 4)"},
		{"every deployment off", `
model_list:
  - {model_name: m, litellm_params: {model: openai/a, weight: 0}}
`, "model_list[0].model_name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.ConvertLiteLLM([]byte(tc.src))
			var ce *config.Error
			require.True(t, errors.As(err, &ce), "%v", err)
			assert.Contains(t, err.Error(), tc.path)
		})
	}
}

// TestConvertedFallbacksRouteAsLiteLLM builds a router from a converted
// configuration and checks that fallbacks go where LiteLLM sends them:
// general failures through fallbacks in order (a fallback group's own
// fallbacks before the next), context-window failures to
// context_window_fallbacks only.
func TestConvertedFallbacksRouteAsLiteLLM(t *testing.T) {
	c := convert(t, `
model_list:
  - {model_name: small, litellm_params: {model: openai/small}}
  - {model_name: mid, litellm_params: {model: openai/mid}}
  - {model_name: mid-backup, litellm_params: {model: openai/mid-backup}}
  - {model_name: big, litellm_params: {model: openai/big}}
  - {model_name: long, litellm_params: {model: openai/long}}
router_settings:
  num_retries: 0
  fallbacks: [{"small": ["mid", "big"]}, {"mid": ["mid-backup"]}]
  context_window_fallbacks: [{"small": ["long"]}]
`)
	assert.Equal(t, []string{"mid", "mid-backup", "big"}, c.Config.Routes["small"].Fallback)

	var order []string
	failWith := llmrouter.KindServer
	answer := "big/1"
	p := fake.New("p", fake.WithFunc(func(call fake.Call) fake.Step {
		order = append(order, call.Deployment)
		if call.Deployment == answer {
			return fake.Reply("ok")
		}
		return fake.Fail(failWith, 500)
	}))
	base := llmrouter.Config{Providers: map[string]llmrouter.Provider{"openai": p}}
	r, err := config.NewRouter(c.YAML, base)
	require.NoError(t, err)
	req := &llmrouter.Request{Model: "small", Messages: []llmrouter.Message{llmrouter.User("hi")}}
	resp, err := r.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "big/1", resp.Deployment)
	assert.Equal(t, []string{"small/1", "mid/1", "mid-backup/1", "big/1"}, order)

	order, failWith, answer = nil, llmrouter.KindContextLength, "long/1"
	resp, err = r.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "long/1", resp.Deployment)
	assert.Equal(t, []string{"small/1", "long/1"}, order, "a context-window failure goes to context_window_fallbacks only")
}

func TestParseNamesAnUnknownKindsLine(t *testing.T) {
	_, err := config.Parse([]byte("deployments: []\nretry:\n  retries_per_kind: {rate_limitd: 2}\n"), llmrouter.Config{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `retry.retries_per_kind (line 3): unknown kind "rate_limitd"`)
}

// TestConvertLiteLLMRouterSettingsWin: a setting in router_settings wins
// over the same one in litellm_settings, each section fills in what the
// other leaves unset (request_timeout standing in for timeout), and an
// error names the section the faulty value came from.
func TestConvertLiteLLMRouterSettingsWin(t *testing.T) {
	const models = "model_list: [{model_name: m, litellm_params: {model: openai/a}}, {model_name: n, litellm_params: {model: openai/b}}]\n"
	c := convert(t, models+`
litellm_settings:
  num_retries: 5
  request_timeout: 7
  stream_timeout: 3
  cooldown_time: 40
  fallbacks: [{"m": ["n"]}]
  max_fallbacks: 1
router_settings:
  num_retries: 1
  cooldown_time: 20
  allowed_fails: 0
`)
	cfg := &c.Config
	assert.Equal(t, 2, cfg.Retry.RouteAttempts, "router_settings.num_retries wins")
	assert.Equal(t, 4, cfg.Retry.MaxAttempts, "two attempts on the route and on its one fallback")
	assert.Equal(t, llmrouter.Timeouts{Attempt: 7 * time.Second, FirstToken: 3 * time.Second, Idle: 3 * time.Second}, cfg.Timeouts)
	assert.Equal(t, llmrouter.BreakerPolicy{Failures: 1, Interval: time.Minute, OpenFor: 20 * time.Second}, cfg.Breaker)
	assert.Equal(t, []string{"n"}, cfg.Routes["m"].Fallback, "litellm_settings.fallbacks fills in")

	c = convert(t, models+"litellm_settings: {timeout: 9}\nrouter_settings: {request_timeout: 4}\n")
	assert.Equal(t, 9*time.Second, c.Config.Timeouts.Attempt, "timeout, in either section, before request_timeout")

	for _, tc := range []struct{ src, path string }{
		{"litellm_settings: {num_retries: 1}\nrouter_settings: {num_retries: -1}\n", "router_settings.num_retries (line 3)"},
		{"litellm_settings: {num_retries: -1}\n", "litellm_settings.num_retries (line 2)"},
		{"litellm_settings: {request_timeout: -1}\n", "litellm_settings.request_timeout (line 2)"},
		{"litellm_settings: {fallbacks: [{m: [x]}]}\nrouter_settings: {fallbacks: [{m: [y]}]}\n", "router_settings.fallbacks[0].m[0]"},
		{"router_settings: {optional_pre_call_checks: [enforce_model_rate_limits, x]}\n", "router_settings.optional_pre_call_checks[1]"},
	} {
		_, err := config.ConvertLiteLLM([]byte(models + tc.src))
		var ce *config.Error
		require.True(t, errors.As(err, &ce), "%s: %v", tc.src, err)
		assert.Contains(t, err.Error(), tc.path)
	}
}
