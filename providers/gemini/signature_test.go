package gemini

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
)

const signedCall = `{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"CiQBsig-of-the-model"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":3,"totalTokenCount":8}}`

// TestThoughtSignatureRoundTrip: the signature Gemini issues with a call is
// read into ToolCall.Signature and sent back with that call, in place of
// the placeholder.
func TestThoughtSignatureRoundTrip(t *testing.T) {
	resp, pe := decodeResponse([]byte(signedCall))
	if pe != nil {
		t.Fatal(pe)
	}
	if len(resp.ToolCalls) != 1 || resp.ToolCalls[0].Signature != "CiQBsig-of-the-model" {
		t.Fatalf("tool calls = %+v; want the call with its signature", resp.ToolCalls)
	}

	p := New(WithAPIKey("k"))
	d := &llmrouter.Deployment{Name: "g3", Model: "gemini-3-pro-preview"}
	req := &llmrouter.Request{Model: "g3", Messages: []llmrouter.Message{
		llmrouter.User("Weather in Paris?"),
		{Role: llmrouter.RoleAssistant, ToolCalls: resp.ToolCalls},
		llmrouter.ToolResult(resp.ToolCalls[0].ID, `{"temp":21}`),
	}}
	body, pe := p.encodeRequest(d, req)
	if pe != nil {
		t.Fatal(pe)
	}
	if !strings.Contains(string(body), `"thoughtSignature":"CiQBsig-of-the-model"`) {
		t.Errorf("the model's signature is not replayed: %s", body)
	}
	if strings.Contains(string(body), DefaultThoughtSignature) {
		t.Errorf("the placeholder replaced a real signature: %s", body)
	}

	// A call without a signature still gets the placeholder.
	req.Messages[1].ToolCalls = []llmrouter.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"city":"Paris"}`}}
	req.Messages[2].ToolCallID = "c1"
	body, pe = p.encodeRequest(d, req)
	if pe != nil {
		t.Fatal(pe)
	}
	if !strings.Contains(string(body), `"thoughtSignature":"`+DefaultThoughtSignature+`"`) {
		t.Errorf("no placeholder for an unsigned call: %s", body)
	}
}

func TestThoughtSignatureInStream(t *testing.T) {
	body := io.NopCloser(strings.NewReader("data: " + signedCall + "\n\n"))
	s := newStream(context.Background(), New(), &llmrouter.Deployment{Name: "g3", Model: "gemini-3-pro-preview"}, body)
	defer s.Close()
	var sig string
	for s.Next() {
		for _, d := range s.Current().ToolCalls {
			sig += d.Signature
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if sig != "CiQBsig-of-the-model" {
		t.Errorf("stream signature = %q", sig)
	}
}
