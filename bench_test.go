package llmrouter_test

import (
	"context"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace/noop"
)

// benchReq is a small chat request, as most are.
func benchReq(tenant string) *llmrouter.Request {
	return &llmrouter.Request{Model: "chat", Tenant: tenant, MaxOutputTokens: 256, Messages: []llmrouter.Message{
		llmrouter.System("You are a helpful assistant."),
		llmrouter.User("What is the capital of France?"),
	}}
}

// countingSink is the lineage sink of the benchmarks: it reads each record
// as a metrics exporter would. BenchmarkJSONLSink measures encoding records
// as JSON, which a JSONL sink adds on top.
type countingSink struct{ requests, tokens atomic.Int64 }

func (s *countingSink) Write(_ context.Context, r *llmrouter.Record) {
	s.requests.Add(1)
	s.tokens.Add(int64(r.Usage.Total()))
}

// benchRouter is the configuration BenchmarkRouterChat measures: four
// deployments over two tiers, three policies, a per-tenant quota, a lineage
// sink and a no-op tracer provider.
func benchRouter(b *testing.B, p llmrouter.Provider, sinks ...llmrouter.Sink) *llmrouter.Router {
	b.Helper()
	return benchRouterWith(b, nil, p, llmrouter.WithLineage(sinks...))
}

// benchRouterWith is benchRouter with strategy s picking within each tier
// (nil: the default, WeightedRandom), plus extra options.
func benchRouterWith(b *testing.B, s llmrouter.Strategy, p llmrouter.Provider, extra ...llmrouter.Option) *llmrouter.Router {
	b.Helper()
	var deps []llmrouter.Deployment
	for i, region := range []string{"eu-west-1", "eu-central-1", "eu-north-1", "eu-south-1"} {
		deps = append(deps, llmrouter.Deployment{Name: "d" + strconv.Itoa(i), Provider: p, Model: "m", Region: region,
			Retention: llmrouter.ZeroRetention, Price: llmrouter.Price{InputPerMTok: 1, OutputPerMTok: 4}, ContextWindow: 128_000})
	}
	r, err := llmrouter.New(append([]llmrouter.Option{
		llmrouter.WithDeployments(deps...),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"d0", "d1"}, {"d2", "d3"}}, Strategy: s}),
		llmrouter.WithPolicies(llmrouter.RegionIn("eu-*"), llmrouter.RequireZeroRetention(), llmrouter.MaxPrice(5, 20)),
		llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(llmrouter.RPM(1<<40), llmrouter.TPM(1<<50))),
		llmrouter.WithLineage(&countingSink{}),
		llmrouter.WithTracerProvider(noop.NewTracerProvider()),
	}, extra...)...)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func benchFake() *fake.Provider {
	return fake.New("fake", fake.WithCallRecording(false), fake.WithDefault(fake.Reply("Paris.")))
}

// BenchmarkDirect calls the fake provider directly: the baseline that
// BenchmarkRouterChat adds the router to.
func BenchmarkDirect(b *testing.B) {
	p := benchFake()
	d := &llmrouter.Deployment{Name: "d0", Provider: p, Model: "m"}
	req := benchReq("acme")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Chat(ctx, d, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRouterChat routes the same call through a fully configured
// router.
func BenchmarkRouterChat(b *testing.B) {
	r := benchRouter(b, benchFake())
	req := benchReq("acme")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Chat(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRouterChatJSONL is BenchmarkRouterChat with a JSONL sink
// writing every record to io.Discard as well.
func BenchmarkRouterChatJSONL(b *testing.B) {
	r := benchRouter(b, benchFake(), llmrouter.NewJSONLSink(io.Discard))
	req := benchReq("acme")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Chat(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRouterChatMetrics is BenchmarkRouterChat recording metrics
// through the OpenTelemetry SDK (a manual reader, never collected): the
// added cost of metrics when they are on. With them off (BenchmarkRouterChat)
// the router does no metrics work.
func BenchmarkRouterChatMetrics(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	r := benchRouterWith(b, nil, benchFake(), llmrouter.WithMeterProvider(mp))
	req := benchReq("acme")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Chat(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRouterChatParallel runs BenchmarkRouterChat from every P, one
// tenant per goroutine; compare -cpu 1,2 for scaling.
func BenchmarkRouterChatParallel(b *testing.B) {
	r := benchRouter(b, benchFake())
	ctx := context.Background()
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := benchReq("tenant-" + strconv.FormatInt(n.Add(1), 10))
		for pb.Next() {
			if _, err := r.Chat(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkDirectParallel is BenchmarkDirect run as BenchmarkRouterChatParallel
// is: how far the direct call itself scales on this machine, the ceiling
// of the router's scaling.
func BenchmarkDirectParallel(b *testing.B) {
	p := benchFake()
	d := &llmrouter.Deployment{Name: "d0", Provider: p, Model: "m"}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := benchReq("acme")
		for pb.Next() {
			if _, err := p.Chat(ctx, d, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkStream reads a 1,000-chunk answer from the fake directly and
// through the router; ns/chunk and allocs/chunk give the router's cost per
// chunk (its per-request cost spread over 1,000 chunks adds ~1 ns).
func BenchmarkStream(b *testing.B) {
	const chunks = 1000
	text := strings.Repeat("tok ", chunks)
	p := fake.New("fake", fake.WithCallRecording(false), fake.WithDefault(fake.Step{Text: text, Chunks: chunks}))
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		d := &llmrouter.Deployment{Name: "d0", Provider: p, Model: "m"}
		req := benchReq("acme")
		b.ReportAllocs()
		for b.Loop() {
			s, err := p.Stream(ctx, d, req)
			if err != nil {
				b.Fatal(err)
			}
			for s.Next() {
			}
			s.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*chunks), "ns/chunk")
	})
	b.Run("router", func(b *testing.B) {
		r := benchRouter(b, p)
		req := benchReq("acme")
		b.ReportAllocs()
		for b.Loop() {
			s, err := r.ChatStream(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			for s.Next() {
			}
			if err := s.Err(); err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*chunks), "ns/chunk")
	})
}
