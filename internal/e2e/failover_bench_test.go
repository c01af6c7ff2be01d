package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/openai"
)

// The failover benchmarks: the primary answers 500, the secondary 200.
// BenchmarkFailoverRouter routes through llmrouter with the OpenAI adapter;
// BenchmarkFailoverHandWritten makes the same two calls with net/http and
// encoding/json, as a service without a router would. Same server, same
// transport; compare ns/op and allocs/op within one run.

func failoverServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if bytes.Contains(body, []byte(`"model":"primary"`)) {
			w.WriteHeader(500)
			io.WriteString(w, `{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`)
			return
		}
		fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1741569952,"model":"secondary","choices":[{"index":0,"message":{"role":"assistant","content":%q,"refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":35,"completion_tokens":9,"total_tokens":44}}`, "Paris is the capital of France.")
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}}
}

func BenchmarkFailoverRouter(b *testing.B) {
	srv := failoverServer(b)
	client := benchClient()
	p := openai.New(openai.WithBaseURL(srv.URL), openai.WithAPIKey("sk-bench"), openai.WithHTTPClient(client))
	r, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "primary", Provider: p},
			llmrouter.Deployment{Name: "secondary", Provider: p},
		),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"primary"}, {"secondary"}}}),
		llmrouter.WithBreaker(llmrouter.BreakerPolicy{Disabled: true}),
	)
	if err != nil {
		b.Fatal(err)
	}
	req := &llmrouter.Request{Model: "chat", MaxOutputTokens: 256, Messages: []llmrouter.Message{
		llmrouter.System("You are a helpful assistant."), llmrouter.User("What is the capital of France?")}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := r.Chat(ctx, req)
		if err != nil || resp.Deployment != "secondary" {
			b.Fatal(resp, err)
		}
	}
}

type hwMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type hwRequest struct {
	Model               string      `json:"model"`
	Messages            []hwMessage `json:"messages"`
	MaxCompletionTokens int         `json:"max_completion_tokens,omitempty"`
}

type hwResponse struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

type hwError struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	} `json:"error"`
}

// hwChat is a hand-written Chat Completions call: the minimum a service
// writes itself (encode, post, check the status, decode).
func hwChat(ctx context.Context, client *http.Client, url, model string, msgs []hwMessage) (*hwResponse, error) {
	body, err := json.Marshal(&hwRequest{Model: model, Messages: msgs, MaxCompletionTokens: 256})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk-bench")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e hwError
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, e.Error.Message)
	}
	var out hwResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

func BenchmarkFailoverHandWritten(b *testing.B) {
	srv := failoverServer(b)
	client := benchClient()
	msgs := []hwMessage{{"system", "You are a helpful assistant."}, {"user", "What is the capital of France?"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hwChat(ctx, client, srv.URL, "primary", msgs); err == nil || !strings.Contains(err.Error(), "500") {
			b.Fatal(err)
		}
		out, err := hwChat(ctx, client, srv.URL, "secondary", msgs)
		if err != nil || out.Choices[0].Message.Content == "" {
			b.Fatal(err)
		}
	}
}
