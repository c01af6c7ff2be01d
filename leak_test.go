package llmrouter_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/racedetect"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestTenThousandConcurrentStreams holds 10,000 streams open at once (each
// has delivered its first chunk; the upstream has more to send), measures
// the memory each holds, then closes them all and checks nothing is left.
func TestTenThousandConcurrentStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("memory test")
	}
	defer goleak.VerifyNone(t)
	p := fake.New("p", fake.WithCallRecording(false), fake.WithDefault(fake.Reply("one two three four")))
	sink := newCountSink()
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)), llmrouter.WithLineage(sink),
		llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(llmrouter.MaxConcurrent(20_000))),
		llmrouter.WithTimeouts(llmrouter.Timeouts{FirstToken: time.Minute, Idle: time.Minute}))
	require.NoError(t, err)
	req := hello("a")
	req.Tenant = "acme"

	const n = 10_000
	streams := make([]*llmrouter.Stream, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range streams {
		s, err := r.ChatStream(context.Background(), req)
		require.NoError(t, err)
		require.True(t, s.Next())
		streams[i] = s
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perStream := float64(after.HeapAlloc-before.HeapAlloc) / n
	goroutines := runtime.NumGoroutine()
	t.Logf("%d streams in flight: %.0f bytes of heap each, %d goroutines", n, perStream, goroutines)
	fmt.Printf("in-flight: streams=%d heap_per_stream=%.0fB goroutines=%d\n", n, perStream, goroutines)
	if !racedetect.Enabled { // the race detector's instrumentation changes allocation sizes
		assert.LessOrEqual(t, perStream, 4096.0, "an in-flight request holds at most 4 KiB")
	}
	assert.Less(t, goroutines, 100, "streams start no goroutines of their own")

	for _, s := range streams {
		s.Close()
	}
	assert.EqualValues(t, n, sink.n.Load(), "every stream closed leaves its record")
}

func TestNoLeaksOnEarlyCloseCancelAndHang(t *testing.T) {
	defer goleak.VerifyNone(t)
	hang := fake.New("hang", fake.WithDefault(fake.Step{Text: "a b c", HangAfter: 1}))
	hung := fake.New("hung", fake.WithDefault(fake.Hang()))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("stall", hang), dep("hung", hung)),
		llmrouter.WithTimeouts(llmrouter.Timeouts{Idle: 100 * time.Millisecond, FirstToken: 100 * time.Millisecond, Attempt: 100 * time.Millisecond}))
	require.NoError(t, err)
	for range 10 {
		// Closed early.
		s, err := r.ChatStream(context.Background(), hello("stall"))
		require.NoError(t, err)
		s.Next()
		s.Close()
		// Cancelled mid-stream.
		ctx, cancel := context.WithCancel(context.Background())
		s, err = r.ChatStream(ctx, hello("stall"))
		require.NoError(t, err)
		s.Next()
		cancel()
		for s.Next() {
		}
		s.Close()
		// A provider that never answers.
		_, err = r.Chat(context.Background(), hello("hung"))
		require.Error(t, err)
		_, err = r.ChatStream(context.Background(), hello("hung"))
		require.Error(t, err)
	}
}
