package gemini_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

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

// Vertex AI takes short-lived OAuth 2 access tokens: the provider asks the
// source for one when the last is about to expire. Here a stand-in
// source; golang.org/x/oauth2's google.DefaultTokenSource adapts in a line
// (its Token's AccessToken and Expiry).
func ExampleWithTokenSource() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Header.Get("Authorization"), r.Header.Get("x-goog-api-key") == "")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"candidates":[{"content":{"role":"model","parts":[{"text":"Hi."}]},"finishReason":"STOP"}]}`)
	}))
	defer srv.Close()

	fetches := 0
	src := func(context.Context) (string, time.Time, error) {
		fetches++
		return "ya29.example", time.Now().Add(time.Hour), nil
	}
	p := gemini.New(gemini.WithTokenSource(src), gemini.WithBaseURL(srv.URL), gemini.WithAPIVersion("v1"))
	d := &llmrouter.Deployment{Name: "vertex-flash", Provider: p,
		Model: "projects/my-project/locations/us-central1/publishers/google/models/gemini-2.5-flash"}
	for range 2 {
		if _, err := p.Chat(context.Background(), d, &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("Hello!")}}); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("token fetched", fetches, "time")
	// Output:
	// Bearer ya29.example true
	// Bearer ya29.example true
	// token fetched 1 time
}
