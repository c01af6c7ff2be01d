package main

import (
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
	code, out, errOut := runCmd("convert", "litellm", in)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, string(want), out)
	assert.Contains(t, errOut, "warning: model_list[3].litellm_params.api_key: a literal key: not copied")
}

func TestConvertCommandErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("model_list: [{model_name: m, litellm_params: {model: openai/a}}]\nrouter_settings:\n  routing_strategy: usage-based-routing\n"), 0o600))
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"not convertible", []string{"convert", "litellm", bad}, exitError, "router_settings.routing_strategy (line 3)"},
		{"missing file", []string{"convert", "litellm", "testdata/none.yaml"}, exitError, "none.yaml: no such file"},
		{"unknown source", []string{"convert", "nope"}, exitUsage, "usage: llmrouter convert litellm"},
		{"unknown flag", []string{"convert", "-x"}, exitUsage, "flag provided but not defined: -x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(tc.args...)
			assert.Equal(t, tc.code, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.stderr)
		})
	}
	code, _, errOut := runCmd("convert", "-h")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, errOut, "usage: llmrouter convert litellm")
}
