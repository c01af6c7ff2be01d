package e2e

import (
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/anthropic"
	"github.com/llmrouter/llmrouter/providers/gemini"
	"github.com/llmrouter/llmrouter/providers/openai"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMissingKeyIsAConfigError: a hosted API without a credential is
// refused by New, naming the deployment, instead of failing every call
// with a 401; a self-hosted server may take none.
func TestMissingKeyIsAConfigError(t *testing.T) {
	cases := []struct {
		name string
		p    llmrouter.Provider
		ok   bool
	}{
		{"openai without a key", openai.New(), false},
		{"azure without a key", openai.New(openai.Azure("https://acme.openai.azure.com", "2024-10-21")), false},
		{"openrouter without a key", openai.New(openai.OpenRouter()), false},
		{"anthropic without a key", anthropic.New(), false},
		{"gemini without a key", gemini.New(), false},
		{"openai with a key", openai.New(openai.WithAPIKey("sk-test")), true},
		{"vllm needs none", openai.New(openai.VLLM("http://10.0.0.5:8000/v1")), true},
		{"ollama needs none", openai.New(openai.Ollama("http://localhost:11434/v1")), true},
		{"anthropic with a credential header", anthropic.New(anthropic.WithHeader("X-Api-Key", "sk-ant-test")), true},
		{"gemini with a key", gemini.New(gemini.WithAPIKey("g-test")), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := llmrouter.New(llmrouter.WithDeployments(llmrouter.Deployment{Name: "d", Provider: c.p}))
			if c.ok {
				require.NoError(t, err)
				return
			}
			var ce *llmrouter.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "Deployments[0].Provider", ce.Field)
			assert.Contains(t, ce.Reason, `deployment "d"`)
			assert.Contains(t, ce.Reason, "no API key")
		})
	}
}
