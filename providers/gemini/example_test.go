package gemini_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/gemini"
)

func Example() {
	// A stand-in for generativelanguage.googleapis.com.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.URL.Path, r.Header.Get("x-goog-api-key") != "")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"candidates":[{"content":{"role":"model","parts":[{"text":"Bonjour !"}]},"finishReason":"STOP"}],`+
			`"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":3,"thoughtsTokenCount":20},`+
			`"modelVersion":"gemini-2.5-flash","responseId":"abc123"}`)
	}))
	defer srv.Close()

	p := gemini.New(gemini.WithAPIKey("my-key"), gemini.WithBaseURL(srv.URL))
	d := &llmrouter.Deployment{Name: "flash", Provider: p, Model: "gemini-2.5-flash"}
	resp, err := p.Chat(context.Background(), d, &llmrouter.Request{
		Model:    "chat",
		Messages: []llmrouter.Message{llmrouter.System("Answer in French."), llmrouter.User("Hello!")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Text, resp.FinishReason, resp.Model)
	fmt.Printf("in %d, out %d (reasoning %d)\n", resp.Usage.InputTokens, resp.Usage.OutputTokens, resp.Usage.ReasoningTokens)
	// Output:
	// /v1beta/models/gemini-2.5-flash:generateContent true
	// Bonjour ! stop gemini-2.5-flash
	// in 9, out 23 (reasoning 20)
}
