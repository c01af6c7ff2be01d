package llmrouter

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// idleWatch ends a stream whose upstream produces nothing for its idle
// timeout. The reader bumps progress before and after each upstream Next
// (odd while it waits on the upstream, so a slow caller is never blamed); a
// timer ticking every quarter of the timeout checks it, so no timer is
// reset per chunk.
type idleWatch struct {
	progress atomic.Int64
	mu       sync.Mutex
	stopped  bool
	timer    *time.Timer
	last     int64
	since    time.Time
	timeout  time.Duration
	cancel   context.CancelCauseFunc
}

func watchIdle(timeout time.Duration, cancel context.CancelCauseFunc) *idleWatch {
	w := &idleWatch{timeout: timeout, cancel: cancel, since: time.Now()}
	w.mu.Lock() // tick reads w.timer
	w.timer = time.AfterFunc(timeout/4, w.tick)
	w.mu.Unlock()
	return w
}

func (w *idleWatch) tick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	now := time.Now()
	if p := w.progress.Load(); p != w.last || p%2 == 0 {
		w.last, w.since = p, now
	} else if now.Sub(w.since) >= w.timeout {
		w.cancel(errIdle)
		return
	}
	w.timer.Reset(w.timeout / 4)
}

func (w *idleWatch) stop() {
	w.mu.Lock()
	w.stopped = true
	w.timer.Stop()
	w.mu.Unlock()
}
