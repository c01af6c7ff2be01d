// Package drain ends a streamed HTTP response body so that its connection
// can be reused.
//
// An HTTP/1.1 connection goes back to the client's pool only when its
// response body has been read to the end. A streaming answer's last event
// (OpenAI's "data: [DONE]", Anthropic's message_stop, Bedrock's metadata)
// is often followed, a moment later and in a packet of its own, by the
// end of the body (the chunked encoding's zero-length chunk). A stream
// that closes the body at its last event loses the connection, and the
// next request pays for a new one (a TLS handshake, over the Internet).
// Close reads that end first, within bounds, so a server that keeps the
// body open costs a short wait, not a hang.
package drain

import (
	"io"
	"sync"
	"time"
)

// Bounds of Close.
const (
	// MaxBytes is how much of the rest of a body Close reads at most.
	MaxBytes = 4 << 10
	// MaxWait is how long Close waits at most for the end of a body.
	MaxWait = 100 * time.Millisecond
)

// drainer holds what one Close needs: a timer that closes the body when
// MaxWait passes, and a buffer. Drainers are pooled, so Close allocates
// nothing once warm.
type drainer struct {
	timer *time.Timer
	mu    sync.Mutex
	body  io.Closer // the body the timer closes, nil when disarmed
	buf   [512]byte
}

func (d *drainer) expire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.body != nil {
		_ = d.body.Close() // ends a Read blocked on the connection
	}
}

var pool = sync.Pool{New: func() any {
	d := new(drainer)
	d.timer = time.AfterFunc(time.Hour, d.expire)
	d.timer.Stop()
	return d
}}

// Close reads what is left of body, up to MaxBytes and for at most
// MaxWait, then closes it and returns Close's error. Call it once a stream
// has read its last event, not to abandon a stream midway (Close the body
// then: reading on would wait for an answer nobody wants).
//
// When the wait runs out, body is closed from another goroutine while a
// Read is blocked on it, which net/http's response bodies allow.
func Close(body io.ReadCloser) error {
	d := pool.Get().(*drainer)
	d.mu.Lock()
	d.body = body
	d.mu.Unlock()
	d.timer.Reset(MaxWait)
	for n, reads := 0, 0; n < MaxBytes && reads < MaxBytes/len(d.buf)+1; reads++ {
		m, err := body.Read(d.buf[:])
		n += m
		if err != nil {
			break
		}
	}
	stopped := d.timer.Stop()
	d.mu.Lock()
	d.body = nil
	d.mu.Unlock()
	if stopped {
		// The timer did not fire: no expire of this use can run later,
		// so the drainer can serve another body.
		pool.Put(d)
	}
	return body.Close()
}
