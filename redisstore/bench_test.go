package redisstore_test

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/redistest"
	"github.com/llmrouter/llmrouter/redisstore"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// BenchmarkReserve measures admissions per second on loopback at 1, 8 and
// 64 concurrent callers: one tenant per caller, four limits (requests,
// tokens, USD, concurrency) per reservation. Each admission is settled
// outside the timer... no: the settle is measured in BenchmarkSettle; here
// reservations are left to expire. roundtrips/op counts commands and
// pipelines sent, from a go-redis hook.
func BenchmarkReserve(b *testing.B) {
	srv := redistest.New(b)
	for _, callers := range []int{1, 8, 64} {
		b.Run("callers="+strconv.Itoa(callers), func(b *testing.B) {
			s, hook := benchStore(b, srv.Addr)
			var seq atomic.Int64
			limits := []llmrouter.Limit{llmrouter.RPM(1 << 40), llmrouter.TPM(1 << 40), llmrouter.USDPerDay(1e6), llmrouter.MaxConcurrent(1 << 40)}
			run(b, callers, func(tenant string) {
				r := llmrouter.Reservation{ID: strconv.FormatInt(seq.Add(1), 36), Rule: "tenant", Key: tenant,
					Limits: limits, Amount: llmrouter.Amount{Requests: 1, Tokens: 500, MicroUSD: 700}}
				if err := s.Reserve(context.Background(), r); err != nil {
					b.Error(err)
				}
			})
			report(b, hook)
		})
	}
}

// BenchmarkSettle measures settlements: each op reserves outside the hook's
// count... both are timed; roundtrips/op counts the settle only.
func BenchmarkReserveAndSettle(b *testing.B) {
	srv := redistest.New(b)
	for _, callers := range []int{1, 8, 64} {
		b.Run("callers="+strconv.Itoa(callers), func(b *testing.B) {
			s, hook := benchStore(b, srv.Addr)
			var seq atomic.Int64
			limits := []llmrouter.Limit{llmrouter.RPM(1 << 40), llmrouter.TPM(1 << 40), llmrouter.USDPerDay(1e6), llmrouter.MaxConcurrent(1 << 40)}
			run(b, callers, func(tenant string) {
				r := llmrouter.Reservation{ID: strconv.FormatInt(seq.Add(1), 36), Rule: "tenant", Key: tenant,
					Limits: limits, Amount: llmrouter.Amount{Requests: 1, Tokens: 500, MicroUSD: 700}}
				if err := s.Reserve(context.Background(), r); err != nil {
					b.Error(err)
				}
				if err := s.Settle(context.Background(), r, llmrouter.Amount{Requests: 1, Tokens: 300, MicroUSD: 400}); err != nil {
					b.Error(err)
				}
			})
			report(b, hook)
		})
	}
}

func benchStore(b testing.TB, addr string) (*redisstore.Store, *roundTrips) {
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, PoolSize: 128})
	b.Cleanup(func() { _ = c.Close() })
	s := newStore(b, c, redisstore.Options{Timeout: 5e9})
	require.NoError(b, s.Preload(context.Background()))
	require.NoError(b, c.FlushAll(context.Background()).Err())
	require.NoError(b, s.Preload(context.Background()))
	hook := &roundTrips{}
	c.AddHook(hook)
	return s, hook
}

// run calls op b.N times from callers goroutines (one tenant each).
func run(b *testing.B, callers int, op func(tenant string)) {
	b.ResetTimer()
	if callers == 1 {
		for range b.N {
			op("t0")
		}
		return
	}
	b.SetParallelism(max(callers/runtime.GOMAXPROCS(0), 1))
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		tenant := "t" + strconv.FormatInt(n.Add(1), 10)
		for pb.Next() {
			op(tenant)
		}
	})
}

func report(b *testing.B, hook *roundTrips) {
	b.StopTimer()
	b.ReportMetric(float64(hook.n.Load())/float64(b.N), "roundtrips/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
