// Command customprovider plugs a provider of your own into the router: an
// in-house model server with its own JSON API. The adapter classifies its
// failures once, as *llmrouter.ProviderError, and the router does the rest
// (retries, failover, quotas, lineage). It runs against a local server that
// fails its first call.
//
//	go run ./examples/customprovider
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
)

// inHouse speaks the in-house server's API: POST /generate {"model","prompt"}
// answers {"text","tokens_in","tokens_out"}.
type inHouse struct {
	baseURL string
	client  *http.Client
}

func (p *inHouse) Name() string { return "inhouse" }

// HonorsContext declares that every call ends when its context does (the
// HTTP request is made with it), so the router calls this provider
// directly instead of guarding each call with a goroutine of its own.
// providertest.Run checks the claim.
func (p *inHouse) HonorsContext() bool { return true }

func (p *inHouse) Chat(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (*llmrouter.Response, error) {
	var prompt strings.Builder
	for _, m := range req.Messages {
		prompt.WriteString(string(m.Role) + ": " + m.Text() + "\n")
	}
	body, _ := json.Marshal(map[string]string{"model": d.UpstreamModel(), "prompt": prompt.String()})
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, p.baseURL+"/generate", bytes.NewReader(body))
	if err != nil {
		return nil, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Err: err}
	}
	resp, err := p.client.Do(hreq)
	if err != nil {
		kind := llmrouter.KindTransport
		if errors.Is(err, context.Canceled) {
			kind = llmrouter.KindCanceled
		} else if errors.Is(err, context.DeadlineExceeded) {
			kind = llmrouter.KindTimeout
		}
		return nil, &llmrouter.ProviderError{Kind: kind, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Classify once, here: the router acts on the kind only.
		kind := llmrouter.KindServer
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			kind = llmrouter.KindRateLimited
		case resp.StatusCode == http.StatusUnauthorized:
			kind = llmrouter.KindAuth
		case resp.StatusCode < 500:
			kind = llmrouter.KindBadRequest
		}
		return nil, &llmrouter.ProviderError{Kind: kind, StatusCode: resp.StatusCode, Message: resp.Status}
	}
	var out struct {
		Text      string `json:"text"`
		TokensIn  int    `json:"tokens_in"`
		TokensOut int    `json:"tokens_out"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, &llmrouter.ProviderError{Kind: llmrouter.KindMalformed, Err: err}
	}
	return &llmrouter.Response{Text: out.Text, FinishReason: llmrouter.FinishStop,
		Usage: llmrouter.Usage{InputTokens: out.TokensIn, OutputTokens: out.TokensOut}}, nil
}

// Stream is not offered by this server: the router never streams from a
// deployment that declares capabilities without CapStreaming.
func (p *inHouse) Stream(context.Context, *llmrouter.Deployment, *llmrouter.Request) (llmrouter.ChunkStream, error) {
	return nil, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Class: llmrouter.ClassFailover, Message: "streaming not supported"}
}

func main() {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "warming up", http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"text": "42", "tokens_in": 9, "tokens_out": 1})
	}))
	defer srv.Close()

	router, err := llmrouter.New(
		llmrouter.WithDeployments(
			llmrouter.Deployment{Name: "inhouse-llama", Provider: &inHouse{baseURL: srv.URL, client: srv.Client()},
				Model: "llama-3.3-70b", Region: "onprem", Retention: llmrouter.ZeroRetention, Capabilities: llmrouter.CapJSON},
			llmrouter.Deployment{Name: "backup", Provider: fake.New("openai"), Model: "gpt-4.1-mini"},
		),
		llmrouter.WithRoute("answer", llmrouter.Route{Tiers: [][]string{{"inhouse-llama"}, {"backup"}}}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{InitialBackoff: 20 * time.Millisecond}),
	)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := router.Chat(context.Background(), &llmrouter.Request{
		Model:    "answer",
		Messages: []llmrouter.Message{llmrouter.User("What is six times seven?")},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s (from %s after %d calls to the in-house server; %d tokens)\n",
		resp.Text, resp.Deployment, calls.Load(), resp.Usage.Total())
}
