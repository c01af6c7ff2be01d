package llmrouter_test

import (
	"context"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRoutedPromptInfo checks what a routed request's record says of its
// prompt, now measured in the pass that validates it: the default estimate
// is EstimateInputTokens', a custom TokenEstimates.Input is called (and a
// negative answer read as 0), and the bytes count text and image data.
func TestRoutedPromptInfo(t *testing.T) {
	req := func() *llmrouter.Request {
		return &llmrouter.Request{Model: "a", Messages: []llmrouter.Message{
			llmrouter.System("Be brief."),
			{Role: llmrouter.RoleUser, Content: []llmrouter.Part{
				{Type: llmrouter.PartText, Text: "What is on this picture? ¿Qué?"},
				{Type: llmrouter.PartImage, Image: &llmrouter.Image{Data: []byte("png!"), MediaType: "image/png"}},
			}},
		}}
	}
	wantBytes := len("Be brief.") + len("What is on this picture? ¿Qué?") + len("png!")
	for _, tc := range []struct {
		name  string
		input func(*llmrouter.Request) int
		want  int
	}{
		{"default", nil, llmrouter.EstimateInputTokens(req())},
		{"custom", func(*llmrouter.Request) int { return 12345 }, 12345},
		{"negative custom", func(*llmrouter.Request) int { return -7 }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			p := fake.New("fake", fake.WithDefault(fake.Reply("ok")))
			r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)), llmrouter.WithLineage(rec),
				llmrouter.WithTokenEstimates(llmrouter.TokenEstimates{Input: tc.input}))
			require.NoError(t, err)
			_, err = r.Chat(context.Background(), req())
			require.NoError(t, err)
			got := rec.only(t).Prompt
			assert.Equal(t, 2, got.Messages)
			assert.Equal(t, wantBytes, got.Bytes)
			assert.Equal(t, tc.want, got.Tokens)
		})
	}
}
