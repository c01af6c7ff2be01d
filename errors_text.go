package llmrouter

import (
	"errors"
	"strings"
)

// errorText is what lineage records, logs and spans keep of a request's
// error. With content capture on it is err.Error(). Without it, the
// provider's message text is left out wherever it appears (upstreams echo
// prompts in their errors: validation errors quote the offending field),
// keeping the kind, status, code and error type; a panic keeps where it
// happened, not its value. The error returned to the caller is unchanged:
// the caller owns its prompt.
func errorText(err error, capture bool) string {
	if capture {
		return err.Error()
	}
	var b strings.Builder
	writeCause(&b, err, false)
	return b.String()
}

// writeCause describes err, leaving provider text out unless text is set.
func writeCause(b *strings.Builder, err error, text bool) {
	if text {
		b.WriteString(strings.TrimPrefix(err.Error(), "llmrouter: "))
		return
	}
	switch e := err.(type) {
	case *ProviderError:
		e.write(b, false)
	case *RouteError:
		e.write(b, false)
	case *StreamError:
		e.write(b, false)
	case *PanicError:
		in := e.In
		if in == "" {
			in = inProvider
		}
		b.WriteString(in)
		b.WriteString(" panicked")
	case interface{ Unwrap() []error }:
		for i, inner := range e.Unwrap() {
			if i > 0 {
				b.WriteString(": ")
			}
			writeCause(b, inner, false)
		}
	default:
		var pe *ProviderError
		var pa *PanicError
		if errors.As(err, &pe) || errors.As(err, &pa) {
			// A wrapper of our own types; describe what it wraps.
			if pe != nil {
				pe.write(b, false)
			} else {
				writeCause(b, pa, false)
			}
			return
		}
		b.WriteString(strings.TrimPrefix(err.Error(), "llmrouter: "))
	}
}
