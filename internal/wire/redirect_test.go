package wire

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

func mustReq(t *testing.T, raw string) *http.Request {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Request{URL: u}
}

func TestCheckRedirect(t *testing.T) {
	orig := "https://api.example:443/v1/chat"
	cases := []struct {
		name     string
		target   string
		sameHost bool
		hops     int
		allowed  bool
		host     string
	}{
		{"other host refused", "https://evil.example/steal?sig=x", true, 1, false, "evil.example"},
		{"other port refused", "https://api.example:8443/v1", true, 1, false, "api.example:8443"},
		{"scheme downgrade refused", "http://api.example:443/v1", true, 1, false, "api.example:443"},
		{"same host refused by default", "https://api.example:443/v2", false, 1, false, "api.example:443"},
		{"same host allowed", "https://api.example:443/v2", true, 1, true, ""},
		{"too many same-host hops", "https://api.example:443/v2", true, 10, false, "api.example:443"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			via := make([]*http.Request, c.hops)
			for i := range via {
				via[i] = mustReq(t, orig)
			}
			err := CheckRedirect(c.sameHost, nil)(mustReq(t, c.target), via)
			if c.allowed {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var re *RedirectError
			if !errors.As(err, &re) || re.Host != c.host {
				t.Fatalf("err %v; want a RedirectError for %s", err, c.host)
			}
			if strings.Contains(err.Error(), "steal") || strings.Contains(err.Error(), "sig=") {
				t.Errorf("message shows the target's path or query: %v", err)
			}
		})
	}
	t.Run("next consulted when allowed", func(t *testing.T) {
		stop := errors.New("caller says no")
		next := func(*http.Request, []*http.Request) error { return stop }
		if err := CheckRedirect(true, next)(mustReq(t, orig), []*http.Request{mustReq(t, orig)}); err != stop {
			t.Errorf("err %v; want the caller's", err)
		}
		if err := CheckRedirect(false, next)(mustReq(t, orig), []*http.Request{mustReq(t, orig)}); err == stop {
			t.Error("the caller's policy must not override a refusal")
		}
	})
}

// TestGuardRedirects sends a request with a key header through a guarded
// copy of a caller's client to a server that redirects to another host:
// the other host receives nothing, and the caller's client is unchanged.
func TestGuardRedirects(t *testing.T) {
	var hits atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer other.Close()
	u, _ := url.Parse(other.URL)
	target := "http://localhost:" + u.Port() + "/x?sig=QUERYSECRET"
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
	}))
	defer first.Close()

	own := &http.Client{}
	guarded := GuardRedirects(own, false)
	if own.CheckRedirect != nil || guarded == own {
		t.Fatal("GuardRedirects modified the caller's client")
	}
	for _, c := range []*http.Client{guarded, NewHTTPClient(), GuardRedirects(nil, true)} {
		req, _ := http.NewRequest(http.MethodPost, first.URL, strings.NewReader("the prompt"))
		req.Header.Set("X-Api-Key", "sk-SECRET")
		resp, err := c.Do(req)
		if resp != nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
		var re *RedirectError
		if !errors.As(err, &re) || re.Host != "localhost:"+u.Port() {
			t.Fatalf("err %v; want a RedirectError naming localhost:%s", err, u.Port())
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the other host received %d requests", n)
	}
}
