package sim

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"
)

// engine runs requests on virtual time. Each request runs on a goroutine
// of its own, but only one goroutine runs at a time: the driver starts or
// wakes one and waits until it yields (it blocked in a provider call,
// waiting for its latency to pass, or it finished). Virtual time jumps from
// event to event, so nothing sleeps, and with a seeded rng every run is the
// same.
type engine struct {
	now   atomic.Int64 // virtual Unix ns
	mu    sync.Mutex
	queue events
	seq   int64
	yield chan struct{}
}

// epoch is virtual time zero.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newEngine() *engine {
	e := &engine{yield: make(chan struct{})}
	e.now.Store(epoch.UnixNano())
	return e
}

// Now is the router's clock.
func (e *engine) Now() time.Time { return time.Unix(0, e.now.Load()).UTC() }

// elapsed is the virtual time since the start of the run.
func (e *engine) elapsed() time.Duration { return time.Duration(e.now.Load() - epoch.UnixNano()) }

// wait blocks the calling request goroutine for d of virtual time.
func (e *engine) wait(d time.Duration) {
	wake := make(chan struct{})
	e.mu.Lock()
	e.seq++
	heap.Push(&e.queue, event{at: e.now.Load() + int64(d), seq: e.seq, wake: wake})
	e.mu.Unlock()
	e.yield <- struct{}{}
	<-wake
}

// spawn runs f on a goroutine of its own and returns once it yields.
func (e *engine) spawn(f func()) {
	go func() {
		f()
		e.yield <- struct{}{}
	}()
	<-e.yield
}

// runUntil wakes, in time order, every waiting goroutine due at or before
// t (all of them when t is negative), one at a time.
func (e *engine) runUntil(t int64) {
	for {
		e.mu.Lock()
		if len(e.queue) == 0 || (t >= 0 && e.queue[0].at > t) {
			e.mu.Unlock()
			break
		}
		ev := heap.Pop(&e.queue).(event)
		e.mu.Unlock()
		e.now.Store(ev.at)
		close(ev.wake)
		<-e.yield
	}
	if t >= 0 && t > e.now.Load() {
		e.now.Store(t)
	}
}

type event struct {
	at   int64
	seq  int64
	wake chan struct{}
}

type events []event

func (q events) Len() int { return len(q) }
func (q events) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q events) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *events) Push(x any)   { *q = append(*q, x.(event)) }
func (q *events) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
