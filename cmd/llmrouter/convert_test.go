package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConvertLiteLLMCommand(t *testing.T) {
	in := filepath.Join("..", "..", "config", "testdata", "litellm", "fallbacks_retries_cooldowns.yaml")
	want, err := os.ReadFile(strings.TrimSuffix(in, ".yaml") + ".out.yaml")
	require.NoError(t, err)
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, runConvert([]string{"litellm", in}, &stdout, &stderr), stderr.String())
	assert.Equal(t, string(want), stdout.String())
	assert.Contains(t, stderr.String(), "warning: model_list[3].litellm_params.api_key: a literal key: not copied")
}

func TestConvertCommandErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("model_list: [{model_name: m, litellm_params: {model: openai/a}}]\nrouter_settings:\n  routing_strategy: usage-based-routing\n"), 0o600))
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 1, runConvert([]string{"litellm", bad}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "router_settings.routing_strategy (line 3)")
	assert.Empty(t, stdout.String())
	stderr.Reset()
	assert.Equal(t, 2, runConvert([]string{"nope"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "usage: llmrouter convert litellm")
}
