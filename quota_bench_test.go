package llmrouter_test

import (
	"context"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
)

// benchQuotaLimits are a tenant's usual limits: both counted, neither near.
var benchQuotaLimits = []llmrouter.Limit{llmrouter.RPM(1 << 40), llmrouter.TPM(1 << 50)}

// BenchmarkQuotaReserve reserves and settles in one bucket: the quota
// store's share of a routed call.
func BenchmarkQuotaReserve(b *testing.B) {
	s := llmrouter.NewMemoryQuotaStore()
	ctx := context.Background()
	res := llmrouter.Reservation{Rule: "tenant", Key: "acme", Limits: benchQuotaLimits,
		Amount: llmrouter.Amount{Requests: 1, Tokens: 300}, Time: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Reserve(ctx, res); err != nil {
			b.Fatal(err)
		}
		_ = s.Settle(ctx, res, llmrouter.Amount{Requests: 1, Tokens: 200})
	}
}

// BenchmarkQuotaReserveParallel is BenchmarkQuotaReserve from every P, one
// tenant per goroutine.
func BenchmarkQuotaReserveParallel(b *testing.B) {
	s := llmrouter.NewMemoryQuotaStore()
	ctx := context.Background()
	now := time.Now()
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		res := llmrouter.Reservation{Rule: "tenant", Key: "tenant-" + strconv.FormatInt(n.Add(1), 10),
			Limits: benchQuotaLimits, Amount: llmrouter.Amount{Requests: 1, Tokens: 300}, Time: now}
		for pb.Next() {
			if err := s.Reserve(ctx, res); err != nil {
				b.Error(err)
				return
			}
			_ = s.Settle(ctx, res, llmrouter.Amount{Requests: 1, Tokens: 200})
		}
	})
}

// BenchmarkQuotaReserve1MBuckets reserves (and cancels) across a store
// holding a million live buckets, timing each Reserve: p99, p99.9 and
// p99.99 show whether a reservation ever pays for the whole store (a sweep
// of every bucket), which the mean hides when it is rare.
func BenchmarkQuotaReserve1MBuckets(b *testing.B) {
	const buckets = 1 << 20
	keys := make([]string, buckets)
	for i := range keys {
		keys[i] = "tenant-" + strconv.Itoa(i)
	}
	s := llmrouter.NewMemoryQuotaStore()
	now := time.Date(2026, 1, 1, 12, 30, 0, 0, time.UTC) // mid-window for every limit below
	limits := []llmrouter.Limit{{Window: time.Hour, Requests: 1 << 40, Tokens: 1 << 50}}
	llmrouter.FillQuotaStore(s, "tenant", keys, limits, llmrouter.Amount{Requests: 1, Tokens: 300}, now)
	ctx := context.Background()
	lat := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		res := llmrouter.Reservation{Rule: "tenant", Key: keys[i*7919%buckets], Limits: limits,
			Amount: llmrouter.Amount{Requests: 1, Tokens: 300}, Time: now}
		t0 := time.Now()
		err := s.Reserve(ctx, res)
		lat[i] = time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		_ = s.Cancel(ctx, res)
	}
	b.StopTimer()
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Nanoseconds()) }
	b.ReportMetric(q(0.99), "p99-ns")
	b.ReportMetric(q(0.999), "p99.9-ns")
	b.ReportMetric(q(0.9999), "p99.99-ns")
	b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "max-ns")
}
