package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmrouter/llmrouter"
)

func TestMergeExtra(t *testing.T) {
	body := []byte(`{"model":"m","generationConfig":{"temperature":0.10000000000000001,"topP":1},"stream":true}`)
	req := &llmrouter.Request{Extra: map[string]map[string]any{
		"p":     {"generationConfig": map[string]any{"topP": nil, "thinkingConfig": map[string]any{"thinkingBudget": 0}}, "stream": nil, "new": "<x>"},
		"other": {"model": "never"},
	}}
	got, err := MergeExtra(body, req, "p")
	require.Nil(t, err)
	assert.JSONEq(t, `{"model":"m","generationConfig":{"temperature":0.10000000000000001,"thinkingConfig":{"thinkingBudget":0}},"new":"<x>"}`, string(got))
	assert.Contains(t, string(got), "0.10000000000000001", "numbers kept as written")
	assert.Contains(t, string(got), `"<x>"`, "no HTML escaping")

	same, err := MergeExtra(body, req, "absent")
	require.Nil(t, err)
	assert.Equal(t, body, same)

	req.Extra["p"] = map[string]any{"bad": func() {}}
	_, err = MergeExtra(body, req, "p")
	require.NotNil(t, err)
	assert.Equal(t, llmrouter.KindBadRequest, err.Kind)
	assert.Contains(t, err.Message, `Extra["p"]["bad"]`)
}
