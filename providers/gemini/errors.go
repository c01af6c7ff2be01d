package gemini

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// wireError is google.rpc.Status as the JSON APIs send it:
// {"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED","details":[...]}}.
type wireError struct {
	Code    int          `json:"code"`
	Message string       `json:"message"`
	Status  string       `json:"status"`
	Details []wireDetail `json:"details"`
}

// wireDetail holds the fields of the details the adapter reads: ErrorInfo
// (reason), RetryInfo (retryDelay) and QuotaFailure (violations).
type wireDetail struct {
	Type       string `json:"@type"`
	Reason     string `json:"reason"`
	RetryDelay string `json:"retryDelay"`
	Violations []struct {
		QuotaID     string `json:"quotaId"`
		QuotaMetric string `json:"quotaMetric"`
	} `json:"violations"`
}

type errorEnvelope struct {
	Error *wireError `json:"error"`
}

// errorFromResponse classifies a failed HTTP response from its status,
// headers and body. The body is usually {"error":{...}}; some front ends
// wrap it in an array, and proxies may send text or HTML.
func errorFromResponse(status int, h http.Header, body []byte) *llmrouter.ProviderError {
	if w := parseError(body); w != nil {
		return errorFromWire(status, h, w, body)
	}
	e := &llmrouter.ProviderError{Kind: wire.KindForStatus(status), StatusCode: status, Message: snippet(body)}
	if e.Kind == llmrouter.KindUnknown {
		e.Kind = llmrouter.KindServer // an unexpected status (a redirect, say) with no error body
	}
	if h != nil {
		e.RetryAfter = wire.RetryAfter(h, time.Now())
	}
	return e
}

// parseError finds the google.rpc.Status in an error body, or returns nil.
func parseError(body []byte) *wireError {
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return nil
	}
	if b[0] == '[' {
		var arr []errorEnvelope
		if json.Unmarshal(b, &arr) == nil && len(arr) > 0 && arr[0].Error != nil {
			return arr[0].Error
		}
		return nil
	}
	var env errorEnvelope
	if json.Unmarshal(b, &env) == nil && env.Error != nil {
		return env.Error
	}
	return nil
}

// errorFromWire classifies a google.rpc.Status. status is the HTTP status,
// or 0 for an error sent inside a stream (its code is used then).
func errorFromWire(status int, h http.Header, w *wireError, body []byte) *llmrouter.ProviderError {
	if status == 0 {
		status = w.Code
	}
	e := &llmrouter.ProviderError{StatusCode: status, Code: w.Status, Message: w.Message}
	if e.Message == "" {
		e.Message = snippet(body)
	}
	var reason string
	daily := false
	for i := range w.Details {
		dt := &w.Details[i]
		switch {
		case strings.HasSuffix(dt.Type, "google.rpc.ErrorInfo"):
			if reason == "" {
				reason = dt.Reason
			}
		case strings.HasSuffix(dt.Type, "google.rpc.RetryInfo"):
			if d := parseDelay(dt.RetryDelay); d > 0 {
				e.RetryAfter = d
			}
		case strings.HasSuffix(dt.Type, "google.rpc.QuotaFailure"):
			for _, v := range dt.Violations {
				if strings.Contains(v.QuotaID, "PerDay") {
					daily = true
				}
			}
		}
	}
	if reason != "" {
		e.Code = reason
	}
	if e.Code == "" && status != 0 {
		e.Code = strconv.Itoa(status)
	}
	if e.RetryAfter == 0 && h != nil {
		e.RetryAfter = wire.RetryAfter(h, time.Now())
	}
	if e.RetryAfter == 0 {
		e.RetryAfter = retryFromMessage(w.Message)
	}

	msg := strings.ToLower(w.Message)
	switch w.Status {
	case "INVALID_ARGUMENT", "OUT_OF_RANGE":
		e.Kind = llmrouter.KindBadRequest
		if isContextLength(msg) {
			e.Kind = llmrouter.KindContextLength
		}
	case "FAILED_PRECONDITION":
		// "Gemini API free tier is not available in your country. Please
		// enable billing on your project", "User location is not supported
		// for the API use."
		e.Kind = llmrouter.KindBilling
		if !strings.Contains(msg, "billing") &&
			(strings.Contains(msg, "location") || strings.Contains(msg, "region") || strings.Contains(msg, "country")) {
			e.Kind = llmrouter.KindAuth
		}
	case "PERMISSION_DENIED", "UNAUTHENTICATED":
		e.Kind = llmrouter.KindAuth
	case "NOT_FOUND", "UNIMPLEMENTED":
		e.Kind = llmrouter.KindNotFound
	case "RESOURCE_EXHAUSTED":
		e.Kind = llmrouter.KindRateLimited
		switch {
		case strings.Contains(msg, "credits") || strings.Contains(msg, "billing account"):
			// "Your prepayment credits are depleted."
			e.Kind = llmrouter.KindBilling
		case daily || strings.Contains(msg, "limit: 0"):
			// A daily quota, or a model the key has no quota for: waiting
			// seconds will not help; another deployment may.
			e.Class = llmrouter.ClassFailover
		}
	case "INTERNAL", "UNAVAILABLE", "UNKNOWN", "ABORTED", "DATA_LOSS", "CANCELLED":
		e.Kind = llmrouter.KindServer
	case "DEADLINE_EXCEEDED":
		e.Kind = llmrouter.KindTimeout
	default:
		e.Kind = wire.KindForStatus(status)
		if e.Kind == llmrouter.KindUnknown {
			e.Kind = llmrouter.KindServer // an error object with no status we know
		}
		if e.Kind == llmrouter.KindBadRequest && isContextLength(msg) {
			e.Kind = llmrouter.KindContextLength
		}
	}
	if isKeyReason(reason) || strings.Contains(msg, "api key not valid") {
		e.Kind, e.Class = llmrouter.KindAuth, llmrouter.ClassUnspecified
	}
	return e
}

// isKeyReason reports whether an ErrorInfo reason says the key is refused.
func isKeyReason(r string) bool {
	switch r {
	case "API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED",
		"API_KEY_IP_ADDRESS_BLOCKED", "API_KEY_ANDROID_APP_BLOCKED", "API_KEY_IOS_APP_BLOCKED":
		return true
	}
	return false
}

// isContextLength reports whether a (lower-cased) message says the input is
// too long for the model, as in "The input token count (1200000) exceeds
// the maximum number of tokens allowed (1048576).", or too large for the
// endpoint, as in "Request payload size exceeds the limit: 20971520
// bytes." (a 400 INVALID_ARGUMENT): KindContextLength, so the router fails
// over only to deployments with a larger window, which are the ones likely
// to take a larger request.
func isContextLength(msg string) bool {
	return strings.Contains(msg, "exceeds the maximum number of tokens") ||
		strings.Contains(msg, "payload size exceeds the limit") ||
		strings.Contains(msg, "exceeds the context window") ||
		strings.Contains(msg, "maximum context length") ||
		strings.Contains(msg, "prompt is too long")
}

// parseDelay parses a google.protobuf.Duration in JSON form ("37s",
// "1.5s", "0.250s"), as RetryInfo's retryDelay. It returns 0 for anything
// else; a huge value saturates (wire.Decimal) instead of overflowing.
func parseDelay(s string) time.Duration {
	num, ok := strings.CutSuffix(s, "s")
	if !ok {
		return 0
	}
	d, _ := wire.Decimal(num, time.Second)
	return d
}

// retryFromMessage reads "Please retry in 45.57s." from a quota message,
// for 429s that carry no RetryInfo.
func retryFromMessage(msg string) time.Duration {
	const marker = "retry in "
	i := strings.Index(strings.ToLower(msg), marker)
	if i < 0 {
		return 0
	}
	rest := msg[i+len(marker):]
	j := 0
	for j < len(rest) && (rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.') {
		j++
	}
	if j == 0 {
		return 0
	}
	unit := time.Second
	switch {
	case strings.HasPrefix(rest[j:], "ms"):
		unit = time.Millisecond
	case !strings.HasPrefix(rest[j:], "s"):
		return 0
	}
	d, _ := wire.Decimal(rest[:j], unit)
	return d
}

// snippet returns a non-JSON error body as a message, whole: Provider.fill
// redacts it before bounding it (wire.Secrets.Finish), so that no key
// straddles the cut.
func snippet(body []byte) string {
	return strings.ToValidUTF8(string(bytes.TrimSpace(body)), "")
}
