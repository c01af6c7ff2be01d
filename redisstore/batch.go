package redisstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Scripts called at the same moment by many goroutines go to Redis
// together, in one pipeline: each call is still one round trip for its
// caller, but Redis and the client make one read and one write (one system
// call each) for the whole batch instead of one per call. There is no
// timer and no goroutine: the first caller to find no batch in flight
// sends the calls queued so far (its own among them); callers arriving
// meanwhile queue, and the first of them sends the next batch when the
// current one returns. A lone caller is sent at once.

// maxBatch caps the calls in one pipeline.
const maxBatch = 128

// queued is one script call waiting for, or in, a batch.
type queued struct {
	sc   *redis.Script
	keys []string
	args []any
	cmd  *redis.Cmd
	err  error
	done chan struct{} // closed once cmd and err are set
	lead chan struct{} // signalled when this call must send the next batch
}

type batcher struct {
	mu      sync.Mutex
	queue   []*queued
	sending bool // a batch is in flight, or its sender has been chosen
}

// errWithdrawn reports a call whose caller gave up before it was sent.
var errWithdrawn = errors.New("redisstore: the caller's context ended before the call was sent")

// eval runs sc as part of a batch and returns its reply. A call still
// queued when ctx ends, or after Timeout, is withdrawn unsent (ErrBusy
// after Timeout); a sent one waits for its batch, bounded by Timeout.
func (s *Store) eval(ctx context.Context, sc *redis.Script, keys []string, args []any) (*redis.Cmd, error) {
	q := &queued{sc: sc, keys: keys, args: args, done: make(chan struct{}), lead: make(chan struct{}, 1)}
	b := &s.batch
	b.mu.Lock()
	b.queue = append(b.queue, q)
	if !b.sending {
		b.sending = true
		b.mu.Unlock()
		s.send()
	} else {
		b.mu.Unlock()
	}
	select {
	case <-q.done: // sent at once, alone or with others
		return q.cmd, q.err
	default:
	}
	wait := time.NewTimer(s.o.Timeout)
	defer wait.Stop()
	for {
		select {
		case <-q.done:
			return q.cmd, q.err
		case <-q.lead:
			s.send()
		case <-wait.C:
			if s.withdraw(q) {
				return nil, ErrBusy
			}
			<-q.done // already sent: its batch ends within Timeout
			return q.cmd, q.err
		case <-ctx.Done():
			if s.withdraw(q) {
				return nil, errors.Join(errWithdrawn, ctx.Err())
			}
			<-q.done
			return q.cmd, q.err
		}
	}
}

// withdraw takes q out of the queue if it has not been sent, handing on
// the duty to send that it may have been given.
func (s *Store) withdraw(q *queued) bool {
	b := &s.batch
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, x := range b.queue {
		if x == q {
			b.queue = append(b.queue[:i], b.queue[i+1:]...)
			select {
			case <-q.lead: // it was to send the next batch: pass that on
				s.handOn()
			default:
			}
			return true
		}
	}
	return false
}

// handOn gives the duty to send to the first call queued, or ends it. The
// caller holds b.mu.
func (s *Store) handOn() {
	b := &s.batch
	if len(b.queue) == 0 {
		b.sending = false
		return
	}
	b.queue[0].lead <- struct{}{}
}

// send sends the calls queued (up to maxBatch) in one pipeline, through
// the breaker and within Timeout, hands each its reply, then hands on.
func (s *Store) send() {
	b := &s.batch
	b.mu.Lock()
	n := min(len(b.queue), maxBatch)
	batch := make([]*queued, n)
	copy(batch, b.queue)
	b.queue = append(b.queue[:0], b.queue[n:]...)
	b.mu.Unlock()

	_, err := s.do(context.Background(), func(ctx context.Context) (any, error) {
		if len(batch) == 1 {
			q := batch[0]
			q.cmd = q.sc.Run(ctx, s.c, q.keys, q.args...)
			return nil, transportErr(q.cmd.Err())
		}
		_, _ = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, q := range batch {
				q.cmd = q.sc.EvalSha(ctx, p, q.keys, q.args...)
			}
			return nil
		})
		var first error
		for _, q := range batch {
			if redis.HasErrorPrefix(q.cmd.Err(), "NOSCRIPT") {
				// Redis lost the script (a restart, a failover): Run
				// sends it in full.
				q.cmd = q.sc.Run(ctx, s.c, q.keys, q.args...)
			}
			if first == nil {
				first = transportErr(q.cmd.Err())
			}
		}
		return nil, first
	})
	notSent := !sent(err)
	for _, q := range batch {
		switch {
		case notSent || q.cmd == nil:
			q.err = err
		default:
			q.err = q.cmd.Err()
		}
		close(q.done)
	}
	b.mu.Lock()
	s.handOn()
	b.mu.Unlock()
}

// transportErr is err unless it is an error reply from Redis, which says
// Redis is alive.
func transportErr(err error) error {
	var re redis.Error
	if err == nil || errors.As(err, &re) {
		return nil
	}
	return err
}
