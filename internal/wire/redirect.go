package wire

import (
	"net/http"
	"time"
)

// maxRedirects is how many same-host redirects a client follows, as
// net/http's default policy.
const maxRedirects = 10

// RedirectError is a redirect an adapter refused to follow. It names only
// the target's host (host:port), never its path or query, which may carry
// signed parameters.
//
// Adapters refuse every redirect by default: net/http strips Authorization
// and cookies on a redirect to another host, but not x-api-key,
// x-goog-api-key, api-key or a SigV4 session token, and it re-sends the
// body (the prompt) on a 307 or 308. An adapter's WithSameHostRedirects
// option lets redirects to the same scheme and host:port through.
type RedirectError struct {
	// Host is the redirect target's host:port as written in its URL.
	Host string
	// SameHost reports whether the target is the host the request was
	// sent to (refused because same-host redirects were not allowed, or
	// because there were too many of them).
	SameHost bool
}

// Error describes the refusal on one line.
func (e *RedirectError) Error() string {
	if e.SameHost {
		return "redirect to " + e.Host + " refused (same-host redirects not allowed, or more than 10)"
	}
	return "redirect to another host (" + e.Host + ") refused: credentials are sent only to the configured host"
}

// CheckRedirect returns an http.Client.CheckRedirect policy that refuses
// every redirect with a *RedirectError, unless sameHost is set and the
// target has the scheme and host:port of the original request (at most 10
// such hops). next, when not nil, is consulted for redirects the policy
// allows (a caller's own CheckRedirect). The policy holds no state and is
// safe for concurrent use.
func CheckRedirect(sameHost bool, next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		orig := via[0].URL
		same := req.URL.Scheme == orig.Scheme && req.URL.Host == orig.Host
		if !sameHost || !same || len(via) >= maxRedirects {
			return &RedirectError{Host: req.URL.Host, SameHost: same}
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// GuardRedirects returns a client that behaves as c but applies
// CheckRedirect(sameHost, c.CheckRedirect). c itself is not modified: the
// result is a shallow copy sharing c's Transport, Jar and Timeout. A nil c
// means a pooled client as NewHTTPClient's.
func GuardRedirects(c *http.Client, sameHost bool) *http.Client {
	if c == nil {
		c = pooledClient()
	}
	cp := *c
	cp.CheckRedirect = CheckRedirect(sameHost, c.CheckRedirect)
	return &cp
}

// NewHTTPClient returns an *http.Client pooled for many concurrent calls to
// few hosts: up to 256 idle connections per host, HTTP/2 when offered, no
// overall timeout (the router's contexts bound each call), and every
// redirect refused (see GuardRedirects).
func NewHTTPClient() *http.Client { return GuardRedirects(nil, false) }

// pooledClient is NewHTTPClient's client without a redirect policy.
func pooledClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	t.ForceAttemptHTTP2 = true
	return &http.Client{Transport: t}
}
