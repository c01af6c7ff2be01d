package openai

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

func asProviderError(err error, pe **llmrouter.ProviderError) bool { return errors.As(err, pe) }

func TestErrorClasses(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		body    string // a fixture name (ends in .json/.txt) or the body itself
		headers []string
		kind    llmrouter.Kind
		class   llmrouter.Class // effective
		code    string
		retry   time.Duration
	}{
		{"bad request", 400, "error_invalid_param.json", nil, llmrouter.KindBadRequest, llmrouter.ClassStop, "decimal_above_max_value", 0},
		{"context length", 400, "error_context_length.json", nil, llmrouter.KindContextLength, llmrouter.ClassFailover, "context_length_exceeded", 0},
		{"vllm old shape", 400, "error_vllm_old.json", nil, llmrouter.KindContextLength, llmrouter.ClassFailover, "BadRequestError", 0},
		{"vllm new shape", 404, "error_vllm_new.json", nil, llmrouter.KindNotFound, llmrouter.ClassFailover, "NotFoundError", 0},
		{"azure content filter", 400, "error_azure_content_filter.json", nil, llmrouter.KindContentPolicy, llmrouter.ClassStop, "prompt_blocked", 0},
		{"content policy violation", 400, `{"error":{"message":"Your request was rejected as a result of our safety system.","type":"invalid_request_error","code":"content_policy_violation"}}`, nil, llmrouter.KindContentPolicy, llmrouter.ClassStop, "prompt_blocked", 0},
		{"auth 401", 401, "error_invalid_api_key.json", nil, llmrouter.KindAuth, llmrouter.ClassFailover, "invalid_api_key", 0},
		{"auth 403", 403, `{"error":{"message":"Country, region, or territory not supported","type":"request_forbidden","code":"unsupported_country_region_territory"}}`, nil, llmrouter.KindAuth, llmrouter.ClassFailover, "unsupported_country_region_territory", 0},
		{"billing 402", 402, `{"error":{"message":"Insufficient credits","code":402}}`, nil, llmrouter.KindBilling, llmrouter.ClassFailover, "", 0},
		{"not found", 404, "error_model_not_found.json", nil, llmrouter.KindNotFound, llmrouter.ClassFailover, "model_not_found", 0},
		{"ollama not found", 404, "error_ollama.json", nil, llmrouter.KindNotFound, llmrouter.ClassFailover, "not_found_error", 0},
		{"timeout 408", 408, `{"error":{"message":"Request timed out."}}`, nil, llmrouter.KindTimeout, llmrouter.ClassRetry, "", 0},
		{"conflict 409", 409, `{"error":{"message":"conflict"}}`, nil, llmrouter.KindServer, llmrouter.ClassRetry, "", 0},
		{"too large 413", 413, "request entity too large", nil, llmrouter.KindContextLength, llmrouter.ClassFailover, "", 0},
		{"rate limited retry-after", 429, "error_rate_limit.json", []string{"Retry-After", "3"}, llmrouter.KindRateLimited, llmrouter.ClassRetry, "rate_limit_exceeded", 3 * time.Second},
		{"rate limited retry-after-ms", 429, "error_rate_limit.json", []string{"Retry-After-Ms", "1500", "Retry-After", "3"}, llmrouter.KindRateLimited, llmrouter.ClassRetry, "rate_limit_exceeded", 1500 * time.Millisecond},
		{"rate limited azure ms", 429, "error_rate_limit.json", []string{"X-Ms-Retry-After-Ms", "250"}, llmrouter.KindRateLimited, llmrouter.ClassRetry, "rate_limit_exceeded", 250 * time.Millisecond},
		{"rate limited reset tokens", 429, "error_rate_limit.json", []string{"X-Ratelimit-Remaining-Requests", "499", "X-Ratelimit-Remaining-Tokens", "0", "X-Ratelimit-Reset-Requests", "120ms", "X-Ratelimit-Reset-Tokens", "6m0s"}, llmrouter.KindRateLimited, llmrouter.ClassRetry, "rate_limit_exceeded", 6 * time.Minute},
		{"rate limited reset requests", 429, "error_rate_limit.json", []string{"X-Ratelimit-Remaining-Requests", "0", "X-Ratelimit-Remaining-Tokens", "1000", "X-Ratelimit-Reset-Requests", "1s", "X-Ratelimit-Reset-Tokens", "20ms"}, llmrouter.KindRateLimited, llmrouter.ClassRetry, "rate_limit_exceeded", time.Second},
		{"rate limited message only", 429, "error_rate_limit.json", nil, llmrouter.KindRateLimited, llmrouter.ClassRetry, "rate_limit_exceeded", 644 * time.Millisecond},
		{"request too large for TPM", 429, "error_request_too_large.json", nil, llmrouter.KindRateLimited, llmrouter.ClassFailover, "rate_limit_exceeded", 0},
		{"insufficient quota", 429, "error_insufficient_quota.json", []string{"Retry-After", "20"}, llmrouter.KindBilling, llmrouter.ClassFailover, "insufficient_quota", 20 * time.Second},
		{"insufficient quota old null code", 429, `{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":null}}`, nil, llmrouter.KindBilling, llmrouter.ClassFailover, "insufficient_quota", 0},
		{"server 500", 500, "error_server.json", nil, llmrouter.KindServer, llmrouter.ClassRetry, "server_error", 0},
		{"bad gateway plain", 502, "error_plain.txt", nil, llmrouter.KindServer, llmrouter.ClassRetry, "", 0},
		{"unavailable html", 503, "<html><body>Service Unavailable</body></html>", []string{"Retry-After", "Wed, 21 Oct 2099 07:28:00 GMT"}, llmrouter.KindServer, llmrouter.ClassRetry, "", -1},
		{"overloaded 529", 529, `{"error":{"message":"Overloaded","type":"overloaded_error"}}`, nil, llmrouter.KindServer, llmrouter.ClassRetry, "overloaded_error", 0},
		{"error string", 400, `{"error":"model is required"}`, nil, llmrouter.KindBadRequest, llmrouter.ClassStop, "", 0},
		{"fastapi detail", 422, `{"detail":"Extra inputs are not permitted"}`, nil, llmrouter.KindBadRequest, llmrouter.ClassStop, "", 0},
		{"empty body", 500, "", nil, llmrouter.KindServer, llmrouter.ClassRetry, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if strings.HasSuffix(body, ".json") || strings.HasSuffix(body, ".txt") {
				body = string(readFixture(t, body))
			}
			headers := append([]string{"X-Request-Id", "req_42"}, tc.headers...)
			p, _ := newTestServer(t, serveJSON(tc.status, body, headers...))
			for _, op := range []string{"Chat", "Stream"} {
				var err error
				if op == "Chat" {
					_, err = p.Chat(ctx10s(t), testDeployment(p), simpleRequest())
				} else {
					_, err = p.Stream(ctx10s(t), testDeployment(p), simpleRequest())
				}
				var pe *llmrouter.ProviderError
				if !errors.As(err, &pe) {
					t.Fatalf("%s: err = %v; want a *ProviderError", op, err)
				}
				if pe.Kind != tc.kind || pe.EffectiveClass() != tc.class || pe.Code != tc.code ||
					pe.StatusCode != tc.status || pe.Provider != "openai" || pe.Deployment != "dep" || pe.RequestID != "req_42" {
					t.Errorf("%s: got kind %v class %v code %q status %d provider %q deployment %q request %q; want %v %v %q %d",
						op, pe.Kind, pe.EffectiveClass(), pe.Code, pe.StatusCode, pe.Provider, pe.Deployment, pe.RequestID, tc.kind, tc.class, tc.code, tc.status)
				}
				switch {
				case tc.retry < 0 && pe.RetryAfter <= 24*time.Hour:
					t.Errorf("%s: RetryAfter = %v; want the time until 2099", op, pe.RetryAfter)
				case tc.retry >= 0 && pe.RetryAfter != tc.retry:
					t.Errorf("%s: RetryAfter = %v; want %v", op, pe.RetryAfter, tc.retry)
				}
				if pe.Message == "" {
					t.Errorf("%s: no message", op)
				}
			}
		})
	}
}

func TestErrorsNeverShowKey(t *testing.T) {
	key := providertest.APIKey
	bodies := []string{
		`{"error":{"message":"bad key ` + key + `","code":"invalid_api_key"}}`,
		`{"error":{"message":"bad key ` + key[3:] + `","code":"` + key + `"}}`,
		`plain text with ` + key,
		`{"object":"error","message":"` + key + `","type":"` + key + `","code":401}`,
	}
	for _, body := range bodies {
		p, _ := newTestServer(t, serveJSON(401, body))
		_, err := p.Chat(ctx10s(t), testDeployment(p), simpleRequest())
		if err == nil || strings.Contains(err.Error(), key[8:]) {
			t.Errorf("error shows the key: %v", err)
		}
		var pe *llmrouter.ProviderError
		if errors.As(err, &pe) && (strings.Contains(pe.Message, key[8:]) || strings.Contains(pe.Code, key[8:])) {
			t.Errorf("error fields show the key: %+v", pe)
		}
	}
	// A custom Authorization header is a secret too.
	p, _ := newTestServer(t, serveJSON(401, `{"error":{"message":"token tok-abcdefghijklmnop rejected"}}`),
		WithAPIKey(""), WithHeader("Authorization", "Bearer tok-abcdefghijklmnop"))
	_, err := p.Chat(ctx10s(t), testDeployment(p), simpleRequest())
	if err == nil || strings.Contains(err.Error(), "tok-abcdefghijklmnop") {
		t.Errorf("error shows the token: %v", err)
	}
}

func TestTransportErrors(t *testing.T) {
	// A server that is not there.
	p := New(WithAPIKey(providertest.APIKey), WithBaseURL("http://127.0.0.1:1/v1"))
	_, err := p.Chat(ctx10s(t), testDeployment(p), simpleRequest())
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) || pe.Kind != llmrouter.KindTransport {
		t.Fatalf("err = %v; want transport", err)
	}
	// A body cut short.
	p2, _ := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{"choices":[`))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	})
	_, err = p2.Chat(ctx10s(t), testDeployment(p2), simpleRequest())
	if !errors.As(err, &pe) || pe.Kind != llmrouter.KindTransport {
		t.Fatalf("cut body: err = %v; want transport", err)
	}
	// A 200 carrying an error object (OpenRouter does this).
	p3, _ := newTestServer(t, serveJSON(200, `{"error":{"message":"Rate limit exceeded: free-models-per-day","code":429}}`))
	_, err = p3.Chat(ctx10s(t), testDeployment(p3), simpleRequest())
	if !errors.As(err, &pe) || pe.Kind != llmrouter.KindRateLimited {
		t.Fatalf("200 with error: err = %v; want rate limited", err)
	}
}
