package anthropic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

func errBody(typ, msg string) string {
	return fmt.Sprintf(`{"type":"error","error":{"type":%q,"message":%q},"request_id":"req_body"}`, typ, msg)
}

func TestErrorClasses(t *testing.T) {
	now := time.Date(2025, 8, 21, 12, 40, 0, 0, time.UTC)
	defer func(f func() time.Time) { nowFunc = f }(nowFunc)
	nowFunc = func() time.Time { return now }
	tests := []struct {
		name   string
		status int
		body   string
		header []string
		kind   llmrouter.Kind
		class  llmrouter.Class // effective
		retry  time.Duration
		reqID  string
	}{
		{"bad request", 400, errBody("invalid_request_error", "max_tokens: Field required"), nil,
			llmrouter.KindBadRequest, llmrouter.ClassStop, 0, "req_body"},
		{"prompt too long", 400, errBody("invalid_request_error", "prompt is too long: 203470 tokens > 200000 maximum"), nil,
			llmrouter.KindContextLength, llmrouter.ClassFailover, 0, "req_body"},
		{"input plus max_tokens", 400, errBody("invalid_request_error", "input length and `max_tokens` exceed context limit: 142422 + 64000 > 204658, decrease input length or `max_tokens` and try again"), nil,
			llmrouter.KindContextLength, llmrouter.ClassFailover, 0, "req_body"},
		{"credit balance", 400, errBody("invalid_request_error", "Your credit balance is too low to access the Anthropic API."), nil,
			llmrouter.KindBilling, llmrouter.ClassFailover, 0, "req_body"},
		{"usage limits", 400, errBody("invalid_request_error", "You have reached your specified API usage limits. You will regain access on 2025-09-01 at 00:00 UTC."), nil,
			llmrouter.KindBilling, llmrouter.ClassFailover, 0, "req_body"},
		{"auth", 401, errBody("authentication_error", "invalid x-api-key"), []string{"Request-Id", "req_header"},
			llmrouter.KindAuth, llmrouter.ClassFailover, 0, "req_header"},
		{"billing", 402, errBody("billing_error", "payment required"), nil,
			llmrouter.KindBilling, llmrouter.ClassFailover, 0, "req_body"},
		{"permission", 403, errBody("permission_error", "no access to model"), nil,
			llmrouter.KindAuth, llmrouter.ClassFailover, 0, "req_body"},
		{"not found", 404, errBody("not_found_error", "model: claude-nope"), nil,
			llmrouter.KindNotFound, llmrouter.ClassFailover, 0, "req_body"},
		{"too large from cloudflare, html", 413, "<html><body><h1>413 Request Entity Too Large</h1></body></html>", nil,
			llmrouter.KindContextLength, llmrouter.ClassFailover, 0, ""},
		{"rate limit, retry-after", 429, errBody("rate_limit_error", "rate limit"), []string{"Retry-After", "7"},
			llmrouter.KindRateLimited, llmrouter.ClassRetry, 7 * time.Second, "req_body"},
		{"rate limit, retry-after-ms", 429, errBody("rate_limit_error", "rate limit"), []string{"Retry-After-Ms", "1500", "Retry-After", "2"},
			llmrouter.KindRateLimited, llmrouter.ClassRetry, 1500 * time.Millisecond, "req_body"},
		{"rate limit, reset header only", 429, errBody("rate_limit_error", "rate limit"), []string{
			"Anthropic-Ratelimit-Tokens-Remaining", "0", "Anthropic-Ratelimit-Tokens-Reset", "2025-08-21T12:40:30Z",
			"Anthropic-Ratelimit-Requests-Remaining", "10", "Anthropic-Ratelimit-Requests-Reset", "2025-08-21T12:40:50Z"},
			llmrouter.KindRateLimited, llmrouter.ClassRetry, 30 * time.Second, "req_body"},
		{"spend limit", 429, `{"type":"error","error":{"type":"rate_limit_error","message":"limit","details":{"error_code":"enforced_spend_limit_reached"}}}`, nil,
			llmrouter.KindBilling, llmrouter.ClassFailover, 0, ""},
		{"api error", 500, errBody("api_error", "Internal server error"), nil,
			llmrouter.KindServer, llmrouter.ClassRetry, 0, "req_body"},
		{"bad gateway, no body", 502, "", nil,
			llmrouter.KindServer, llmrouter.ClassRetry, 0, ""},
		{"timeout", 504, errBody("timeout_error", "Request timed out"), nil,
			llmrouter.KindTimeout, llmrouter.ClassRetry, 0, "req_body"},
		{"overloaded", 529, errBody("overloaded_error", "Overloaded"), nil,
			llmrouter.KindServer, llmrouter.ClassRetry, 0, "req_body"},
		{"overloaded, no body", 529, "", nil,
			llmrouter.KindServer, llmrouter.ClassRetry, 0, ""},
		{"overloaded, x-should-retry false", 529, errBody("overloaded_error", "Overloaded"), []string{"X-Should-Retry", "false"},
			llmrouter.KindServer, llmrouter.ClassFailover, 0, "req_body"},
		{"unprocessable, x-should-retry true", 422, errBody("invalid_request_error", "unprocessable"), []string{"X-Should-Retry", "true"},
			llmrouter.KindBadRequest, llmrouter.ClassRetry, 0, "req_body"},
		{"conflict", 409, errBody("invalid_request_error", "conflict"), nil,
			llmrouter.KindServer, llmrouter.ClassRetry, 0, "req_body"},
		{"unknown type, status decides", 503, errBody("new_error_type", "something"), nil,
			llmrouter.KindServer, llmrouter.ClassRetry, 0, "req_body"},
		{"invalid_request_error on 408", 408, errBody("invalid_request_error", "request timeout"), nil,
			llmrouter.KindTimeout, llmrouter.ClassRetry, 0, "req_body"},
		{"not json", 400, "Bad Request", nil,
			llmrouter.KindBadRequest, llmrouter.ClassStop, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := serve(t, jsonBody(tt.status, tt.body, tt.header...))
			_, err := p.Chat(ctxT(t), testDeployment, userRequest())
			var pe *llmrouter.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v; want a *ProviderError", err)
			}
			if pe.Kind != tt.kind || pe.EffectiveClass() != tt.class || pe.RetryAfter != tt.retry ||
				pe.RequestID != tt.reqID || pe.StatusCode != tt.status || pe.Provider != "anthropic" || pe.Deployment != "claude" {
				t.Errorf("got %+v (class %v)\nwant kind %v, class %v, retry after %v, request id %q, status %d",
					pe, pe.EffectiveClass(), tt.kind, tt.class, tt.retry, tt.reqID, tt.status)
			}
			if pe.Message == "" {
				t.Errorf("no message: %+v", pe)
			}
		})
	}
}

func TestInStreamErrorClasses(t *testing.T) {
	tests := []struct {
		data string
		kind llmrouter.Kind
	}{
		{errBody("overloaded_error", "Overloaded"), llmrouter.KindServer},
		{errBody("api_error", "Internal server error"), llmrouter.KindServer},
		{errBody("rate_limit_error", "rate limit"), llmrouter.KindRateLimited},
		{errBody("invalid_request_error", "prompt is too long: 1 tokens > 0 maximum"), llmrouter.KindContextLength},
		{errBody("brand_new_error", "?"), llmrouter.KindServer},
		{`{"type":"error"}`, llmrouter.KindMalformed},
		{`not json`, llmrouter.KindMalformed},
	}
	for _, tt := range tests {
		pe := decodeStreamError([]byte(tt.data))
		if pe.Kind != tt.kind || pe.Provider != "anthropic" {
			t.Errorf("%s: %+v; want kind %v", tt.data, pe, tt.kind)
		}
	}
}

func TestErrorsNeverRevealKey(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-Api-Key")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key %s"}}`, key)
	}
	echoStream := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "event: error\ndata: %s\n\n", errBody("api_error", "bad key "+r.Header.Get("X-Api-Key")))
	}
	echoHTML := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(502)
		fmt.Fprintf(w, "<html>upstream said %s</html>", r.Header.Get("X-Api-Key"))
	}
	echoLong := func(w http.ResponseWriter, r *http.Request) {
		// The key straddles the point where long messages are clipped.
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"type":"error","error":{"type":"invalid_request_error","message":"%s%s"}}`,
			strings.Repeat("x", wire.MaxMessage-10), r.Header.Get("X-Api-Key"))
	}
	for name, h := range map[string]http.HandlerFunc{"json": echo, "stream": echoStream, "html": echoHTML, "long": echoLong} {
		t.Run(name, func(t *testing.T) {
			p := serve(t, h)
			_, err := p.Chat(ctxT(t), testDeployment, userRequest())
			if err == nil {
				var st llmrouter.ChunkStream
				if st, err = p.Stream(ctxT(t), testDeployment, userRequest()); err == nil {
					err = drainStream(st).err
				}
			}
			if err == nil {
				t.Fatal("no error")
			}
			var pe *llmrouter.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("%v is not a *ProviderError", err)
			}
			all := fmt.Sprintf("%v %+v", err, *pe)
			if strings.Contains(all, testKey[:10]) || strings.Contains(all, testKey[8:]) {
				t.Errorf("error reveals the key: %s", all)
			}
		})
	}
	// A transport error: the key is in a header, never in the URL, but check.
	p := New(WithAPIKey(testKey), WithBaseURL("http://127.0.0.1:1"))
	_, err := p.Chat(context.Background(), testDeployment, userRequest())
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) || pe.Kind != llmrouter.KindTransport || strings.Contains(err.Error(), testKey) {
		t.Errorf("connection refused: %v; want a transport *ProviderError without the key", err)
	}
}

func TestContextEnds(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the server notices a gone client only once the body is read
		<-r.Context().Done()
	}
	p := serve(t, hang)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err := p.Chat(ctx, testDeployment, userRequest())
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) || pe.Kind != llmrouter.KindCanceled {
		t.Errorf("canceled Chat: %v; want KindCanceled", err)
	}
	ctx, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	_, err = p.Chat(ctx, testDeployment, userRequest())
	if !errors.As(err, &pe) || pe.Kind != llmrouter.KindTimeout {
		t.Errorf("timed-out Chat: %v; want KindTimeout", err)
	}
}
