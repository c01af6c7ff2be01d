package wire

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/llmrouter/llmrouter"
)

// TransportError classifies an error from sending a request or reading its
// response: the context ending (canceled or timeout), a network timeout, a
// refused redirect (see RedirectError), or another transport failure. A cut
// connection mid-body is KindTransport. The message has the query string of
// any URL removed; the caller still passes the error through its Secrets.
func TransportError(ctx context.Context, provider, deployment string, err error) *llmrouter.ProviderError {
	pe := &llmrouter.ProviderError{Provider: provider, Deployment: deployment, Kind: llmrouter.KindTransport, Err: err}
	var ne net.Error
	var re *RedirectError
	switch {
	case ctx.Err() != nil:
		pe.Kind, pe.Err = llmrouter.KindCanceled, ctx.Err()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			pe.Kind = llmrouter.KindTimeout
		}
	case errors.As(err, &re):
		// The deployment's endpoint sends callers elsewhere: it will do so
		// again, so another deployment, not a retry, may serve the request.
		// Only the RedirectError is kept: net/http's *url.Error around it
		// quotes the whole target URL.
		pe.Class, pe.Code, pe.Err = llmrouter.ClassFailover, "redirect", re
		pe.Message = re.Error()
		return pe
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
