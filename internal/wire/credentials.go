package wire

import (
	"net/http"
	"net/url"
	"strings"
)

// HasCredentialHeader reports whether h carries a header whose name looks
// like a credential (IsCredentialName) with a value.
func HasCredentialHeader(h http.Header) bool {
	for name, vals := range h {
		if IsCredentialName(name) && len(vals) > 0 && vals[0] != "" {
			return true
		}
	}
	return false
}

// NeedsKey reports whether baseURL is a hosted API that refuses calls
// without a credential (its host is, or is under, one of hosts), as
// opposed to a self-hosted server that may take none. It returns the host
// for the error message.
func NeedsKey(baseURL string, hosts ...string) (string, bool) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	for _, h := range hosts {
		if host == h || strings.HasSuffix(host, "."+h) {
			return host, true
		}
	}
	return host, false
}
