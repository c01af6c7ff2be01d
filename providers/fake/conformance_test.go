package fake_test

import (
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

func TestConformance(t *testing.T) {
	usage := &llmrouter.Usage{InputTokens: providertest.InputTokens, OutputTokens: providertest.OutputTokens}
	toolCall := []llmrouter.ToolCall{{ID: providertest.ToolCallID, Name: providertest.ToolName, Arguments: providertest.ToolArgs}}
	providertest.Run(t, func(t *testing.T, s providertest.Scenario) llmrouter.Provider {
		var step fake.Step
		switch s {
		case providertest.Text, providertest.StreamText:
			step = fake.Step{Text: providertest.AnswerText, Usage: usage}
		case providertest.ToolCall, providertest.StreamToolCall:
			step = fake.Step{ToolCalls: toolCall, Usage: usage}
		case providertest.StreamCut:
			step = fake.StreamCut(providertest.AnswerText, 2)
		case providertest.ServerError:
			step = fake.ServerError()
		case providertest.RateLimited:
			step = fake.RateLimited(providertest.RetryAfter)
		case providertest.AuthError:
			step = fake.Fail(llmrouter.KindAuth, 401)
		case providertest.BadRequest:
			step = fake.Fail(llmrouter.KindBadRequest, 400)
		case providertest.ContextLength:
			step = fake.Fail(llmrouter.KindContextLength, 400)
		case providertest.Hang:
			step = fake.Hang()
		}
		return fake.New("fake", fake.WithDefault(step))
	})
}

func TestEmbedConformance(t *testing.T) {
	providertest.RunEmbed(t, func(t *testing.T, s providertest.Scenario) llmrouter.Provider {
		var step fake.Step
		switch s {
		case providertest.EmbedVectors:
			step = fake.Step{Embeddings: providertest.EmbedOutput, Usage: &llmrouter.Usage{InputTokens: providertest.EmbedTokens}}
		case providertest.ServerError:
			step = fake.ServerError()
		case providertest.RateLimited:
			step = fake.RateLimited(providertest.RetryAfter)
		case providertest.AuthError:
			step = fake.Fail(llmrouter.KindAuth, 401)
		case providertest.Hang:
			step = fake.Hang()
		}
		return fake.New("fake", fake.WithDefault(step))
	})
}
