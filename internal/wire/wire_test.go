package wire

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strings"
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

// TestRetryAfterHygiene: garbage is ignored (the next header is read), a
// past date is 0, and huge values saturate instead of overflowing.
func TestRetryAfterHygiene(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	const maxD = time.Duration(math.MaxInt64)
	cases := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"NaN", http.Header{"Retry-After": {"NaN"}}, 0},
		{"Inf", http.Header{"Retry-After": {"Inf"}}, 0},
		{"+Inf", http.Header{"Retry-After": {"+Inf"}}, 0},
		{"negative", http.Header{"Retry-After": {"-5"}}, 0},
		{"exponent", http.Header{"Retry-After": {"1e3"}}, 0},
		{"hex", http.Header{"Retry-After": {"0x10"}}, 0},
		{"spaces", http.Header{"Retry-After": {"1 2"}}, 0},
		{"past date", http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0},
		{"huge seconds saturate", http.Header{"Retry-After": {"99999999999999999999"}}, maxD},
		{"beyond float range saturates", http.Header{"Retry-After": {strings.Repeat("9", 400)}}, maxD},
		{"exponent ms falls back", http.Header{"Retry-After-Ms": {"1e400"}, "Retry-After": {"2"}}, 2 * time.Second},
		{"huge ms digits saturate", http.Header{"Retry-After-Ms": {"9999999999999999999999"}}, maxD},
		{"far date saturates", http.Header{"Retry-After": {"Fri, 31 Dec 9999 23:59:59 GMT"}}, maxD},
		{"NaN ms falls back", http.Header{"Retry-After-Ms": {"NaN"}, "Retry-After": {"2"}}, 2 * time.Second},
		{"negative ms falls back", http.Header{"Retry-After-Ms": {"-1"}, "Retry-After": {"2"}}, 2 * time.Second},
		{"garbage Azure ms falls back", http.Header{"X-Ms-Retry-After-Ms": {"soon"}, "Retry-After": {"4"}}, 4 * time.Second},
		{"zero", http.Header{"Retry-After": {"0"}}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := RetryAfter(c.h, now); got != c.want {
				t.Errorf("RetryAfter(%v) = %v; want %v", c.h, got, c.want)
			}
		})
	}
}

func TestDecimal(t *testing.T) {
	cases := []struct {
		in   string
		unit time.Duration
		want time.Duration
		ok   bool
	}{
		{"30", time.Second, 30 * time.Second, true},
		{"1.5", time.Second, 1500 * time.Millisecond, true},
		{".5", time.Second, 500 * time.Millisecond, true},
		{"99999999999999", time.Second, time.Duration(math.MaxInt64), true},
		{"", time.Second, 0, false},
		{".", time.Second, 0, false},
		{"1.2.3", time.Second, 0, false},
		{"-1", time.Second, 0, false},
		{"NaN", time.Second, 0, false},
		{"Infinity", time.Second, 0, false},
	}
	for _, c := range cases {
		got, ok := Decimal(c.in, c.unit)
		if got != c.want || ok != c.ok {
			t.Errorf("Decimal(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if got := Saturate(math.NaN()); got != 0 {
		t.Errorf("Saturate(NaN) = %v", got)
	}
	if got := Saturate(math.Inf(1)); got != time.Duration(math.MaxInt64) {
		t.Errorf("Saturate(+Inf) = %v", got)
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

func TestTransportErrorRedirect(t *testing.T) {
	re := &RedirectError{Host: "evil.example:443"}
	err := &url.Error{Op: "Post", URL: "https://evil.example/steal?sig=QUERYSECRET", Err: re}
	pe := TransportError(context.Background(), "p", "d", err)
	if pe.Kind != llmrouter.KindTransport || pe.EffectiveClass() != llmrouter.ClassFailover || pe.Err != re {
		t.Errorf("redirect: %+v", pe)
	}
	if strings.Contains(pe.Error(), "QUERYSECRET") || strings.Contains(pe.Error(), "/steal") || !strings.Contains(pe.Error(), "evil.example:443") {
		t.Errorf("message %q", pe.Error())
	}
}
