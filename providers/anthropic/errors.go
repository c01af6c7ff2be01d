package anthropic

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// How the adapter classifies Anthropic errors. The error body is
// {"type":"error","error":{"type":T,"message":M},"request_id":R}; T decides
// the kind, the HTTP status only when T is missing or unknown:
//
//	invalid_request_error (400)  bad_request; context_length when M says the
//	                             prompt is too long; billing when M speaks of
//	                             credit balance or spend/usage limits
//	authentication_error (401)   auth
//	permission_error (403)       auth
//	billing_error (402)          billing
//	not_found_error (404)        not_found
//	request_too_large (413)      context_length
//	rate_limit_error (429)       rate_limited; billing for a spend limit
//	                             (details.error_code enforced_spend_limit_reached)
//	api_error (500)              server
//	timeout_error (504)          timeout
//	overloaded_error (529)       server
//
// RetryAfter comes from retry-after-ms or retry-after, else (for a rate
// limit) from the reset time of the exhausted anthropic-ratelimit-* limit.
// An x-should-retry header, which the official SDKs obey, overrides the
// class: "true" retries, "false" fails over instead of retrying.

// wireError is the error body, also the data of an in-stream error event.
type wireError struct {
	Type  string `json:"type"`
	Error *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		Details *struct {
			ErrorCode string `json:"error_code"`
		} `json:"details"`
	} `json:"error"`
	RequestID string `json:"request_id"`
}

// decodeError classifies an HTTP error response (status, headers, body).
func decodeError(status int, h http.Header, body []byte, now time.Time) *llmrouter.ProviderError {
	pe := &llmrouter.ProviderError{Provider: name, StatusCode: status, RequestID: h.Get("Request-Id")}
	var we wireError
	if json.Unmarshal(body, &we) == nil && we.Error != nil && (we.Error.Type != "" || we.Error.Message != "") {
		pe.Code = we.Error.Type
		pe.Message = we.Error.Message
		if pe.RequestID == "" {
			pe.RequestID = clip(we.RequestID)
		}
		code := ""
		if we.Error.Details != nil {
			code = we.Error.Details.ErrorCode
		}
		pe.Kind = kindOf(we.Error.Type, code, we.Error.Message, status)
	} else {
		pe.Kind = wire.KindForStatus(status)
		if status == 529 {
			pe.Kind = llmrouter.KindServer
		}
		pe.Message = strings.Join(strings.Fields(string(body)), " ")
		if pe.Message == "" {
			pe.Message = http.StatusText(status)
		}
		if pe.Message == "" && status == 529 {
			pe.Message = "Overloaded"
		}
	}
	if pe.Kind == llmrouter.KindUnknown {
		pe.Kind = llmrouter.KindServer // a 2xx/3xx carrying an error: the provider failed
	}
	pe.RetryAfter = wire.RetryAfter(h, now)
	if pe.RetryAfter == 0 && pe.Kind == llmrouter.KindRateLimited {
		pe.RetryAfter = exhaustedReset(h, now)
	}
	switch h.Get("X-Should-Retry") {
	case "true":
		if llmrouter.DefaultClass(pe.Kind) != llmrouter.ClassRetry {
			pe.Class = llmrouter.ClassRetry
		}
	case "false":
		if llmrouter.DefaultClass(pe.Kind) == llmrouter.ClassRetry {
			pe.Class = llmrouter.ClassFailover
		}
	}
	return pe
}

// decodeStreamError classifies the data of an in-stream error event, which
// has the shape of an error body but no HTTP status of its own.
func decodeStreamError(data []byte) *llmrouter.ProviderError {
	pe := &llmrouter.ProviderError{Provider: name}
	var we wireError
	if json.Unmarshal(data, &we) != nil || we.Error == nil {
		pe.Kind = llmrouter.KindMalformed
		pe.Message = "unreadable error event: " + string(data)
		return pe
	}
	pe.Code = we.Error.Type
	pe.Message = we.Error.Message
	pe.RequestID = clip(we.RequestID)
	code := ""
	if we.Error.Details != nil {
		code = we.Error.Details.ErrorCode
	}
	pe.Kind = kindOf(we.Error.Type, code, we.Error.Message, 0)
	if pe.Kind == llmrouter.KindUnknown {
		pe.Kind = llmrouter.KindServer // the provider broke off its own answer
	}
	return pe
}

// kindOf maps an error type (and its message, for the types that carry
// several meanings) to a kind; status decides for unknown types.
func kindOf(typ, code, msg string, status int) llmrouter.Kind {
	switch typ {
	case "invalid_request_error":
		switch {
		case contextLengthMessage(msg):
			return llmrouter.KindContextLength
		case billingMessage(msg):
			return llmrouter.KindBilling
		}
		if k := wire.KindForStatus(status); k != llmrouter.KindBadRequest && k != llmrouter.KindUnknown {
			return k // used for other 4xx statuses too
		}
		return llmrouter.KindBadRequest
	case "authentication_error", "permission_error":
		return llmrouter.KindAuth
	case "billing_error":
		return llmrouter.KindBilling
	case "not_found_error":
		return llmrouter.KindNotFound
	case "request_too_large":
		return llmrouter.KindContextLength
	case "rate_limit_error":
		if code == "enforced_spend_limit_reached" || billingMessage(msg) {
			return llmrouter.KindBilling
		}
		return llmrouter.KindRateLimited
	case "api_error", "overloaded_error":
		return llmrouter.KindServer
	case "timeout_error":
		return llmrouter.KindTimeout
	}
	if status == 529 {
		return llmrouter.KindServer
	}
	return wire.KindForStatus(status)
}

func contextLengthMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "prompt is too long") ||
		strings.Contains(m, "exceed context limit") ||
		strings.Contains(m, "context window") ||
		strings.Contains(m, "context length")
}

func billingMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "credit balance") ||
		strings.Contains(m, "spend limit") ||
		strings.Contains(m, "usage limits")
}

// clip bounds s to wire.MaxMessage bytes. Errors leaving the adapter are
// bounded by Provider.finish (wire.Secrets.Finish), which redacts before it
// clips; clip is for text known to hold no credential.
func clip(s string) string { return wire.Clip(s) }
