package openai

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmrouter/llmrouter"
)

// OpenRouter's reasoning_details come back as this provider's blocks, each
// entry's JSON kept whole, and go back unchanged on the next assistant
// turn; blocks another provider issued are left out and counted.
func TestOpenRouterReasoningDetailsReplay(t *testing.T) {
	var bodies [][]byte
	answer := string(readFixture(t, "response_openrouter_details.json"))
	p, _ := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, b)
		serveJSON(200, answer)(w, r)
	}, OpenRouter())
	req := &llmrouter.Request{Model: "r", Messages: []llmrouter.Message{llmrouter.User("Weather in Paris?")},
		Tools: []llmrouter.Tool{{Name: "weather"}}, Reasoning: &llmrouter.Reasoning{Effort: llmrouter.EffortHigh}}
	first, err := p.Chat(ctx10s(t), testDeployment(p), req)
	require.NoError(t, err)
	assert.Equal(t, "The user wants the weather; call the tool.", first.Reasoning)
	require.Len(t, first.ReasoningBlocks, 2)
	assert.Equal(t, llmrouter.ReasoningBlock{Provider: "openrouter", Text: "The user wants the weather; call the tool.",
		Signature: "EqQBCkgIBxABGAIiQK3sig==",
		Raw:       `{"type":"reasoning.text","text":"The user wants the weather; call the tool.","signature":"EqQBCkgIBxABGAIiQK3sig==","format":"anthropic-claude-v1","index":0}`},
		first.ReasoningBlocks[0])
	assert.Equal(t, "EmwKAhgBEgy3redacted==", first.ReasoningBlocks[1].Redacted)

	m := first.Message()
	m.Reasoning = append(m.Reasoning, llmrouter.ReasoningBlock{Provider: "anthropic", Text: "foreign", Signature: "s"})
	req.Messages = append(req.Messages, m, llmrouter.ToolResult("toolu_01", "sunny"))
	second, err := p.Chat(ctx10s(t), testDeployment(p), req)
	require.NoError(t, err)
	assert.Equal(t, 1, second.ReasoningDropped)
	var sent struct {
		Messages []struct {
			ReasoningDetails []json.RawMessage `json:"reasoning_details"`
		} `json:"messages"`
	}
	require.NoError(t, json.Unmarshal(bodies[1], &sent))
	var fixture struct {
		Choices []struct {
			Message struct {
				ReasoningDetails []json.RawMessage `json:"reasoning_details"`
			} `json:"message"`
		} `json:"choices"`
	}
	require.NoError(t, json.Unmarshal([]byte(answer), &fixture))
	assert.Equal(t, fixture.Choices[0].Message.ReasoningDetails, sent.Messages[1].ReasoningDetails, "replayed byte for byte")
	assert.NotContains(t, string(bodies[1]), "foreign")

	// Another dialect neither keeps nor sends them.
	po, _ := newTestServer(t, serveJSON(200, answer))
	resp, err := po.Chat(ctx10s(t), testDeployment(po), simpleRequest())
	require.NoError(t, err)
	assert.Empty(t, resp.ReasoningBlocks)
}

// A streamed reasoning_details arrives in pieces sharing an index: each
// entry is assembled (summary pieces joined, other fields whole) and ends
// the stream as a block, in order, the same as a whole answer's.
func TestOpenRouterReasoningDetailsStream(t *testing.T) {
	p, _ := newTestServer(t, serveSSE(string(readFixture(t, "stream_openrouter_details.sse")), nil), OpenRouter())
	st, err := p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
	require.NoError(t, err)
	resp, err := llmrouter.Collect(st)
	require.NoError(t, err)
	assert.Equal(t, "Sunny.", resp.Text)
	assert.Equal(t, "**Checking the weather**", resp.Reasoning)
	require.Len(t, resp.ReasoningBlocks, 2)
	assert.Equal(t, llmrouter.ReasoningBlock{Provider: "openrouter", Text: "**Checking the weather**",
		Raw: `{"format":"openai-responses-v1","index":0,"summary":"**Checking the weather**","type":"reasoning.summary"}`},
		resp.ReasoningBlocks[0])
	assert.Equal(t, llmrouter.ReasoningBlock{Provider: "openrouter", Redacted: "gAAAAABpl3jdtUeb-r7le==",
		Raw: `{"data":"gAAAAABpl3jdtUeb-r7le==","format":"openai-responses-v1","id":"rs_0a1b2c","index":1,"type":"reasoning.encrypted"}`},
		resp.ReasoningBlocks[1])
	assert.Equal(t, 32, resp.Usage.ReasoningTokens)

	// Replayed, the assembled entries go back as they are.
	req := simpleRequest()
	req.Messages = append(req.Messages, resp.Message(), llmrouter.User("And tomorrow?"))
	body := captureRequest(t, false, testDeployment, req, OpenRouter()).body
	assert.Contains(t, string(body), `"reasoning_details":[`+resp.ReasoningBlocks[0].Raw+","+resp.ReasoningBlocks[1].Raw+"]")
}

// Pieces of a reasoning.text entry: text joined, a signature that was null
// replaced by the one that came later; no finish_reason: the blocks come
// at [DONE].
func TestOpenRouterDetailsPieces(t *testing.T) {
	sse := "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"Start \",\"index\":0,\"signature\":null}]}}]}\n\n" +
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_details\":null}}]}\n\n" +
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"end\",\"index\":0,\"signature\":\"sig\"}]}}]}\n\n" +
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Done.\"}}]}\n\n" +
		"data: [DONE]\n\n"
	p, _ := newTestServer(t, serveSSE(sse, nil), OpenRouter())
	st, err := p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
	require.NoError(t, err)
	resp, err := llmrouter.Collect(st)
	require.NoError(t, err)
	assert.Equal(t, []llmrouter.ReasoningBlock{{Provider: "openrouter", Text: "Start end", Signature: "sig",
		Raw: `{"index":0,"signature":"sig","text":"Start end","type":"reasoning.text"}`}}, resp.ReasoningBlocks)
}

// A block built by hand (no Raw) goes back as the entry its fields say.
func TestOpenRouterDetailsWithoutRaw(t *testing.T) {
	req := simpleRequest()
	req.Messages = append(req.Messages, llmrouter.Message{Role: llmrouter.RoleAssistant, Content: []llmrouter.Part{llmrouter.TextPart("Hi")},
		Reasoning: []llmrouter.ReasoningBlock{
			{Provider: "openrouter", Text: "t", Signature: "s"},
			{Provider: "openrouter", Redacted: "r", Raw: "not json"},
		}}, llmrouter.User("again"))
	body := captureRequest(t, false, testDeployment, req, OpenRouter()).body
	assert.Contains(t, string(body), `"reasoning_details":[{"type":"reasoning.text","text":"t","signature":"s"},{"type":"reasoning.encrypted","data":"r"}]`)
}
