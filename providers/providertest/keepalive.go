package providertest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
)

// LateEnd is how long ServeLateEnd holds back the end of a response body.
const LateEnd = 2 * time.Millisecond

// ServeLateEnd starts an httptest server running h that, once h returns,
// flushes what h wrote and holds back the end of the body (the chunked
// encoding's zero-length chunk) for LateEnd, as a server whose last event
// and end of body are separate writes does. conns reports how many
// connections clients have opened to the server.
func ServeLateEnd(t testing.TB, h http.Handler) (srv *httptest.Server, conns func() int) {
	t.Helper()
	var n atomic.Int64
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		time.Sleep(LateEnd)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, func() int { return int(n.Load()) }
}

// CheckConnReuse streams the StreamText scenario five times in sequence
// through p, each read to its end and closed, and checks that the upstream
// saw one connection: conns reports how many connections it has accepted
// (ServeLateEnd's). Serve the scenario with ServeLateEnd, so that a stream
// that closes its body at its last event, before the end of the body has
// arrived, loses its connection and fails the check.
func CheckConnReuse(t *testing.T, p llmrouter.Provider, conns func() int) {
	t.Helper()
	const n = 5
	for i := range n {
		chunks, err := drain(t, p, StreamText)
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		if f, _ := finishOf(chunks); f != llmrouter.FinishStop {
			t.Fatalf("stream %d finished with %q; want stop", i, f)
		}
	}
	if got := conns(); got != 1 {
		t.Errorf("%d streams in sequence opened %d connections; want 1", n, got)
	}
}
