package llmrouter_test

import (
	"context"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/racedetect"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestTracingSpanPerRequestAndAttempt(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	a := fake.New("openai", fake.WithDefault(fake.ServerError()))
	b := fake.New("anthropic", fake.WithDefault(fake.Step{Text: "hi", Model: "claude-x-2026", Usage: &llmrouter.Usage{InputTokens: 11, OutputTokens: 3}}))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a), dep("b", b)),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1}),
		llmrouter.WithTracerProvider(tp))
	require.NoError(t, err)
	req := hello("chat")
	req.Tenant = "acme"
	_, err = r.Chat(context.Background(), req)
	require.NoError(t, err)

	spans := exp.GetSpans().Snapshots()
	require.Len(t, spans, 3)
	first, second, root := spans[0], spans[1], spans[2]
	assert.Equal(t, "llmrouter.chat", root.Name())
	assert.Equal(t, trace.SpanKindInternal, root.SpanKind())
	assert.Equal(t, codes.Unset, root.Status().Code, "a request saved by failover is not an error")
	ra := attrs(root)
	assert.Equal(t, "chat", ra["llmrouter.route"].AsString())
	assert.Equal(t, "acme", ra["llmrouter.tenant"].AsString())
	assert.Equal(t, int64(2), ra["llmrouter.attempts"].AsInt64())
	assert.True(t, ra["llmrouter.fallback"].AsBool())

	for _, s := range []sdktrace.ReadOnlySpan{first, second} {
		assert.Equal(t, root.SpanContext().SpanID(), s.Parent().SpanID(), "attempts are children of the request")
		assert.Equal(t, trace.SpanKindClient, s.SpanKind())
		assert.Equal(t, "chat", attrs(s)["gen_ai.operation.name"].AsString())
	}
	fa := attrs(first)
	assert.Equal(t, "chat a-model", first.Name())
	assert.Equal(t, "openai", fa["gen_ai.provider.name"].AsString())
	assert.Equal(t, "a-model", fa["gen_ai.request.model"].AsString())
	assert.Equal(t, codes.Error, first.Status().Code)
	assert.Equal(t, "server", fa["error.type"].AsString())

	sa := attrs(second)
	assert.Equal(t, codes.Unset, second.Status().Code)
	assert.Equal(t, "anthropic", sa["gen_ai.provider.name"].AsString())
	assert.Equal(t, "claude-x-2026", sa["gen_ai.response.model"].AsString())
	assert.Equal(t, int64(11), sa["gen_ai.usage.input_tokens"].AsInt64())
	assert.Equal(t, int64(3), sa["gen_ai.usage.output_tokens"].AsInt64())
}

func TestTracingFailedRequestIsAnError(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p", fake.WithDefault(fake.Fail(llmrouter.KindAuth, 401))))),
		llmrouter.WithTracerProvider(tp))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("a"))
	require.Error(t, err)
	spans := exp.GetSpans().Snapshots()
	root := spans[len(spans)-1]
	assert.Equal(t, codes.Error, root.Status().Code)
	assert.Equal(t, "failed", attrs(root)["error.type"].AsString())
}

func TestTracingOffCostsNothing(t *testing.T) {
	for _, opts := range [][]llmrouter.Option{nil, {llmrouter.WithTracerProvider(noop.NewTracerProvider())}} {
		p := fake.New("p", fake.WithCallRecording(false))
		opts = append(opts, llmrouter.WithDeployments(dep("a", p)))
		r, err := llmrouter.New(opts...)
		require.NoError(t, err)
		req := hello("a")
		req.ID = "fixed"
		ctx := context.Background()
		// The fake allocates its response; the router adds nothing for
		// tracing (compare BenchmarkRouterChat).
		if racedetect.Enabled {
			t.Skip("allocation counts are not checked under the race detector")
		}
		allocs := testing.AllocsPerRun(200, func() { _, _ = r.Chat(ctx, req) })
		assert.LessOrEqual(t, allocs, 4.0)
	}
}
