package llmrouter

import (
	"context"
	"io"
	"log/slog"
	"sync"
)

// JSONLSink writes each record as one line of JSON (see Record.AppendJSON)
// to an io.Writer: a file, os.Stdout, a pipe to a log shipper. Writes are
// serialised by a mutex, each line is one Write call, and the encoding
// buffer is reused, so a record costs no allocation.
type JSONLSink struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
	err error
}

// NewJSONLSink returns a sink writing JSON lines to w.
func NewJSONLSink(w io.Writer) *JSONLSink { return &JSONLSink{w: w} }

// Write implements Sink.
func (s *JSONLSink) Write(_ context.Context, r *Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(r.AppendJSON(s.buf[:0]), '\n')
	if _, err := s.w.Write(s.buf); err != nil && s.err == nil {
		s.err = err
	}
	if cap(s.buf) > 64<<10 {
		s.buf = nil
	}
}

// Err returns the first error the writer returned, if any.
func (s *JSONLSink) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// SlogSink logs one line per request through a *slog.Logger: at Info for
// successes, at Warn for every other outcome. The line carries the request
// id, route, tenant, outcome, serving deployment, attempts, duration, token
// usage, cost and error; use JSONLSink for the full record.
type SlogSink struct{ l *slog.Logger }

// NewSlogSink returns a sink logging to l (nil means slog.Default()).
func NewSlogSink(l *slog.Logger) *SlogSink {
	if l == nil {
		l = slog.Default()
	}
	return &SlogSink{l: l}
}

// Write implements Sink.
func (s *SlogSink) Write(ctx context.Context, r *Record) {
	level := slog.LevelInfo
	if r.Outcome != OutcomeSuccess {
		level = slog.LevelWarn
	}
	if !s.l.Enabled(ctx, level) {
		return
	}
	attrs := [...]slog.Attr{
		slog.String("request_id", r.RequestID),
		slog.String("route", r.Route),
		slog.String("tenant", r.Tenant),
		slog.String("outcome", string(r.Outcome)),
		slog.String("deployment", r.Deployment),
		slog.Int("attempts", len(r.Attempts)),
		slog.Duration("duration", r.Duration),
		slog.Int("input_tokens", r.Usage.InputTokens),
		slog.Int("output_tokens", r.Usage.OutputTokens),
		slog.Float64("cost_usd", r.Cost),
		slog.String("error", r.Error),
	}
	s.l.LogAttrs(ctx, level, "llmrouter request", attrs[:]...)
}
