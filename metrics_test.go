package llmrouter_test

import (
	"context"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/racedetect"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// collect reads every metric the reader holds, by name.
func collect(t *testing.T, reader *sdkmetric.ManualReader) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// sumWhere adds up a counter's points whose attributes include kv.
func sumWhere[N int64 | float64](m metricdata.Metrics, kv ...attribute.KeyValue) N {
	var total N
	if s, ok := m.Data.(metricdata.Sum[N]); ok {
		for _, p := range s.DataPoints {
			if hasAll(p.Attributes, kv) {
				total += p.Value
			}
		}
	}
	return total
}

// countWhere adds up a histogram's counts whose attributes include kv.
func countWhere[N int64 | float64](m metricdata.Metrics, kv ...attribute.KeyValue) uint64 {
	var total uint64
	if h, ok := m.Data.(metricdata.Histogram[N]); ok {
		for _, p := range h.DataPoints {
			if hasAll(p.Attributes, kv) {
				total += p.Count
			}
		}
	}
	return total
}

func hasAll(set attribute.Set, kv []attribute.KeyValue) bool {
	for _, want := range kv {
		if got, ok := set.Value(want.Key); !ok || got != want.Value {
			return false
		}
	}
	return true
}

func TestMetricsReadBack(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	bad := fake.New("openai", fake.WithDefault(fake.ServerError()))
	good := fake.New("anthropic", fake.WithDefault(fake.Step{Text: "hi", Usage: &llmrouter.Usage{InputTokens: 11, OutputTokens: 3}}))
	a, b := dep("a", bad), dep("b", good)
	b.Price = llmrouter.Price{InputPerMTok: 1e6, OutputPerMTok: 1e6} // $1 a token
	r, err := llmrouter.New(llmrouter.WithDeployments(a, b),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1}),
		llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 2, OpenFor: time.Hour}),
		llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(llmrouter.RPM(2))),
		llmrouter.WithMeterProvider(mp))
	require.NoError(t, err)
	req := hello("chat")
	req.Tenant = "acme"
	for i := 0; i < 3; i++ { // the third is refused by the quota
		_, _ = r.Chat(context.Background(), req)
	}
	s, err := r.ChatStream(context.Background(), hello("b"))
	require.NoError(t, err)
	for s.Next() {
	}
	require.NoError(t, s.Close())

	got := collect(t, reader)
	dur := got["gen_ai.client.operation.duration"]
	assert.EqualValues(t, 2, countWhere[float64](dur, attribute.String("llmrouter.deployment", "a"), attribute.String("error.type", "server")))
	assert.EqualValues(t, 3, countWhere[float64](dur, attribute.String("llmrouter.deployment", "b"), attribute.String("gen_ai.provider.name", "anthropic")))
	tokens := got["gen_ai.client.token.usage"]
	assert.EqualValues(t, 3, countWhere[int64](tokens, attribute.String("gen_ai.token.type", "input")))
	assert.EqualValues(t, 1, countWhere[float64](got["gen_ai.client.operation.time_to_first_chunk"]))
	assert.EqualValues(t, 2, sumWhere[int64](got["llmrouter.attempt.failures"], attribute.String("llmrouter.failure.kind", "server"), attribute.String("llmrouter.failure.class", "retry")))
	assert.EqualValues(t, 2, sumWhere[int64](got["llmrouter.failovers"]))
	assert.EqualValues(t, 1, sumWhere[int64](got["llmrouter.breaker.transitions"], attribute.String("llmrouter.breaker.state", "open")))
	assert.EqualValues(t, 1, sumWhere[int64](got["llmrouter.quota.refusals"], attribute.String("llmrouter.quota.rule", "tenant")))
	assert.InDelta(t, 42, sumWhere[float64](got["llmrouter.cost"]), 1e-6, "two answers of 14 tokens and a stream of 14 at $1 a token")
	assert.EqualValues(t, 0, sumWhere[int64](got["llmrouter.requests.in_flight"]))
	assert.EqualValues(t, 4, countWhere[float64](got["llmrouter.request.duration"]))
	assert.EqualValues(t, 1, countWhere[float64](got["llmrouter.request.duration"], attribute.String("error.type", "quota_exceeded")))
}

// TestMetricsOffCostsNothing: without a meter provider the request path
// allocates nothing for metrics (compare BenchmarkRouterChatMetrics).
func TestMetricsOffCostsNothing(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("allocation counts are not checked under the race detector")
	}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p", fake.WithCallRecording(false)))))
	require.NoError(t, err)
	req := hello("a")
	req.ID = "fixed"
	allocs := testing.AllocsPerRun(200, func() { _, _ = r.Chat(context.Background(), req) })
	assert.LessOrEqual(t, allocs, 4.0)
}

// TestMetricsNameTheVersion: route metrics carry the configuration version,
// so a canary's split shows, and a reload keeps the instruments (one
// duration histogram holds both versions).
func TestMetricsNameTheVersion(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	ps := fakes()
	r, err := llmrouter.New(llmrouter.WithConfig(reloadConfig(1, ps)), llmrouter.WithMeterProvider(mp))
	require.NoError(t, err)
	v1 := r.ConfigVersion()
	_, err = r.Chat(context.Background(), hello("chat"))
	require.NoError(t, err)
	cand, err := r.Canary(1, llmrouter.WithConfig(reloadConfig(2, ps)))
	require.NoError(t, err)
	for range 2 {
		_, err = r.Chat(context.Background(), hello("chat"))
		require.NoError(t, err)
	}
	dur := collect(t, reader)["llmrouter.request.duration"]
	assert.EqualValues(t, 1, countWhere[float64](dur, attribute.String("llmrouter.config.version", v1.ID)))
	assert.EqualValues(t, 2, countWhere[float64](dur, attribute.String("llmrouter.config.version", cand.ID)))
}
