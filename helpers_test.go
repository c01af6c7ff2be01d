package llmrouter_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a lineage sink that keeps a copy of every record.
type recorder struct {
	mu      sync.Mutex
	records []*llmrouter.Record
}

func (r *recorder) Write(_ context.Context, rec *llmrouter.Record) {
	r.mu.Lock()
	r.records = append(r.records, rec.Clone())
	r.mu.Unlock()
}

func (r *recorder) all() []*llmrouter.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*llmrouter.Record(nil), r.records...)
}

// only returns the single record written, failing the test otherwise.
func (r *recorder) only(t *testing.T) *llmrouter.Record {
	t.Helper()
	recs := r.all()
	require.Len(t, recs, 1, "exactly one lineage record per request")
	return recs[0]
}

// clock is a fake clock tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func hello(model string) *llmrouter.Request {
	return &llmrouter.Request{Model: model, Messages: []llmrouter.Message{llmrouter.User("Hello")}}
}

func dep(name string, p llmrouter.Provider) llmrouter.Deployment {
	return llmrouter.Deployment{Name: name, Provider: p, Model: name + "-model"}
}

// fastRetry keeps retries quick in tests.
var fastRetry = llmrouter.WithRetry(llmrouter.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, MaxWait: 50 * time.Millisecond})
