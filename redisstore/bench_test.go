package redisstore_test

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/redistest"
	"github.com/llmrouter/llmrouter/redisstore"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// BenchmarkReserve measures admissions per second on loopback at 1, 8 and
// 64 concurrent callers: one tenant per caller, four limits (requests,
// tokens, USD, concurrency) or the three windowed ones, left to expire
// (so with limits=4 each tenant's lease set grows to thousands, which
// settled requests never do: see BenchmarkReserveAndSettle). roundtrips/op
// counts commands and pipelines sent (a go-redis hook): below 1 when
// concurrent calls share a pipeline. redis-µs/script is Redis's own time
// per script call (INFO commandstats).
func BenchmarkReserve(b *testing.B) {
	srv := redistest.New(b)
	all := []llmrouter.Limit{llmrouter.RPM(1 << 40), llmrouter.TPM(1 << 40), llmrouter.USDPerDay(1e6), llmrouter.MaxConcurrent(1 << 40)}
	for _, set := range []struct {
		name   string
		limits []llmrouter.Limit
	}{{"limits=4", all}, {"limits=windows", all[:3]}} {
		for _, callers := range []int{1, 8, 64} {
			b.Run(set.name+"/callers="+strconv.Itoa(callers), func(b *testing.B) {
				s, hook, c := benchStore(b, srv.Addr)
				var seq atomic.Int64
				m := startMeter(b, c)
				run(b, callers, func(tenant string) {
					r := llmrouter.Reservation{ID: strconv.FormatInt(seq.Add(1), 36), Rule: "tenant", Key: tenant,
						Limits: set.limits, Amount: llmrouter.Amount{Requests: 1, Tokens: 500, MicroUSD: 700}}
					if err := s.Reserve(context.Background(), r); err != nil {
						b.Error(err)
					}
				})
				report(b, hook, c, m)
			})
		}
	}
}

// BenchmarkReserveAndSettle measures a reservation and its settlement:
// two round trips per op for a lone caller.
func BenchmarkReserveAndSettle(b *testing.B) {
	srv := redistest.New(b)
	for _, callers := range []int{1, 8, 64} {
		b.Run("callers="+strconv.Itoa(callers), func(b *testing.B) {
			s, hook, c := benchStore(b, srv.Addr)
			var seq atomic.Int64
			m := startMeter(b, c)
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
			report(b, hook, c, m)
		})
	}
}

func benchStore(b testing.TB, addr string) (*redisstore.Store, *roundTrips, *redis.Client) {
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, PoolSize: 128})
	b.Cleanup(func() { _ = c.Close() })
	s := newStore(b, c, redisstore.Options{Timeout: 5e9})
	require.NoError(b, s.Preload(context.Background()))
	require.NoError(b, c.FlushAll(context.Background()).Err())
	require.NoError(b, s.Preload(context.Background()))
	require.NoError(b, c.ConfigResetStat(context.Background()).Err())
	hook := &roundTrips{}
	c.AddHook(hook)
	return s, hook, c
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

// meter reads the CPU time this process and redis-server have used, so
// that a benchmark can report CPU per operation: unlike operations per
// second, it hardly depends on what else the machine runs.
type meter struct{ client, server time.Duration }

func startMeter(b testing.TB, c *redis.Client) meter {
	return meter{client: processCPU(b), server: serverCPU(b, c)}
}

func processCPU(b testing.TB) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU is redis-server's user plus system CPU time (INFO cpu).
func serverCPU(b testing.TB, c *redis.Client) time.Duration {
	info, err := c.Info(context.Background(), "cpu").Result()
	require.NoError(b, err)
	var total float64
	for _, f := range []string{"used_cpu_sys:", "used_cpu_user:"} {
		if _, rest, ok := strings.Cut(info, f); ok {
			v, _, _ := strings.Cut(rest, "\r\n")
			x, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			total += x
		}
	}
	return time.Duration(total * 1e9)
}

// report adds the benchmark's metrics: round trips per op (commands and
// pipelines the client sent), ops per second, Redis's own time per script
// call (INFO commandstats usec_per_call), and the CPU time per op of the
// client process and of redis-server, whose sum bounds what 2 idle cores
// could do (2 s of CPU per second).
func report(b *testing.B, hook *roundTrips, c *redis.Client, m meter) {
	b.StopTimer()
	n := float64(b.N)
	clientCPU := float64(processCPU(b)-m.client) / n / 1e3
	serverCPU := float64(serverCPU(b, c)-m.server) / n / 1e3
	b.ReportMetric(float64(hook.n.Load())/n, "roundtrips/op")
	b.ReportMetric(n/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(clientCPU, "client-cpu-µs/op")
	b.ReportMetric(serverCPU, "redis-cpu-µs/op")
	b.ReportMetric(2e6/(clientCPU+serverCPU), "2core-bound-ops/s")
	stats := c.Info(context.Background(), "commandstats").Val()
	if _, rest, ok := strings.Cut(stats, "cmdstat_evalsha:"); ok {
		if _, v, ok := strings.Cut(rest, "usec_per_call="); ok {
			v, _, _ = strings.Cut(v, ",")
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				b.ReportMetric(f, "redis-µs/script")
			}
		}
	}
}
