// Package wire holds what the HTTP adapters share: classifying transport
// failures and HTTP statuses into llmrouter kinds, reading Retry-After in
// its several dialects, bounded body reads, and keeping keys out of errors.
// Each adapter still reads its own error bodies; these are the common parts.
package wire

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter"
)

// MaxErrorBody is the most of an error response body an adapter reads.
const MaxErrorBody = 64 << 10

// KindForStatus is the kind of an HTTP error status when the body says
// nothing more specific.
func KindForStatus(status int) llmrouter.Kind {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return llmrouter.KindAuth
	case status == http.StatusPaymentRequired:
		return llmrouter.KindBilling
	case status == http.StatusNotFound:
		return llmrouter.KindNotFound
	case status == http.StatusRequestTimeout:
		return llmrouter.KindTimeout
	case status == http.StatusTooManyRequests:
		return llmrouter.KindRateLimited
	case status == http.StatusConflict:
		// A lock or concurrent-update conflict: transient, and the
		// providers' own SDKs retry it.
		return llmrouter.KindServer
	case status == http.StatusRequestEntityTooLarge:
		return llmrouter.KindContextLength
	case status >= 500:
		return llmrouter.KindServer
	case status >= 400:
		return llmrouter.KindBadRequest
	}
	return llmrouter.KindUnknown
}

// TransportError classifies an error from sending a request or reading its
// response: the context ending (canceled or timeout), a network timeout, or
// another transport failure. A cut connection mid-body is KindTransport.
func TransportError(ctx context.Context, provider, deployment string, err error) *llmrouter.ProviderError {
	pe := &llmrouter.ProviderError{Provider: provider, Deployment: deployment, Kind: llmrouter.KindTransport, Err: err}
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		pe.Kind, pe.Err = llmrouter.KindCanceled, ctx.Err()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			pe.Kind = llmrouter.KindTimeout
		}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		pe.Kind = llmrouter.KindTimeout
	case errors.Is(err, context.Canceled):
		pe.Kind = llmrouter.KindCanceled
	}
	pe.Message = scrubURL(err.Error())
	return pe
}

// scrubURL drops the query string of any URL in an error message (Go's
// url.Error quotes the URL, and some providers put keys in the query).
func scrubURL(msg string) string {
	i := strings.Index(msg, "?")
	if i < 0 {
		return msg
	}
	j := strings.IndexAny(msg[i:], "\": ")
	if j < 0 {
		return msg[:i]
	}
	return msg[:i] + msg[i+j:]
}

// RetryAfter reads how long a response asks the caller to wait, from
// retry-after-ms (OpenAI), x-ms-retry-after-ms (Azure), retry-after
// (seconds or an HTTP date), or 0 when it says nothing.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	for _, name := range [...]string{"Retry-After-Ms", "X-Ms-Retry-After-Ms"} {
		if v := h.Get(name); v != "" {
			if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
				return time.Duration(ms * float64(time.Millisecond))
			}
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil {
			if s > 0 {
				return time.Duration(s * float64(time.Second))
			}
			return 0
		}
		if t, err := http.ParseTime(v); err == nil && t.After(now) {
			return t.Sub(now)
		}
	}
	return 0
}

// ReadErrorBody reads at most MaxErrorBody bytes of a response body and
// closes it.
func ReadErrorBody(resp *http.Response) []byte {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxErrorBody))
	return b
}

// Redact replaces every occurrence of secret in s.
func Redact(s, secret string) string {
	if secret == "" || len(secret) < 4 {
		return s
	}
	return strings.ReplaceAll(s, secret, "[REDACTED]")
}

// NewHTTPClient returns an *http.Client pooled for many concurrent calls to
// few hosts: up to 256 idle connections per host, HTTP/2 when offered, and
// no overall timeout (the router's contexts bound each call).
func NewHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	t.ForceAttemptHTTP2 = true
	return &http.Client{Transport: t}
}
