package llmrouter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// funcProvider is a Provider made of functions, for contract breakers. It
// does not claim to honour its context.
type funcProvider struct {
	name   string
	chat   func(ctx context.Context) (*llmrouter.Response, error)
	stream func(ctx context.Context) (llmrouter.ChunkStream, error)
}

func (p *funcProvider) Name() string { return p.name }
func (p *funcProvider) Chat(ctx context.Context, _ *llmrouter.Deployment, _ *llmrouter.Request) (*llmrouter.Response, error) {
	return p.chat(ctx)
}
func (p *funcProvider) Stream(ctx context.Context, _ *llmrouter.Deployment, _ *llmrouter.Request) (llmrouter.ChunkStream, error) {
	return p.stream(ctx)
}

// funcStream is a ChunkStream made of functions; nil ones behave.
type funcStream struct {
	next    func() bool
	current func() llmrouter.Chunk
	err     func() error
	close   func() error
}

func (s *funcStream) Next() bool { return s.next() }
func (s *funcStream) Current() llmrouter.Chunk {
	if s.current == nil {
		return llmrouter.Chunk{Text: "hi", FinishReason: llmrouter.FinishStop}
	}
	return s.current()
}
func (s *funcStream) Err() error {
	if s.err == nil {
		return nil
	}
	return s.err()
}
func (s *funcStream) Close() error {
	if s.close == nil {
		return nil
	}
	return s.close()
}

// oneChunk is a stream that yields one finished chunk, then ends.
func oneChunk() *funcStream {
	n := 0
	return &funcStream{next: func() bool { n++; return n == 1 }}
}

// slotsLeft is what a router still holds after every request ended: calls
// in flight on any deployment. (Tenant concurrency shows in the next
// request being admitted.)
func slotsLeft(r *llmrouter.Router) int64 {
	var n int64
	for _, s := range r.Stats().Deployments {
		n += s.InFlight
	}
	return n
}

// TestUserCodePanicsReleaseEverything runs every piece of user code the
// router calls, panicking, under a tenant allowed one request at a time: a
// leaked concurrency slot would refuse every request after the first.
func TestUserCodePanicsReleaseEverything(t *testing.T) {
	healthy := fake.New("healthy", fake.WithDefault(fake.Reply("ok")))
	boom := func() { panic("boom") }
	panicky := func(s *funcStream) *funcProvider {
		return &funcProvider{name: "breaker",
			chat:   func(context.Context) (*llmrouter.Response, error) { boom(); return nil, nil },
			stream: func(context.Context) (llmrouter.ChunkStream, error) { return s, nil }}
	}
	type setup struct {
		opts   []llmrouter.Option
		stream bool
	}
	deps := func(p llmrouter.Provider) llmrouter.Option {
		return llmrouter.WithDeployments(dep("a", p), dep("b", healthy))
	}
	route := llmrouter.WithRoute("r", llmrouter.Route{Tiers: [][]string{{"a", "b"}}})
	cases := map[string]setup{
		"strategy": {opts: []llmrouter.Option{deps(healthy), llmrouter.WithRoute("r", llmrouter.Route{Tiers: [][]string{{"a", "b"}},
			Strategy: llmrouter.StrategyFunc(func(*llmrouter.Request, []llmrouter.Candidate) int { boom(); return 0 })})}},
		"policy": {opts: []llmrouter.Option{deps(healthy), route, llmrouter.WithPolicies(llmrouter.Policy{Name: "p",
			Check: func(_ *llmrouter.Request, d *llmrouter.Deployment) (bool, string) {
				if d.Name == "a" {
					boom()
				}
				return true, ""
			}})}},
		"quota key": {opts: []llmrouter.Option{deps(healthy), route, llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(),
			llmrouter.QuotaRule{Name: "k", Key: func(*llmrouter.Request) string { boom(); return "" }, Limits: []llmrouter.Limit{llmrouter.RPM(10)}})}},
		"quota store": {opts: []llmrouter.Option{deps(healthy), route, llmrouter.WithQuota(panickyStore{})}},
		"sink":        {opts: []llmrouter.Option{deps(healthy), route, llmrouter.WithLineage(llmrouter.SinkFunc(func(context.Context, *llmrouter.Record) { boom() }))}},
		"provider":    {opts: []llmrouter.Option{deps(panicky(nil)), route}},
		"stream open": {stream: true, opts: []llmrouter.Option{deps(&funcProvider{name: "x",
			stream: func(context.Context) (llmrouter.ChunkStream, error) { boom(); return nil, nil }}), route}},
		"stream next":    {stream: true, opts: []llmrouter.Option{deps(panicky(&funcStream{next: func() bool { boom(); return false }})), route}},
		"stream current": {stream: true, opts: []llmrouter.Option{deps(panicky(&funcStream{next: func() bool { return true }, current: func() llmrouter.Chunk { boom(); return llmrouter.Chunk{} }})), route}},
		"stream err":     {stream: true, opts: []llmrouter.Option{deps(panicky(&funcStream{next: func() bool { return false }, err: func() error { boom(); return nil }})), route}},
		"stream close":   {stream: true, opts: []llmrouter.Option{deps(panicky(&funcStream{next: oneChunk().next, close: func() error { boom(); return nil }})), route}},
	}
	tried, records := 0, 0
	var left int64
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			opts := append([]llmrouter.Option{fastRetry, llmrouter.WithLineage(rec),
				llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(llmrouter.MaxConcurrent(1)))}, c.opts...)
			r, err := llmrouter.New(opts...)
			require.NoError(t, err)
			const n = 5
			for i := 0; i < n; i++ {
				req := hello("r")
				req.Tenant = "t"
				var err error
				if c.stream {
					var s *llmrouter.Stream
					if s, err = r.ChatStream(context.Background(), req); err == nil {
						for s.Next() {
						}
						err = s.Err()
						_ = s.Close()
					}
				} else {
					_, err = r.Chat(context.Background(), req)
				}
				assert.NotErrorIs(t, err, llmrouter.ErrQuotaExceeded, "request %d: a slot leaked", i)
				var pe *llmrouter.PanicError
				if err != nil && !errors.As(err, &pe) && name != "policy" {
					t.Errorf("request %d: %v is not a recovered panic", i, err)
				}
			}
			assert.Len(t, rec.all(), n, "one record per request")
			assert.Zero(t, slotsLeft(r), "deployment slots left")
			tried, records, left = tried+n, records+len(rec.all()), left+slotsLeft(r)
		})
	}
	fmt.Printf("user-code-panics: kinds=%d requests=%d records=%d slots_left=%d\n", len(cases), tried, records, left)
}

// panickyStore panics in Reserve.
type panickyStore struct{}

func (panickyStore) Reserve(context.Context, llmrouter.Reservation) error { panic("store boom") }
func (panickyStore) Settle(context.Context, llmrouter.Reservation, llmrouter.Amount) error {
	panic("store boom")
}
func (panickyStore) Cancel(context.Context, llmrouter.Reservation) error { panic("store boom") }

func TestTypedNilProviderErrorIsMalformed(t *testing.T) {
	var nilErr *llmrouter.ProviderError
	p := &funcProvider{name: "liar", chat: func(context.Context) (*llmrouter.Response, error) { return nil, nilErr }}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("a"))
	var pe *llmrouter.ProviderError
	require.ErrorAs(t, err, &pe)
	require.NotNil(t, pe)
	assert.Equal(t, llmrouter.KindMalformed, pe.Kind)
}

func TestNilRequestAndContextAreInvalid(t *testing.T) {
	rec := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p"))), llmrouter.WithLineage(rec))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), nil)
	assert.ErrorIs(t, err, llmrouter.ErrInvalidRequest)
	_, err = r.ChatStream(context.Background(), nil)
	assert.ErrorIs(t, err, llmrouter.ErrInvalidRequest)
	//lint:ignore SA1012 a careless caller's nil context is the point
	_, err = r.Chat(nil, hello("a"))
	assert.ErrorIs(t, err, llmrouter.ErrInvalidRequest)
	assert.Len(t, rec.all(), 3)
	for _, x := range rec.all() {
		assert.Equal(t, llmrouter.OutcomeInvalid, x.Outcome)
	}
}

// TestAbandonedStreamIsFinished drops a stream without Close: once the
// collector finds it, the upstream is closed, its slots come back and its
// record is written; a dropped half-open probe frees the breaker.
func TestAbandonedStreamIsFinished(t *testing.T) {
	var closed atomic.Int32
	prov := &funcProvider{name: "p", stream: func(ctx context.Context) (llmrouter.ChunkStream, error) {
		n := 0
		return &funcStream{
			next: func() bool { n++; return n < 100 },
			current: func() llmrouter.Chunk {
				return llmrouter.Chunk{Text: "tok "}
			},
			close: func() error { closed.Add(1); return nil },
		}, nil
	}}
	rec := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", withHonours(prov))), llmrouter.WithLineage(rec),
		llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(), llmrouter.PerTenant(llmrouter.MaxConcurrent(1))))
	require.NoError(t, err)
	req := hello("a")
	req.Tenant = "t"
	func() {
		s, err := r.ChatStream(context.Background(), req)
		require.NoError(t, err)
		require.True(t, s.Next())
		// dropped here, unclosed
	}()
	require.Eventually(t, func() bool { runtime.GC(); return len(rec.all()) == 1 }, 5*time.Second, 10*time.Millisecond)
	got := rec.only(t)
	assert.Equal(t, llmrouter.OutcomeAbandoned, got.Outcome)
	assert.Equal(t, int32(1), closed.Load(), "upstream closed")
	assert.Zero(t, slotsLeft(r))
	s, err := r.ChatStream(context.Background(), req)
	require.NoError(t, err, "the tenant's concurrency slot came back")
	require.NoError(t, s.Close())
}

func TestAbandonedProbeStreamFreesTheBreaker(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	prov := &funcProvider{name: "p", stream: func(ctx context.Context) (llmrouter.ChunkStream, error) {
		if fail.Load() {
			return nil, &llmrouter.ProviderError{Kind: llmrouter.KindServer, StatusCode: 500}
		}
		n := 0
		return &funcStream{next: func() bool { n++; return n < 100 }, current: func() llmrouter.Chunk { return llmrouter.Chunk{Text: "x"} }}, nil
	}}
	rec := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", withHonours(prov))), llmrouter.WithLineage(rec),
		llmrouter.WithBreaker(llmrouter.BreakerPolicy{ConsecutiveFailures: 1, OpenFor: 20 * time.Millisecond}),
		llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	_, err = r.ChatStream(context.Background(), hello("a"))
	require.Error(t, err)
	require.Eventually(t, func() bool { return r.Stats().Deployments[0].Breaker != llmrouter.BreakerOpen }, time.Second, 5*time.Millisecond)
	fail.Store(false)
	func() {
		s, err := r.ChatStream(context.Background(), hello("a")) // the half-open probe
		require.NoError(t, err)
		require.True(t, s.Next())
	}()
	require.Eventually(t, func() bool { runtime.GC(); return len(rec.all()) == 2 }, 5*time.Second, 10*time.Millisecond)
	s, err := r.ChatStream(context.Background(), hello("a"))
	require.NoError(t, err, "the breaker is not wedged on a probe in flight")
	require.NoError(t, s.Close())
}

// honours wraps a provider to declare it honours its context.
type honours struct{ *funcProvider }

func (honours) HonorsContext() bool { return true }

func withHonours(p *funcProvider) llmrouter.Provider { return honours{p} }

// TestProviderIgnoringContext: the router returns at its deadline although
// the provider does not; the orphaned call keeps its slot until it returns.
func TestProviderIgnoringContext(t *testing.T) {
	release := make(chan struct{})
	var returned sync.WaitGroup
	block := func() { defer returned.Done(); <-release }
	prov := &funcProvider{name: "deaf",
		chat: func(context.Context) (*llmrouter.Response, error) {
			block()
			return &llmrouter.Response{Text: "late", FinishReason: llmrouter.FinishStop}, nil
		},
		stream: func(context.Context) (llmrouter.ChunkStream, error) { block(); return oneChunk(), nil },
	}
	rec := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", prov)), llmrouter.WithLineage(rec),
		llmrouter.WithTimeouts(llmrouter.Timeouts{Total: 50 * time.Millisecond}), llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	returned.Add(2)
	_, err = r.Chat(context.Background(), hello("a"))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	_, err = r.ChatStream(context.Background(), hello("a"))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// Both returned while the provider still holds both calls.
	assert.Equal(t, int64(2), slotsLeft(r), "orphaned calls keep their slots")
	for _, x := range rec.all() {
		require.Len(t, x.Attempts, 1)
		assert.True(t, x.Attempts[0].Orphaned, "the record says the call was left running")
	}
	close(release)
	returned.Wait()
	require.Eventually(t, func() bool { return slotsLeft(r) == 0 }, time.Second, time.Millisecond)
}

// ctxStore honours its context, as a networked store does: it refuses to
// work for a context that has ended.
type ctxStore struct {
	llmrouter.QuotaStore
	failRule string
	cancel   context.CancelFunc
	refused  atomic.Int32
}

func (s *ctxStore) Reserve(ctx context.Context, r llmrouter.Reservation) error {
	if r.Rule == s.failRule {
		s.cancel() // the request's context ends while it is being admitted
		return ctx.Err()
	}
	return s.QuotaStore.Reserve(ctx, r)
}

func (s *ctxStore) Cancel(ctx context.Context, r llmrouter.Reservation) error {
	if ctx.Err() != nil {
		s.refused.Add(1)
		return ctx.Err()
	}
	return s.QuotaStore.Cancel(ctx, r)
}

func (s *ctxStore) Settle(ctx context.Context, r llmrouter.Reservation, a llmrouter.Amount) error {
	if ctx.Err() != nil {
		s.refused.Add(1)
		return ctx.Err()
	}
	return s.QuotaStore.Settle(ctx, r, a)
}

func TestRefundsOutliveTheRequestContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	store := &ctxStore{QuotaStore: llmrouter.NewMemoryQuotaStore(), failRule: "second", cancel: cancel}
	tenant := func(r *llmrouter.Request) string { return r.Tenant }
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p"))),
		llmrouter.WithQuota(store,
			llmrouter.QuotaRule{Name: "first", Key: tenant, Limits: []llmrouter.Limit{llmrouter.MaxConcurrent(1)}},
			llmrouter.QuotaRule{Name: "second", Key: tenant, Limits: []llmrouter.Limit{llmrouter.MaxConcurrent(1)}}))
	require.NoError(t, err)
	req := hello("a")
	req.Tenant = "t"
	_, err = r.Chat(ctx, req)
	require.Error(t, err)
	assert.Zero(t, store.refused.Load(), "refunds were made with a dead context")
	store.failRule = ""
	_, err = r.Chat(context.Background(), req)
	require.NoError(t, err, "the first rule's concurrency slot came back")
}

func TestUpstreamUsageIsClamped(t *testing.T) {
	for name, u := range map[string]llmrouter.Usage{
		"negative":  {InputTokens: -1_000_000, OutputTokens: 10},
		"huge":      {InputTokens: math.MaxInt, OutputTokens: math.MaxInt},
		"parts":     {InputTokens: 10, OutputTokens: 10, CachedInputTokens: 1 << 20, ReasoningTokens: 1 << 20},
		"cache ttl": {InputTokens: 10, OutputTokens: 10, CacheWriteTokens: 5, CacheWrite1hTokens: -3},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			p := fake.New("p", fake.WithDefault(fake.Step{Text: "ok", Usage: &u}))
			store := llmrouter.NewMemoryQuotaStore()
			d := dep("a", p)
			d.Price = llmrouter.Price{InputPerMTok: 3, OutputPerMTok: 15, CachedInputPerMTok: 0.3}
			r, err := llmrouter.New(llmrouter.WithDeployments(d), llmrouter.WithLineage(rec),
				llmrouter.WithQuota(store, llmrouter.PerTenant(llmrouter.TPM(10_000))))
			require.NoError(t, err)
			req := hello("a")
			req.Tenant, req.MaxOutputTokens = "t", 100
			resp, err := r.Chat(context.Background(), req)
			require.NoError(t, err)
			got := rec.only(t)
			assert.True(t, got.Usage.Clamped && resp.Usage.Clamped, "flagged")
			assert.GreaterOrEqual(t, got.Usage.InputTokens, 0)
			assert.LessOrEqual(t, got.Usage.InputTokens, llmrouter.MaxUsageTokens)
			assert.LessOrEqual(t, got.Usage.CachedInputTokens, got.Usage.InputTokens)
			assert.LessOrEqual(t, got.Usage.ReasoningTokens, got.Usage.OutputTokens)
			assert.GreaterOrEqual(t, got.Usage.CacheWrite1hTokens, 0)
			assert.LessOrEqual(t, got.Usage.CacheWrite1hTokens, got.Usage.CacheWriteTokens)
			assert.GreaterOrEqual(t, got.Cost, 0.0)
			assert.Less(t, got.Cost, 1e4, "a lie costs at most MaxUsageTokens at list price")
			if name == "negative" {
				// The budget was not credited: a request the size of the
				// whole budget is still refused.
				big := hello("a")
				big.Tenant, big.MaxOutputTokens = "t", 10_000
				_, err := r.Chat(context.Background(), big)
				assert.ErrorIs(t, err, llmrouter.ErrQuotaExceeded)
			}
		})
	}
}

func TestRetryAfterIsCapped(t *testing.T) {
	year := 365 * 24 * time.Hour
	p := fake.New("p", fake.WithDefault(fake.RateLimited(year)))
	clk := newClock()
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)), llmrouter.WithClock(clk.Now),
		llmrouter.WithRetry(llmrouter.RetryPolicy{MaxAttempts: 1, MaxWait: time.Millisecond}))
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		_, _ = r.Chat(context.Background(), hello("a"))
	}
	until := r.Stats().Deployments[0].CoolingUntil
	require.False(t, until.IsZero(), "three 429s cool the deployment")
	assert.LessOrEqual(t, until.Sub(clk.Now()), 5*time.Minute, "cooled for at most MaxRetryAfter")
}

// TestFirstChunkAtTheFirstTokenDeadline: a chunk that arrives as the
// first-token timer fires is not delivered; the attempt timed out unseen
// and the request fails over.
func TestFirstChunkAtTheFirstTokenDeadline(t *testing.T) {
	late := withHonours(&funcProvider{name: "late", stream: func(ctx context.Context) (llmrouter.ChunkStream, error) {
		n := 0
		return &funcStream{next: func() bool {
			n++
			if n == 1 {
				<-ctx.Done() // the chunk arrives just as the timer fires
			}
			return n <= 2
		}, current: func() llmrouter.Chunk {
			if n == 1 {
				return llmrouter.Chunk{Text: "late"}
			}
			return llmrouter.Chunk{Text: "!", FinishReason: llmrouter.FinishStop}
		}}, nil
	}})
	rec := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", late), dep("b", fake.New("b", fake.WithDefault(fake.Reply("on time"))))),
		llmrouter.WithRoute("r", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}}), llmrouter.WithLineage(rec),
		llmrouter.WithTimeouts(llmrouter.Timeouts{FirstToken: 20 * time.Millisecond}))
	require.NoError(t, err)
	s, err := r.ChatStream(context.Background(), hello("r"))
	require.NoError(t, err)
	assert.Equal(t, "b", s.Deployment(), "named from the first chunk")
	var text strings.Builder
	for s.Next() {
		text.WriteString(s.Current().Text)
	}
	require.NoError(t, s.Err())
	assert.Equal(t, "on time", text.String())
	got := rec.only(t)
	require.Len(t, got.Attempts, 2)
	assert.Equal(t, llmrouter.KindTimeout, got.Attempts[0].Kind)
}

func TestLineageKeepsNoUpstreamMessageText(t *testing.T) {
	const echoed = "field messages[0].content: 'my secret diagnosis' is invalid"
	for _, capture := range []bool{false, true} {
		p := fake.New("p", fake.WithDefault(fake.Step{Err: &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, StatusCode: 422, Code: "validation_error", Message: echoed}}))
		rec := &recorder{}
		var logs bytes.Buffer
		exp := tracetest.NewInMemoryExporter()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
		r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)), llmrouter.WithContentCapture(capture),
			llmrouter.WithTracerProvider(tp),
			llmrouter.WithLineage(rec, llmrouter.NewSlogSink(slog.New(slog.NewJSONHandler(&logs, nil)))))
		require.NoError(t, err)
		_, err = r.Chat(context.Background(), hello("a"))
		require.ErrorContains(t, err, "my secret diagnosis", "the caller's own error keeps the message")
		got := rec.only(t)
		js, _ := got.MarshalJSON()
		spans := fmt.Sprintf("%+v", exp.GetSpans().Snapshots())
		assert.NotContains(t, spans, "my secret diagnosis", "spans never carry it")
		for what, s := range map[string]string{"record": string(js), "log": logs.String()} {
			if capture {
				assert.Contains(t, s, "my secret diagnosis", what)
			} else {
				assert.NotContains(t, s, "my secret diagnosis", what)
				assert.Contains(t, s, "validation_error", what+" keeps the error type")
				assert.Contains(t, s, "422", what+" keeps the status")
			}
		}
	}
}

func TestCapturedStreamOutputIsBounded(t *testing.T) {
	text := strings.Repeat("word ", 600_000) // 3 MB
	rec := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p", fake.WithDefault(fake.Step{Text: text, Chunks: 100})))),
		llmrouter.WithContentCapture(true), llmrouter.WithLineage(rec))
	require.NoError(t, err)
	s, err := r.ChatStream(context.Background(), hello("a"))
	require.NoError(t, err)
	for s.Next() {
	}
	require.NoError(t, s.Err())
	got := rec.only(t)
	require.NotNil(t, got.Content)
	assert.Equal(t, 1<<20, len(got.Content.Output))
	assert.True(t, got.Content.Truncated)
}

func TestStreamNextIgnoringContext(t *testing.T) {
	release := make(chan struct{})
	returned := make(chan struct{})
	prov := &funcProvider{name: "deaf", stream: func(context.Context) (llmrouter.ChunkStream, error) {
		n := 0
		return &funcStream{next: func() bool {
			n++
			if n == 2 {
				<-release
				close(returned)
			}
			return true
		}, current: func() llmrouter.Chunk { return llmrouter.Chunk{Text: "x"} }}, nil
	}}
	rec := &recorder{}
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", prov)), llmrouter.WithLineage(rec),
		llmrouter.WithTimeouts(llmrouter.Timeouts{Idle: 20 * time.Millisecond}))
	require.NoError(t, err)
	s, err := r.ChatStream(context.Background(), hello("a"))
	require.NoError(t, err)
	require.True(t, s.Next())
	assert.False(t, s.Next(), "the idle timeout ends a Next the provider does not end")
	assert.ErrorIs(t, s.Err(), llmrouter.ErrStreamInterrupted)
	got := rec.only(t)
	assert.True(t, got.Attempts[0].Orphaned)
	assert.Equal(t, int64(1), slotsLeft(r), "the orphaned Next keeps its slot")
	close(release)
	<-returned
	require.Eventually(t, func() bool { return slotsLeft(r) == 0 }, time.Second, time.Millisecond)
}
