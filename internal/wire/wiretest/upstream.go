package wiretest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
)

// Upstream is an httptest server that answers every request with the
// status, content type and body last given to Set. Safe for concurrent use.
type Upstream struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	ctype  string
	body   string
}

// NewUpstream starts an Upstream answering 500 with an empty body; it is
// closed when t ends.
func NewUpstream(t testing.TB) *Upstream {
	u := &Upstream{status: http.StatusInternalServerError}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		u.mu.Lock()
		status, ctype, body := u.status, u.ctype, u.body
		u.mu.Unlock()
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		w.WriteHeader(status)
		_, _ = fmt.Fprint(w, body)
	}))
	t.Cleanup(u.Close)
	return u
}

// Set sets the answer to every following request.
func (u *Upstream) Set(status int, contentType, body string) {
	u.mu.Lock()
	u.status, u.ctype, u.body = status, contentType, body
	u.mu.Unlock()
}

// Answer is the error an Upstream sends: its status, content type, and how
// to render a message into a body.
type Answer struct {
	Name        string
	Status      int
	ContentType string
	Render      func(msg string) string
}

// Plain is a proxy's plain-text 502 answer whose body is the message.
var Plain = Answer{Name: "plain", Status: http.StatusBadGateway, ContentType: "text/plain", Render: func(m string) string { return m }}

// JSON is a 500 answer whose body is format (a provider's JSON error
// object) with its one %s replaced by the message.
func JSON(format string) Answer {
	return Answer{Name: "json", Status: http.StatusInternalServerError, ContentType: "application/json",
		Render: func(m string) string { return fmt.Sprintf(format, m) }}
}

// CheckStraddling makes p (calling u) fail once per message of
// Straddling("", key), rendered by each answer, and fails t when any piece
// of key of MinFragment bytes or more survives in the error, or when its
// message is longer than wire.MaxMessage.
func CheckStraddling(t *testing.T, p llmrouter.Provider, d *llmrouter.Deployment, u *Upstream, key string, answers ...Answer) {
	t.Helper()
	for _, a := range answers {
		for i, msg := range Straddling("", key) {
			u.Set(a.Status, a.ContentType, a.Render(msg))
			pe := Call(t, p, d)
			if n := len(pe.Message); n > wire.MaxMessage {
				t.Fatalf("%s, offset %d: message of %d bytes", a.Name, i, n)
			}
			if f := Leaked(fmt.Sprintf("%v %+v", pe, pe), key); f != "" {
				t.Fatalf("%s, offset %d: %q of the key survives in %q", a.Name, i, f, pe.Message[max(0, len(pe.Message)-60):])
			}
		}
	}
}

// CheckBounded makes p (calling u) fail with a LongMessage-byte message
// rendered by each answer and fails t unless the error's message is
// bounded to wire.MaxMessage and ends with wire.Truncated.
func CheckBounded(t *testing.T, p llmrouter.Provider, d *llmrouter.Deployment, u *Upstream, answers ...Answer) {
	t.Helper()
	for _, a := range answers {
		u.Set(a.Status, a.ContentType, a.Render(strings.Repeat("z", LongMessage)))
		pe := Call(t, p, d)
		if len(pe.Message) > wire.MaxMessage || !strings.HasSuffix(pe.Message, wire.Truncated) {
			t.Errorf("%s: message of %d bytes, ending %q; want at most %d ending %q",
				a.Name, len(pe.Message), pe.Message[max(0, len(pe.Message)-20):], wire.MaxMessage, wire.Truncated)
		}
	}
}

// Call makes one Chat call of p to d and returns its *ProviderError,
// failing t when there is none.
func Call(t testing.TB, p llmrouter.Provider, d *llmrouter.Deployment) *llmrouter.ProviderError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := p.Chat(ctx, d, &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("hi")}})
	pe, ok := err.(*llmrouter.ProviderError)
	if !ok {
		t.Fatalf("Chat: %v (%T); want a *ProviderError", err, err)
	}
	return pe
}
