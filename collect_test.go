package llmrouter_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
)

// A two-step tool loop: the model calls a tool, the program runs it and
// sends the result back with the assistant message, and the model answers.
// Collect turns the stream into the Response Chat would give, and
// Response.Message into the next assistant turn.
func ExampleCollect() {
	p := fake.New("openai", fake.WithScript(
		fake.Step{ToolCalls: []llmrouter.ToolCall{{ID: "call_1", Name: "weather", Arguments: `{"city":"Paris"}`}}},
		fake.Reply("It is 18°C in Paris."),
	))
	router, err := llmrouter.New(llmrouter.WithDeployments(llmrouter.Deployment{Name: "gpt", Provider: p}))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	req := &llmrouter.Request{
		Model:    "gpt",
		Messages: []llmrouter.Message{llmrouter.User("What is the weather in Paris?")},
		Tools:    []llmrouter.Tool{{Name: "weather", Parameters: []byte(`{"type":"object","properties":{"city":{"type":"string"}}}`)}},
	}
	for step := 1; ; step++ {
		s, err := router.ChatStream(ctx, req)
		if err != nil {
			panic(err)
		}
		resp, err := llmrouter.Collect(s)
		if err != nil {
			panic(err)
		}
		req.Messages = append(req.Messages, resp.Message())
		if resp.FinishReason != llmrouter.FinishToolCalls {
			fmt.Printf("step %d: %s\n", step, resp.Text)
			break
		}
		for _, c := range resp.ToolCalls {
			fmt.Printf("step %d: call %s(%s)\n", step, c.Name, c.Arguments)
			req.Messages = append(req.Messages, llmrouter.ToolResult(c.ID, `{"celsius":18}`))
		}
	}
	fmt.Println(len(req.Messages), "messages")
	// Output:
	// step 1: call weather({"city":"Paris"})
	// step 2: It is 18°C in Paris.
	// 4 messages
}

func TestCollectMatchesChat(t *testing.T) {
	step := fake.Step{Text: "the answer is 42", Reasoning: "think", ServedBy: "up",
		ToolCalls: []llmrouter.ToolCall{{ID: "a", Name: "f", Arguments: `{"x":1}`}, {ID: "b", Name: "g", Arguments: `{}`}}}
	p := fake.New("fk", fake.WithDefault(step))
	router, err := llmrouter.New(llmrouter.WithDeployments(llmrouter.Deployment{Name: "d", Provider: p}))
	require.NoError(t, err)
	req := &llmrouter.Request{Model: "d", Messages: []llmrouter.Message{llmrouter.User("q")},
		Tools: []llmrouter.Tool{{Name: "f"}, {Name: "g"}}}
	chat, err := router.Chat(context.Background(), req)
	require.NoError(t, err)
	s, err := router.ChatStream(context.Background(), req)
	require.NoError(t, err)
	got, err := llmrouter.Collect(s)
	require.NoError(t, err)
	assert.Equal(t, chat.Text, got.Text)
	assert.Equal(t, chat.Reasoning, got.Reasoning)
	assert.Equal(t, chat.ReasoningBlocks, got.ReasoningBlocks)
	assert.Equal(t, chat.ToolCalls, got.ToolCalls)
	assert.Equal(t, chat.FinishReason, got.FinishReason)
	assert.Equal(t, chat.ServedBy, got.ServedBy)
	assert.Equal(t, chat.Deployment, got.Deployment)
	assert.Equal(t, chat.Provider, got.Provider)
	assert.NotEmpty(t, got.RequestID)
	assert.Positive(t, got.Usage.OutputTokens)

	m := got.Message()
	assert.Equal(t, llmrouter.RoleAssistant, m.Role)
	assert.Equal(t, "the answer is 42", m.Text())
	assert.Equal(t, got.ToolCalls, m.ToolCalls)
	require.Len(t, m.Reasoning, 1)
	assert.Equal(t, llmrouter.ReasoningBlock{Provider: "fk", Text: "think", Signature: "fake-signature"}, m.Reasoning[0])
}

func TestCollectKeepsPartialAnswerAndError(t *testing.T) {
	p := fake.New("fk", fake.WithDefault(fake.StreamCut("one two three four", 2)))
	got, err := llmrouter.Collect(mustOpen(t, p))
	require.Error(t, err)
	assert.Equal(t, "one two ", got.Text)
	assert.Empty(t, got.FinishReason)
}

func mustOpen(t *testing.T, p llmrouter.Provider) llmrouter.ChunkStream {
	t.Helper()
	s, err := p.Stream(context.Background(), &llmrouter.Deployment{Name: "d", Provider: p},
		&llmrouter.Request{Model: "d", Messages: []llmrouter.Message{llmrouter.User("q")}})
	require.NoError(t, err)
	return s
}

func TestReasoningNeedsCapability(t *testing.T) {
	plain := fake.New("plain")
	thinker := fake.New("thinker", fake.WithDefault(fake.Step{Text: "ok", Reasoning: "hm"}))
	router, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "plain", Provider: plain, Capabilities: llmrouter.CapTools | llmrouter.CapStreaming},
			llmrouter.Deployment{Name: "thinker", Provider: thinker, Capabilities: llmrouter.CapReasoning},
		),
		llmrouter.WithRoute("r", llmrouter.Route{Tiers: [][]string{{"plain"}, {"thinker"}}}),
	)
	require.NoError(t, err)
	req := &llmrouter.Request{Model: "r", Messages: []llmrouter.Message{llmrouter.User("q")},
		Reasoning: &llmrouter.Reasoning{Effort: llmrouter.EffortHigh}}
	resp, err := router.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "thinker", resp.Deployment)
	assert.Zero(t, plain.CallCount())

	req.Reasoning.Effort = llmrouter.EffortNone // not asking: any deployment
	resp, err = router.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "plain", resp.Deployment)

	req.Model = "plain"
	req.Reasoning.Effort = llmrouter.EffortLow
	_, err = router.Chat(context.Background(), req)
	assert.True(t, errors.Is(err, llmrouter.ErrPolicyDenied), "%v", err)
}

func TestReasoningValidation(t *testing.T) {
	base := func(r *llmrouter.Reasoning) *llmrouter.Request {
		return &llmrouter.Request{Model: "m", Messages: []llmrouter.Message{llmrouter.User("q")}, Reasoning: r}
	}
	for name, tc := range map[string]struct {
		r     *llmrouter.Reasoning
		field string
	}{
		"unknown effort":   {&llmrouter.Reasoning{Effort: "extreme"}, "Reasoning.Effort"},
		"negative budget":  {&llmrouter.Reasoning{BudgetTokens: -1}, "Reasoning.BudgetTokens"},
		"budget with none": {&llmrouter.Reasoning{Effort: llmrouter.EffortNone, BudgetTokens: 1024}, "Reasoning.BudgetTokens"},
		"budget above max": {&llmrouter.Reasoning{BudgetTokens: llmrouter.MaxRequestTokens + 1}, "Reasoning.BudgetTokens"},
	} {
		t.Run(name, func(t *testing.T) {
			var re *llmrouter.RequestError
			require.ErrorAs(t, base(tc.r).Validate(), &re)
			assert.Equal(t, tc.field, re.Field)
		})
	}
	require.NoError(t, base(&llmrouter.Reasoning{Effort: llmrouter.EffortMax, BudgetTokens: 2048}).Validate())
	r := base(nil)
	r.Messages[0].Reasoning = []llmrouter.ReasoningBlock{{Provider: "x"}}
	var re *llmrouter.RequestError
	require.ErrorAs(t, r.Validate(), &re)
	assert.Equal(t, "Messages[0].Reasoning", re.Field)
}

// A conversation carrying one provider's reasoning state that fails over to
// another: the second provider's adapter leaves the blocks out, and the
// response, the collected stream and the lineage record count them.
func TestReasoningDroppedOnFailover(t *testing.T) {
	first := fake.New("anthropic", fake.WithDefault(fake.ServerError()))
	second := fake.New("openai", fake.WithDefault(fake.Reply("ok")))
	var recorded []int
	router, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "claude", Provider: first},
			llmrouter.Deployment{Name: "gpt", Provider: second},
		),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"claude"}, {"gpt"}}}),
		llmrouter.WithLineage(llmrouter.SinkFunc(func(_ context.Context, r *llmrouter.Record) {
			recorded = append(recorded, r.ReasoningDropped)
			if r.ReasoningDropped > 0 {
				assert.Contains(t, string(r.AppendJSON(nil)), `"reasoning_dropped":2`)
			}
		})),
	)
	require.NoError(t, err)
	req := &llmrouter.Request{Model: "chat", Messages: []llmrouter.Message{
		llmrouter.User("q"),
		{Role: llmrouter.RoleAssistant, Content: []llmrouter.Part{llmrouter.TextPart("a")}, Reasoning: []llmrouter.ReasoningBlock{
			{Provider: "anthropic", Text: "t", Signature: "s"}, {Provider: "anthropic", Redacted: "r"}}},
		llmrouter.User("q2"),
	}}
	resp, err := router.Chat(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "gpt", resp.Deployment)
	assert.Equal(t, 2, resp.ReasoningDropped)

	s, err := router.ChatStream(context.Background(), req)
	require.NoError(t, err)
	got, err := llmrouter.Collect(s)
	require.NoError(t, err)
	assert.Equal(t, 2, got.ReasoningDropped)
	assert.Equal(t, []int{2, 2}, recorded)
}
