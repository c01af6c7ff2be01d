package wire

import (
	"net/http"

	"github.com/llmrouter/llmrouter"
)

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
