package config_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files of the LiteLLM conversion tests")

// TestConvertLiteLLMDocumentedConfigs converts LiteLLM's documented example
// configurations (testdata/litellm/*.yaml, each naming its source) and
// compares the YAML and the warnings with golden files (go test -update
// rewrites them). Every output parses back.
func TestConvertLiteLLMDocumentedConfigs(t *testing.T) {
	inputs, err := filepath.Glob("testdata/litellm/*.yaml")
	require.NoError(t, err)
	var n int
	for _, in := range inputs {
		if strings.HasSuffix(in, ".out.yaml") {
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			require.NoError(t, err)
			got, err := config.ConvertLiteLLM(data)
			require.NoError(t, err)
			base := strings.TrimSuffix(in, ".yaml")
			warnings := strings.Join(got.Warnings, "\n") + "\n"
			if *update {
				require.NoError(t, os.WriteFile(base+".out.yaml", got.YAML, 0o644))
				require.NoError(t, os.WriteFile(base+".warnings", []byte(warnings), 0o644))
			}
			want, err := os.ReadFile(base + ".out.yaml")
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got.YAML))
			wantWarn, err := os.ReadFile(base + ".warnings")
			require.NoError(t, err)
			assert.Equal(t, string(wantWarn), warnings)
			_, err = config.Parse(got.YAML, registry(got))
			require.NoError(t, err)
			assert.NotContains(t, string(got.YAML), "<my-openai-key>", "no key is copied")
			assert.NotContains(t, string(got.YAML), "<your-azure-api-key>", "no key is copied")
		})
	}
	require.GreaterOrEqual(t, n, 4)
}
