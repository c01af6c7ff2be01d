package openai

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

// apiError is an error body, in any of the shapes OpenAI-compatible servers
// send.
type apiError struct {
	Message string
	Type    string
	Code    string
	Status  int    // a numeric code (vLLM, OpenRouter), when in the HTTP range
	Inner   string // Azure's innererror.code
	Found   bool   // the body was a JSON error object
}

// errorFields are the fields of an error object; several are strings in
// one server and numbers in another.
type errorFields struct {
	Message json.RawMessage `json:"message"`
	Type    json.RawMessage `json:"type"`
	Code    json.RawMessage `json:"code"`
	Inner   *struct {
		Code json.RawMessage `json:"code"`
	} `json:"innererror"`
}

// parseError reads an error body: {"error":{"message","type","param","code"}}
// (OpenAI, Azure, Ollama, newer vLLM, OpenRouter), {"error":"text"},
// {"object":"error","message",...,"code":400} (older vLLM),
// {"detail":"text"} (FastAPI servers), or plain text.
func parseError(body []byte) apiError {
	var e apiError
	var top struct {
		errorFields
		Error  json.RawMessage `json:"error"`
		Detail json.RawMessage `json:"detail"`
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return e
	}
	if body[0] != '{' || json.Unmarshal(body, &top) != nil {
		e.Message = plainText(body)
		return e
	}
	f := top.errorFields
	switch {
	case len(top.Error) > 0 && top.Error[0] == '{':
		f = errorFields{}
		if json.Unmarshal(top.Error, &f) != nil {
			e.Message = plainText(body)
			return e
		}
	case len(top.Error) > 0 && top.Error[0] == '"':
		f = errorFields{Message: top.Error}
	case len(f.Message) == 0 && len(top.Detail) > 0:
		f.Message = top.Detail
	}
	e.Found = true
	e.Message = rawText(f.Message)
	e.Type = rawText(f.Type)
	e.Code = rawText(f.Code)
	if n, err := strconv.Atoi(e.Code); err == nil {
		if n >= 400 && n <= 599 {
			e.Status = n
		}
		e.Code = "" // a status, not a code
	}
	if f.Inner != nil {
		e.Inner = rawText(f.Inner.Code)
	}
	if e.Message == "" && e.Type == "" && e.Code == "" && e.Status == 0 {
		e.Found = false
		e.Message = plainText(body)
	}
	return e
}

// rawText returns a JSON string's text, a number's or any other value's
// JSON text, or "" for null.
func rawText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}

// plainText returns a non-JSON body as a message, whole: the provider's
// Secrets redact it before bounding it (wire.Secrets.Message), so that no
// key straddles the cut.
func plainText(b []byte) string {
	return strings.TrimSpace(string(b))
}

// httpError classifies a non-2xx response.
func (p *Provider) httpError(resp *http.Response, deployment string) *llmrouter.ProviderError {
	body := wire.ReadErrorBody(resp)
	pe := p.classify(resp.StatusCode, resp.Header, body, deployment)
	return pe
}

// classify turns a status (0 for an error inside a stream or a 200 body),
// headers (may be nil) and an error body into a ProviderError.
func (p *Provider) classify(status int, h http.Header, body []byte, deployment string) *llmrouter.ProviderError {
	e := parseError(body)
	pe := &llmrouter.ProviderError{
		Provider:   p.name,
		Deployment: deployment,
		StatusCode: status,
		Code:       e.Code,
	}
	if pe.Code == "" {
		pe.Code = e.Type
	}
	eff := status
	if eff == 0 || (eff >= 200 && eff < 300) {
		// An error inside a stream or a 200 body: its own code, if any,
		// is the status that counts.
		eff = e.Status
		pe.StatusCode = e.Status
	}
	if eff != 0 {
		pe.Kind = wire.KindForStatus(eff)
	} else {
		pe.Kind = kindForType(e.Type, e.Code)
	}
	if eff == http.StatusConflict {
		pe.Kind = llmrouter.KindServer // a transient conflict; the SDKs retry it
	}
	msg := strings.ToLower(e.Message)
	code := strings.ToLower(e.Code)
	typ := strings.ToLower(e.Type)
	switch {
	case code == "insufficient_quota" || typ == "insufficient_quota" ||
		strings.Contains(msg, "exceeded your current quota"):
		pe.Kind = llmrouter.KindBilling
	case isContextLength(code, msg) && (pe.Kind == llmrouter.KindBadRequest || pe.Kind == llmrouter.KindContextLength || eff == 0):
		pe.Kind = llmrouter.KindContextLength
	case isContentPolicy(code, strings.ToLower(e.Inner), msg) && (pe.Kind == llmrouter.KindBadRequest || eff == 0):
		pe.Kind = llmrouter.KindContentPolicy
	case pe.Kind == llmrouter.KindRateLimited && strings.Contains(msg, "request too large"):
		// Larger than the key's whole per-minute budget: waiting will not
		// help on this deployment.
		pe.Class = llmrouter.ClassFailover
	}
	if pe.Kind == llmrouter.KindUnknown {
		pe.Kind = llmrouter.KindServer
	}
	if pe.Kind == llmrouter.KindContentPolicy {
		// The request was refused before any answer (Azure's 400
		// content_filter, OpenAI's content_policy_violation): the one
		// blocked-prompt event every adapter reports. A filtered answer
		// is a Response with FinishContentFilter instead.
		pe.Code = wire.CodePromptBlocked
	}
	if h != nil {
		pe.RetryAfter = retryAfter(h, status, msg)
		pe.RequestID = requestID(h)
	} else if pe.Kind == llmrouter.KindRateLimited {
		pe.RetryAfter = tryAgainIn(msg)
	}
	pe.Message = e.Message
	if pe.Message == "" && pe.StatusCode != 0 {
		pe.Message = http.StatusText(pe.StatusCode)
	}
	return p.sec().Finish(pe)
}

// kindForType classifies an error that came without an HTTP status (inside
// a stream) by its type or code.
func kindForType(typ, code string) llmrouter.Kind {
	for _, v := range [2]string{code, typ} {
		switch strings.ToLower(v) {
		case "rate_limit_exceeded", "rate_limit_error", "tokens", "requests", "too_many_requests":
			return llmrouter.KindRateLimited
		case "insufficient_quota", "billing_error", "payment_required":
			return llmrouter.KindBilling
		case "invalid_api_key", "authentication_error", "permission_error", "unauthorized":
			return llmrouter.KindAuth
		case "model_not_found", "not_found_error", "deploymentnotfound":
			return llmrouter.KindNotFound
		case "context_length_exceeded":
			return llmrouter.KindContextLength
		case "content_filter", "content_policy_violation":
			return llmrouter.KindContentPolicy
		case "invalid_request_error", "badrequesterror", "bad_request":
			return llmrouter.KindBadRequest
		case "timeout", "timeout_error":
			return llmrouter.KindTimeout
		}
	}
	return llmrouter.KindServer
}

// isContextLength recognises a prompt too long for the model's window, by
// code or by the messages OpenAI, vLLM, DeepSeek and others send.
func isContextLength(code, msg string) bool {
	if code == "context_length_exceeded" {
		return true
	}
	for _, s := range [...]string{
		"maximum context length",
		"context_length_exceeded",
		"context length exceeded",
		"exceeds the context window",
		"exceed context limit",
		"maximum context limit",
		"longer than the model's context length",
		"exceeds the maximum number of tokens",
		"prompt is too long",
		"input is too long",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// isContentPolicy recognises a request a safety system refused (OpenAI's
// content_policy_violation, Azure's content_filter).
func isContentPolicy(code, inner, msg string) bool {
	switch code {
	case "content_filter", "content_policy_violation":
		return true
	}
	return inner == "responsibleaipolicyviolation" ||
		strings.Contains(msg, "content management policy") ||
		strings.Contains(msg, "content_policy_violation")
}

// retryAfter reads how long to wait: retry-after-ms, retry-after,
// x-ms-retry-after-ms (Azure) and, on a 429, the x-ratelimit-reset-* header
// of the exhausted limit, or the message's "try again in 644ms".
func retryAfter(h http.Header, status int, msg string) time.Duration {
	if d := wire.RetryAfter(h, time.Now()); d > 0 {
		return d
	}
	if status != http.StatusTooManyRequests {
		return 0
	}
	var d time.Duration
	remReq := headerInt(h, hRemainingRequests)
	remTok := headerInt(h, hRemainingTokens)
	resetReq := headerDuration(h, hResetRequests)
	resetTok := headerDuration(h, hResetTokens)
	switch {
	case remReq == 0 && remTok == 0:
		d = max(resetReq, resetTok)
	case remReq == 0:
		d = resetReq
	case remTok == 0:
		d = resetTok
	default:
		d = max(resetReq, resetTok)
	}
	if d <= 0 {
		d = tryAgainIn(msg)
	}
	return d
}

// tryAgainIn reads OpenAI's "Please try again in 644ms." from a message.
func tryAgainIn(msg string) time.Duration {
	const marker = "try again in "
	i := strings.Index(msg, marker)
	if i < 0 {
		return 0
	}
	rest := msg[i+len(marker):]
	if j := strings.IndexAny(rest, " ,\n"); j >= 0 {
		rest = rest[:j]
	}
	rest = strings.TrimSuffix(rest, ".")
	d, err := time.ParseDuration(rest)
	if err != nil || d < 0 {
		return 0
	}
	return d
}

// requestID returns the provider's id for the call.
func requestID(h http.Header) string {
	if v := h["X-Request-Id"]; len(v) > 0 {
		return v[0]
	}
	if v := h["Apim-Request-Id"]; len(v) > 0 { // Azure
		return v[0]
	}
	return ""
}
