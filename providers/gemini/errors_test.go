package gemini

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string // fixture file, or a literal body
		header     http.Header
		kind       llmrouter.Kind
		class      llmrouter.Class
		code       string
		retryAfter time.Duration
	}{
		{"rate limited with RetryInfo", 429, "error_rate_limited.json", nil, llmrouter.KindRateLimited, llmrouter.ClassRetry, "RESOURCE_EXHAUSTED", 37 * time.Second},
		{"daily quota fails over", 429, "error_daily_quota.json", nil, llmrouter.KindRateLimited, llmrouter.ClassFailover, "RESOURCE_EXHAUSTED", 1500 * time.Millisecond},
		{"quota of zero fails over", 429, `{"error":{"code":429,"message":"Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-3-pro\nPlease retry in 45.578569677s.","status":"RESOURCE_EXHAUSTED"}}`, nil, llmrouter.KindRateLimited, llmrouter.ClassFailover, "RESOURCE_EXHAUSTED", 45578569677 * time.Nanosecond},
		{"credits depleted", 429, `{"error":{"code":429,"message":"Your prepayment credits are depleted. Please go to AI Studio to manage your project and billing.","status":"RESOURCE_EXHAUSTED"}}`, nil, llmrouter.KindBilling, llmrouter.ClassFailover, "RESOURCE_EXHAUSTED", 0},
		{"429 with Retry-After header", 429, `{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}`, http.Header{"Retry-After": {"3"}}, llmrouter.KindRateLimited, llmrouter.ClassRetry, "RESOURCE_EXHAUSTED", 3 * time.Second},
		{"array envelope", 429, "error_array.json", nil, llmrouter.KindRateLimited, llmrouter.ClassRetry, "RESOURCE_EXHAUSTED", 0},
		{"API_KEY_INVALID", 400, "error_api_key_invalid.json", nil, llmrouter.KindAuth, llmrouter.ClassFailover, "API_KEY_INVALID", 0},
		{"invalid argument", 400, "error_invalid_argument.json", nil, llmrouter.KindBadRequest, llmrouter.ClassStop, "INVALID_ARGUMENT", 0},
		{"context length", 400, "error_context_length.json", nil, llmrouter.KindContextLength, llmrouter.ClassFailover, "INVALID_ARGUMENT", 0},
		{"payload too large fails over", 400, `{"error":{"code":400,"message":"Request payload size exceeds the limit: 20971520 bytes.","status":"INVALID_ARGUMENT"}}`, nil, llmrouter.KindContextLength, llmrouter.ClassFailover, "INVALID_ARGUMENT", 0},
		{"huge RetryInfo saturates", 429, `{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"99999999999999s"}]}}`, nil, llmrouter.KindRateLimited, llmrouter.ClassRetry, "RESOURCE_EXHAUSTED", time.Duration(math.MaxInt64)},
		{"garbage RetryInfo ignored", 429, `{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"NaNs"}]}}`, http.Header{"Retry-After": {"2"}}, llmrouter.KindRateLimited, llmrouter.ClassRetry, "RESOURCE_EXHAUSTED", 2 * time.Second},
		{"location not supported", 400, "error_location.json", nil, llmrouter.KindAuth, llmrouter.ClassFailover, "FAILED_PRECONDITION", 0},
		{"billing required", 400, "error_billing.json", nil, llmrouter.KindBilling, llmrouter.ClassFailover, "FAILED_PRECONDITION", 0},
		{"permission denied", 403, "error_permission_denied.json", nil, llmrouter.KindAuth, llmrouter.ClassFailover, "PERMISSION_DENIED", 0},
		{"unauthenticated", 401, "error_unauthenticated.json", nil, llmrouter.KindAuth, llmrouter.ClassFailover, "UNAUTHENTICATED", 0},
		{"model not found", 404, "error_not_found.json", nil, llmrouter.KindNotFound, llmrouter.ClassFailover, "NOT_FOUND", 0},
		{"internal", 500, "error_internal.json", nil, llmrouter.KindServer, llmrouter.ClassRetry, "INTERNAL", 0},
		{"unavailable", 503, "error_unavailable.json", nil, llmrouter.KindServer, llmrouter.ClassRetry, "UNAVAILABLE", 0},
		{"deadline exceeded", 504, "error_deadline.json", nil, llmrouter.KindTimeout, llmrouter.ClassRetry, "DEADLINE_EXCEEDED", 0},
		{"HTML from a proxy", 502, "<html><body>Bad Gateway</body></html>", nil, llmrouter.KindServer, llmrouter.ClassRetry, "", 0},
		{"empty 429 body", 429, "", http.Header{"Retry-After": {"7"}}, llmrouter.KindRateLimited, llmrouter.ClassRetry, "", 7 * time.Second},
		{"unknown status string", 400, `{"error":{"code":400,"message":"odd","status":"SOMETHING_NEW"}}`, nil, llmrouter.KindBadRequest, llmrouter.ClassStop, "SOMETHING_NEW", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if strings.HasSuffix(body, ".json") {
				body = readFixture(t, body)
			}
			for _, op := range []string{"Chat", "Stream"} {
				p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
					for k, v := range tt.header {
						w.Header()[k] = v
					}
					if strings.HasPrefix(body, "<") {
						w.Header().Set("Content-Type", "text/html")
						w.WriteHeader(tt.status)
						_, _ = w.Write([]byte(body))
						return
					}
					writeJSON(w, tt.status, body)
				})
				d := deployment(p, "gemini-2.5-flash")
				var err error
				if op == "Chat" {
					_, err = p.Chat(context.Background(), d, providertest.Request(providertest.Text))
				} else {
					_, err = p.Stream(context.Background(), d, providertest.Request(providertest.Text))
				}
				var pe *llmrouter.ProviderError
				if !errors.As(err, &pe) {
					t.Fatalf("%s: err = %v; want *ProviderError", op, err)
				}
				if pe.Kind != tt.kind || pe.EffectiveClass() != tt.class || pe.Code != tt.code ||
					pe.RetryAfter != tt.retryAfter || pe.StatusCode != tt.status {
					t.Errorf("%s: got kind %v class %v code %q retry %v status %d; want %v %v %q %v %d",
						op, pe.Kind, pe.EffectiveClass(), pe.Code, pe.RetryAfter, pe.StatusCode,
						tt.kind, tt.class, tt.code, tt.retryAfter, tt.status)
				}
				if pe.Provider != Name || pe.Deployment != "gemini-test" {
					t.Errorf("%s: provider/deployment = %q/%q", op, pe.Provider, pe.Deployment)
				}
			}
		})
	}
}

// A key echoed back by a server or a proxy never reaches an error.
func TestKeyNeverInErrors(t *testing.T) {
	p := newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, `{"error":{"code":400,"message":"API key not valid: `+r.Header.Get("x-goog-api-key")+`","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`)
	})
	_, err := p.Chat(context.Background(), deployment(p, "gemini-2.5-flash"), providertest.Request(providertest.Text))
	if err == nil || strings.Contains(err.Error(), providertest.APIKey) {
		t.Fatalf("err = %v", err)
	}
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) || pe.Kind != llmrouter.KindAuth || !strings.Contains(pe.Message, "[REDACTED]") {
		t.Errorf("err = %#v", pe)
	}

	// Transport errors carry the URL; it must not hold the key either.
	p = New(WithAPIKey(providertest.APIKey), WithBaseURL("http://127.0.0.1:1"))
	_, err = p.Chat(context.Background(), deployment(p, "gemini-2.5-flash"), providertest.Request(providertest.Text))
	if !errors.As(err, &pe) || pe.Kind != llmrouter.KindTransport {
		t.Fatalf("err = %v; want transport", err)
	}
	if strings.Contains(err.Error(), providertest.APIKey) {
		t.Errorf("transport error reveals the key: %v", err)
	}
}

func TestParseDelay(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"37s": 37 * time.Second, "1.5s": 1500 * time.Millisecond, "0.250s": 250 * time.Millisecond,
		"": 0, "s": 0, "-3s": 0, "3m": 0, "abc": 0, "1e99s": 0,
	} {
		if got := parseDelay(in); got != want {
			t.Errorf("parseDelay(%q) = %v; want %v", in, got, want)
		}
	}
}
