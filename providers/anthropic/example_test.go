package anthropic_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/anthropic"
)

func Example() {
	// A stand-in for api.anthropic.com.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Anthropic-Ratelimit-Requests-Remaining", "49")
		_, _ = io.WriteString(w, `{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5",`+
			`"content":[{"type":"text","text":"Bonjour !"}],"stop_reason":"end_turn","stop_sequence":null,`+
			`"usage":{"input_tokens":9,"cache_read_input_tokens":1200,"output_tokens":5}}`)
	}))
	defer srv.Close()

	p := anthropic.New(anthropic.WithAPIKey("sk-ant-..."), anthropic.WithBaseURL(srv.URL))
	d := &llmrouter.Deployment{Name: "claude", Provider: p, Model: "claude-sonnet-4-5", MaxOutputTokens: 1024}
	resp, err := p.Chat(context.Background(), d, &llmrouter.Request{
		Model:    "claude",
		Messages: []llmrouter.Message{llmrouter.System("Answer in French."), llmrouter.User("Say hello.")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Text, resp.FinishReason)
	fmt.Printf("input %d (cached %d), output %d\n", resp.Usage.InputTokens, resp.Usage.CachedInputTokens, resp.Usage.OutputTokens)
	fmt.Println("requests left:", resp.RateLimit.RemainingRequests)
	// Output:
	// Bonjour ! stop
	// input 1209 (cached 1200), output 5
	// requests left: 49
}
