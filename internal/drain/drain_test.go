package drain

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/llmrouter/llmrouter/internal/racedetect"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// body is a test body: it serves r, then blocks until closed if block is
// set; it records how much was read and whether it was closed.
type body struct {
	r      io.Reader
	block  bool
	read   int
	closed chan struct{}
}

func newBody(r io.Reader, block bool) *body {
	return &body{r: r, block: block, closed: make(chan struct{})}
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += n
	if err == io.EOF && b.block {
		<-b.closed
		return n, errors.New("read on closed body")
	}
	return n, err
}

func (b *body) Close() error {
	select {
	case <-b.closed:
	default:
		close(b.closed)
	}
	return nil
}

func (b *body) isClosed() bool {
	select {
	case <-b.closed:
		return true
	default:
		return false
	}
}

func TestClose(t *testing.T) {
	cases := []struct {
		name     string
		rest     io.Reader
		block    bool
		wantRead int
		slow     bool // Close waits for MaxWait
	}{
		{"at its end", strings.NewReader(""), false, 0, false},
		{"end after a little", strings.NewReader("\r\n0\r\n\r\n"), false, 7, false},
		{"never ends", strings.NewReader("x"), true, 1, true},
		{"more than MaxBytes", strings.NewReader(strings.Repeat("x", 3*MaxBytes)), false, MaxBytes, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBody(c.rest, c.block)
			start := time.Now()
			if err := Close(b); err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			if !b.isClosed() {
				t.Errorf("body not closed")
			}
			if b.read != c.wantRead {
				t.Errorf("read %d bytes; want %d", b.read, c.wantRead)
			}
			if c.slow && (took < MaxWait || took > MaxWait+2*time.Second) {
				t.Errorf("Close took %v; want about %v", took, MaxWait)
			}
			if !c.slow && took > MaxWait {
				t.Errorf("Close took %v for a body that ends", took)
			}
		})
	}
}

func TestCloseAllocs(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("the race detector allocates, and drops pooled values")
	}
	r := strings.NewReader("")
	b := newBody(r, false)
	_ = Close(b) // warm the pool
	if n := testing.AllocsPerRun(100, func() { _ = Close(b) }); n != 0 {
		t.Errorf("Close of a body at its end allocates %v times; want 0", n)
	}
}

// A net/http response body that a server keeps open: Close returns after
// MaxWait, closing the body from the timer while a Read waits on it (which
// the race detector checks).
func TestCloseHTTPBodyKeptOpen(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if _, err := io.ReadAtLeast(resp.Body, buf, len("data: [DONE]\n\n")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = Close(resp.Body)
	if took := time.Since(start); took < MaxWait || took > MaxWait+2*time.Second {
		t.Errorf("Close took %v; want about %v", took, MaxWait)
	}
}
