package wiretest

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// TokenSourceFailure is the message of the error CheckTokenSource's source
// fails with.
const TokenSourceFailure = "token service unavailable"

// CheckTokenSource checks an adapter's WithTokenSource. newProvider returns
// a provider that takes its credential from src and calls a server running
// h, and the deployment to call. The source gives a new, already expiring
// token for each of two calls, then fails; h answers 401 with reject's
// body around the token it got, as an API quoting a bad key back. t fails
// unless each call carries its token in header name after prefix, the
// token stays out of the error (a KindAuth one), and the failing source
// fails the third call with KindAuth and its message before anything is
// sent. It returns the headers of the two requests sent, for the
// adapter's own checks.
func CheckTokenSource(t *testing.T, name, prefix string, reject Answer,
	newProvider func(h http.HandlerFunc, src wire.TokenSource) (llmrouter.Provider, *llmrouter.Deployment)) []http.Header {
	t.Helper()
	var n atomic.Int32
	src := func(context.Context) (string, time.Time, error) {
		i := n.Add(1)
		if i == 3 {
			return "", time.Time{}, errors.New(TokenSourceFailure)
		}
		return rotated(int(i)), time.Now().Add(-time.Second), nil // already expiring: fetched each call
	}
	var mu sync.Mutex
	var sent []http.Header
	p, d := newProvider(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sent = append(sent, r.Header.Clone())
		mu.Unlock()
		w.Header().Set("Content-Type", reject.ContentType)
		w.WriteHeader(reject.Status)
		_, _ = w.Write([]byte(reject.Render(strings.TrimPrefix(r.Header.Get(name), prefix))))
	}, src)

	for i := 1; i <= 2; i++ {
		pe := Call(t, p, d)
		if pe.Kind != llmrouter.KindAuth {
			t.Errorf("call %d: Kind %v; want KindAuth", i, pe.Kind)
		}
		if f := Leaked(pe.Error(), rotated(i)); f != "" {
			t.Errorf("call %d: %q of the token is in the error %q", i, f, pe.Error())
		}
	}
	pe := Call(t, p, d)
	if pe.Kind != llmrouter.KindAuth || !strings.Contains(pe.Message, "token source: "+TokenSourceFailure) {
		t.Errorf("failing source: Kind %v, message %q; want KindAuth with %q", pe.Kind, pe.Message, "token source: "+TokenSourceFailure)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 2 {
		t.Fatalf("%d requests sent; want 2 (none without a token)", len(sent))
	}
	for i, h := range sent {
		if got, want := h.Get(name), prefix+rotated(i+1); got != want {
			t.Errorf("request %d: %s %q; want %q", i+1, name, got, want)
		}
	}
	return sent
}

// rotated is the i-th token of CheckTokenSource's source.
func rotated(i int) string { return "rotated-token-" + strconv.Itoa(i) + "-0123456789" }
