package bedrock

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// errorBody is Bedrock's JSON error body. Decoding is case-insensitive, so
// "message" and "Message" both land in Message.
type errorBody struct {
	Message string `json:"message"`
	Type    string `json:"__type"`
	Code    string `json:"code"`
}

// errorFromResponse classifies a non-200 Converse response from its status,
// its x-amzn-errortype header and its {"message":...} body.
func errorFromResponse(c *call, status int, h http.Header, body []byte) *llmrouter.ProviderError {
	var eb errorBody
	_ = json.Unmarshal(body, &eb)
	code := h.Get("X-Amzn-Errortype")
	if code == "" {
		code = eb.Type
	}
	if code == "" {
		code = eb.Code
	}
	code = sanitizeCode(code)
	msg := eb.Message
	if msg == "" && !json.Valid(body) {
		// Whole: c.fail redacts it before bounding it (wire.Secrets.Finish),
		// so that no credential straddles the cut.
		msg = strings.TrimSpace(string(body))
	}
	kind, class := classify(code, msg, status)
	pe := c.fail(kind, status, code, msg)
	pe.Class = class
	pe.RetryAfter = wire.RetryAfter(h, time.Now())
	return pe
}

// sanitizeCode strips an error type's namespace ("com.amazon...#") and URI
// suffix (":http://internal.amazon.com/coral/...").
func sanitizeCode(code string) string {
	code = strings.TrimSpace(code)
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	return code
}

// classify maps a Bedrock error type (an HTTP x-amzn-errortype or an
// event-stream :exception-type, compared case-insensitively), its message
// and the HTTP status (0 in a stream) to a kind, and to a class where
// DefaultClass(kind) is not the right one.
//
// ServiceQuotaExceededException (HTTP 400, "Your request exceeds the
// service quota for your account") is KindRateLimited with ClassFailover:
// an account or Region quota, not momentary throttling, so retrying the
// same deployment is wasted; another deployment (another Region, account
// or model) may have quota. The kind keeps it out of the breaker's counts
// and lets a Retry-After cool the deployment down.
func classify(code, msg string, status int) (llmrouter.Kind, llmrouter.Class) {
	switch strings.ToLower(code) {
	case "servicequotaexceededexception":
		return llmrouter.KindRateLimited, llmrouter.ClassFailover
	case "throttlingexception", "toomanyrequestsexception":
		return llmrouter.KindRateLimited, 0
	case "modelnotreadyexception":
		// The model is still being loaded: retry this deployment.
		return llmrouter.KindServer, llmrouter.ClassRetry
	case "validationexception":
		if isContextLength(msg) {
			return llmrouter.KindContextLength, 0
		}
		return llmrouter.KindBadRequest, 0
	case "accessdeniedexception", "unrecognizedclientexception", "expiredtokenexception",
		"invalidsignatureexception", "incompletesignatureexception", "missingauthenticationtokenexception",
		"missingauthenticationtoken", "invalidclienttokenid", "signaturedoesnotmatch", "expiredtoken":
		return llmrouter.KindAuth, 0
	case "resourcenotfoundexception":
		return llmrouter.KindNotFound, 0
	case "modeltimeoutexception":
		return llmrouter.KindTimeout, 0
	case "internalserverexception", "serviceunavailableexception", "modelstreamerrorexception":
		return llmrouter.KindServer, 0
	case "modelerrorexception":
		// The model failed on this input: another deployment may not.
		return llmrouter.KindServer, llmrouter.ClassFailover
	}
	if status == 0 {
		return llmrouter.KindServer, 0 // an unknown in-stream exception
	}
	kind := wire.KindForStatus(status)
	if kind == llmrouter.KindBadRequest && isContextLength(msg) {
		kind = llmrouter.KindContextLength
	}
	if kind == llmrouter.KindUnknown {
		kind = llmrouter.KindServer
	}
	return kind, 0
}

// contextLengthPhrases are the ValidationException messages Bedrock and
// its models use when the prompt does not fit the model's window.
var contextLengthPhrases = []string{
	"input is too long",
	"too many input tokens",
	"too many total text bytes",
	"prompt is too long",
	"exceed context limit",
	"exceeds the maximum number of tokens",
	"context window",
	"context length",
	"maximum context length",
	"input length and `max_tokens` exceed",
}

func isContextLength(msg string) bool {
	m := strings.ToLower(msg)
	for _, p := range contextLengthPhrases {
		if strings.Contains(m, p) {
			return true
		}
	}
	return false
}
