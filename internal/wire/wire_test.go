package wire

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Retry-After-Ms": {"1500"}}, 1500 * time.Millisecond},
		{http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{http.Header{"Retry-After": {"0.5"}}, 500 * time.Millisecond},
		{http.Header{"Retry-After": {now.Add(10 * time.Second).Format(http.TimeFormat)}}, 10 * time.Second},
		{http.Header{"Retry-After": {"soon"}}, 0},
		{http.Header{"Retry-After-Ms": {"20"}, "Retry-After": {"1"}}, 20 * time.Millisecond},
		{http.Header{"X-Ms-Retry-After-Ms": {"250"}}, 250 * time.Millisecond},
		{http.Header{}, 0},
	}
	for _, c := range cases {
		if got := RetryAfter(c.h, now); got != c.want {
			t.Errorf("RetryAfter(%v) = %v; want %v", c.h, got, c.want)
		}
	}
}

func TestKindForStatus(t *testing.T) {
	for status, want := range map[int]llmrouter.Kind{
		400: llmrouter.KindBadRequest, 401: llmrouter.KindAuth, 403: llmrouter.KindAuth, 402: llmrouter.KindBilling,
		404: llmrouter.KindNotFound, 408: llmrouter.KindTimeout, 409: llmrouter.KindServer, 413: llmrouter.KindContextLength, 422: llmrouter.KindBadRequest,
		429: llmrouter.KindRateLimited, 500: llmrouter.KindServer, 503: llmrouter.KindServer, 529: llmrouter.KindServer,
	} {
		if got := KindForStatus(status); got != want {
			t.Errorf("KindForStatus(%d) = %v; want %v", status, got, want)
		}
	}
}

func TestTransportError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if pe := TransportError(ctx, "p", "d", errors.New("x")); pe.Kind != llmrouter.KindCanceled {
		t.Errorf("cancelled context: %v", pe.Kind)
	}
	ctx, cancel = context.WithTimeout(context.Background(), -1)
	defer cancel()
	if pe := TransportError(ctx, "p", "d", errors.New("x")); pe.Kind != llmrouter.KindTimeout {
		t.Errorf("expired context: %v", pe.Kind)
	}
	pe := TransportError(context.Background(), "p", "d", errors.New(`Post "https://h/v1?key=SECRET": connection reset`))
	if pe.Kind != llmrouter.KindTransport {
		t.Errorf("reset: %v", pe.Kind)
	}
	if want := `Post "https://h/v1": connection reset`; pe.Message != want {
		t.Errorf("message %q; want %q", pe.Message, want)
	}
}

func TestRedact(t *testing.T) {
	if got := Redact("bad key sk-123456 given", "sk-123456"); got != "bad key [REDACTED] given" {
		t.Error(got)
	}
}
