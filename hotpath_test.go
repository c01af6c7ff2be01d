package llmrouter_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Request ids are 32 lowercase hex digits, different for every
// request: every digit shows up, nothing else does.
func TestRequestIDsAreDistinctLowercaseHex(t *testing.T) {
	sink := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p"))), llmrouter.WithLineage(sink))
	require.NoError(t, err)
	const n = 500
	seen := map[string]bool{}
	for range n {
		resp, err := r.Chat(context.Background(), hello("a"))
		require.NoError(t, err)
		seen[resp.RequestID] = true
	}
	require.Len(t, seen, n, "distinct ids")
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	var all strings.Builder
	for id := range seen {
		require.Regexp(t, hex32, id)
		all.WriteString(id)
	}
	for _, digit := range "0123456789abcdef" {
		assert.Contains(t, all.String(), string(digit))
	}
	for _, rec := range sink.all() {
		assert.True(t, seen[rec.RequestID], "the record carries the response's id")
	}
}

// Ids made ahead (several per allocation) stay distinct when requests run
// on many goroutines at once, each reusing pooled calls.
func TestRequestIDsAreDistinctAcrossGoroutines(t *testing.T) {
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p"))))
	require.NoError(t, err)
	const workers, each = 8, 300
	ids := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				resp, err := r.Chat(context.Background(), hello("a"))
				if err != nil {
					t.Error(err)
					return
				}
				ids[w] = append(ids[w], resp.RequestID)
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, list := range ids {
		for _, id := range list {
			require.Len(t, id, 32)
			require.False(t, seen[id], "id %s given twice", id)
			seen[id] = true
		}
	}
	require.Len(t, seen, workers*each)
}

// With the default clock, a record's times are wall-clock times taken
// during the call (the router reads the monotonic clock from a recent
// wall-clock reading), and its durations nest.
func TestRecordTimesFollowTheWallClock(t *testing.T) {
	sink := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p", fake.WithDefault(fake.Step{Text: "ok", Latency: 2 * time.Millisecond})))),
		llmrouter.WithLineage(sink))
	require.NoError(t, err)
	for range 3 {
		before := time.Now()
		_, err := r.Chat(context.Background(), hello("a"))
		require.NoError(t, err)
		after := time.Now()
		recs := sink.all()
		rec := recs[len(recs)-1]
		// Round(0) compares wall clocks, not monotonic readings.
		assert.False(t, rec.Start.Round(0).Before(before.Round(0).Add(-time.Millisecond)), "start %v before the call began at %v", rec.Start, before)
		assert.False(t, rec.Start.Round(0).After(after.Round(0)), "start %v after the call ended at %v", rec.Start, after)
		assert.GreaterOrEqual(t, rec.Duration, 2*time.Millisecond)
		assert.LessOrEqual(t, rec.Duration, after.Sub(before))
		require.Len(t, rec.Attempts, 1)
		a := rec.Attempts[0]
		assert.False(t, a.Start.Before(rec.Start))
		assert.GreaterOrEqual(t, a.Duration, 2*time.Millisecond)
		assert.LessOrEqual(t, a.Start.Sub(rec.Start)+a.Duration, rec.Duration)
	}
}

// Requests alternating between routes (and a deployment named directly)
// each go where their own Model says, and a route removed by Apply is
// gone for the next request, however pooled calls remember the last route.
func TestAlternatingRoutesResolveEachTime(t *testing.T) {
	p := fake.New("p")
	opts := []llmrouter.Option{llmrouter.WithDeployments(dep("a", p), dep("b", p)),
		llmrouter.WithRoute("first", llmrouter.Route{Tiers: [][]string{{"a"}}}),
		llmrouter.WithRoute("second", llmrouter.Route{Tiers: [][]string{{"b"}}})}
	r, err := llmrouter.New(opts...)
	require.NoError(t, err)
	for i := range 30 {
		model, want := []string{"first", "second", "a", "b"}[i%4], []string{"a", "b", "a", "b"}[i%4]
		resp, err := r.Chat(context.Background(), hello(model))
		require.NoError(t, err)
		require.Equal(t, want, resp.Deployment, "request %d for %q", i, model)
	}
	_, err = r.Apply(llmrouter.WithDeployments(dep("a", p), dep("b", p)),
		llmrouter.WithRoute("second", llmrouter.Route{Tiers: [][]string{{"a"}}}))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("first"))
	require.ErrorIs(t, err, llmrouter.ErrInvalidRequest, "route first is gone")
	resp, err := r.Chat(context.Background(), hello("second"))
	require.NoError(t, err)
	require.Equal(t, "a", resp.Deployment, "route second now goes to a")
}
