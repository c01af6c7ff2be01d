package llmrouter

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
)

// Tracing follows ../shared/reference/OTEL.md §6: one INTERNAL router span
// per request ("llmrouter.chat" or "llmrouter.chat_stream") carrying only
// llmrouter.* attributes, and under it one CLIENT span per attempt named
// "chat {model}" with the OpenTelemetry GenAI attributes (semantic
// conventions v1.41.0). A request saved by failover leaves its router span
// unset; only the failed attempts are errors. Every attribute name used is
// in this file.

const (
	scopeName = "github.com/llmrouter/llmrouter"
	// Version is the module's version, reported as the instrumentation
	// scope version.
	Version = "0.1.0"
)

var (
	attrRoute      = attribute.Key("llmrouter.route")
	attrRequestID  = attribute.Key("llmrouter.request_id")
	attrTenant     = attribute.Key("llmrouter.tenant")
	attrAttempts   = attribute.Key("llmrouter.attempts")
	attrFallback   = attribute.Key("llmrouter.fallback")
	attrDeployment = attribute.Key("llmrouter.deployment")
	attrCost       = attribute.Key("llmrouter.cost.usd")
	attrOutcome    = attribute.Key("llmrouter.outcome")
	attrResend     = attribute.Key("llmrouter.attempt.resend_count")
	attrFailover   = attribute.Key("llmrouter.failover.reason")
	attrErrorType  = semconv.ErrorTypeKey
)

// startSpan starts the router span, when tracing is on. (The check is
// small enough to inline, so a request without tracing makes no call.)
func (c *call) startSpan() {
	if c.r.tracer != nil {
		c.openSpan()
	}
}

func (c *call) openSpan() {
	name := "llmrouter.chat"
	switch {
	case c.stream:
		name = "llmrouter.chat_stream"
	case c.req != nil && c.req.embed != nil:
		name = "llmrouter.embed"
	}
	c.ctx, c.span = c.r.tracer.Start(c.ctx, name, trace.WithSpanKind(trace.SpanKindInternal))
	if c.span.IsRecording() {
		c.span.SetAttributes(attrRoute.String(c.req.Model), attrRequestID.String(c.rec.RequestID), attrVersion.String(c.rec.ConfigVersion))
		if c.req.Tenant != "" {
			c.span.SetAttributes(attrTenant.String(c.req.Tenant))
		}
	}
}

// endSpan ends the router span with the request's outcome.
func (c *call) endSpan(err error) {
	if c.span != nil {
		c.closeSpan(err)
	}
}

func (c *call) closeSpan(err error) {
	if c.span.IsRecording() {
		c.span.SetAttributes(
			attrAttempts.Int(len(c.rec.Attempts)),
			attrFallback.Bool(len(c.rec.Attempts) > 1),
			attrOutcome.String(string(c.rec.Outcome)),
			attrCost.Float64(c.cost),
		)
		if c.served != nil {
			c.span.SetAttributes(attrDeployment.String(c.served.Name))
		}
		if err != nil && c.rec.Outcome != OutcomeCanceled {
			c.span.SetStatus(codes.Error, string(c.rec.Outcome))
			c.span.SetAttributes(attrErrorType.String(string(c.rec.Outcome)))
		}
	}
	c.span.End()
}

// startAttemptSpan starts an attempt's span under the router span. Attempt
// spans are made only under a recording router span, so a sampled-out
// request costs nothing more per attempt.
func (c *call) startAttemptSpan(ctx context.Context, d *deployment, resend int) (context.Context, trace.Span) {
	if c.span == nil {
		return ctx, nil
	}
	return c.openAttemptSpan(ctx, d, resend)
}

func (c *call) openAttemptSpan(ctx context.Context, d *deployment, resend int) (context.Context, trace.Span) {
	if !c.span.IsRecording() {
		return ctx, nil
	}
	model := d.UpstreamModel()
	op, opName := semconv.GenAIOperationNameChat, "chat "
	if c.req.embed != nil {
		op, opName = semconv.GenAIOperationNameEmbeddings, "embeddings "
	}
	attrs := []attribute.KeyValue{
		op,
		semconv.GenAIProviderNameKey.String(d.provider),
		semconv.GenAIRequestModel(model),
		attrDeployment.String(d.Name),
	}
	if c.stream {
		attrs = append(attrs, semconv.GenAIRequestStream(true))
	}
	if resend > 0 {
		attrs = append(attrs, attrResend.Int(resend))
	}
	if n := c.req.MaxOutputTokens; n > 0 {
		attrs = append(attrs, semconv.GenAIRequestMaxTokens(n))
	}
	if t := c.req.Temperature; t != nil {
		attrs = append(attrs, semconv.GenAIRequestTemperature(*t))
	}
	if p := c.req.TopP; p != nil {
		attrs = append(attrs, semconv.GenAIRequestTopP(*p))
	}
	return c.r.tracer.Start(ctx, opName+model, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// endAttemptSpan ends an attempt's span with its answer or error.
func endAttemptSpan(span trace.Span, a *AttemptRecord, resp *Response) {
	if span != nil {
		closeAttemptSpan(span, a, resp)
	}
}

func closeAttemptSpan(span trace.Span, a *AttemptRecord, resp *Response) {
	u := a.Usage
	span.SetAttributes(
		semconv.GenAIUsageInputTokens(u.InputTokens),
		semconv.GenAIUsageOutputTokens(u.OutputTokens),
	)
	if u.CachedInputTokens > 0 {
		span.SetAttributes(semconv.GenAIUsageCacheReadInputTokens(u.CachedInputTokens))
	}
	if u.CacheWriteTokens > 0 {
		span.SetAttributes(semconv.GenAIUsageCacheCreationInputTokens(u.CacheWriteTokens))
	}
	if u.ReasoningTokens > 0 {
		span.SetAttributes(semconv.GenAIUsageReasoningOutputTokens(u.ReasoningTokens))
	}
	if a.TTFT > 0 {
		span.SetAttributes(semconv.GenAIResponseTimeToFirstChunk(a.TTFT.Seconds()))
	}
	if resp != nil {
		if resp.Model != "" {
			span.SetAttributes(semconv.GenAIResponseModel(resp.Model))
		}
		if resp.ID != "" {
			span.SetAttributes(semconv.GenAIResponseID(resp.ID))
		}
		if resp.FinishReason != "" {
			span.SetAttributes(semconv.GenAIResponseFinishReasons(string(resp.FinishReason)))
		}
	}
	if a.Status != attemptOK && a.Kind != KindCanceled {
		span.SetStatus(codes.Error, a.Kind.String())
		span.SetAttributes(attrErrorType.String(a.Kind.String()), attrFailover.String(a.Kind.String()))
	}
	span.End()
}
