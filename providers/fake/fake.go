// Package fake is a scripted llmrouter.Provider for tests: yours and the
// router's. It answers from a script of Steps (replies, latency, errors with
// any status, class and Retry-After, hangs, panics, streams that break or
// stall after some chunks) and records every call for assertions. It never
// touches the network.
//
//	p := fake.New("openai",
//		fake.WithScript(fake.ServerError(), fake.Reply("hello")))
//
// The first call fails with a 500, every later one answers "hello". A
// Provider is safe for concurrent use; with no script left and call
// recording off, a call takes no lock.
package fake

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmrouter/llmrouter"
)

// Provider is the fake provider. Create one with New.
type Provider struct {
	name   string
	def    Step
	fn     func(Call) Step
	record bool

	scripted atomic.Bool // the script has steps left
	mu       sync.Mutex
	script   []Step
	calls    []Call
	count    atomic.Int64
}

// Call is one call the fake received.
type Call struct {
	// Deployment and Model name where the router sent it.
	Deployment string
	Model      string
	// Request is the request as the fake received it (not a copy); nil
	// for an embeddings call.
	Request *llmrouter.Request
	// Embed is the embeddings request of an Embed call, else nil.
	Embed  *llmrouter.EmbedRequest
	Stream bool
	// N is the call's number, from 1, in the order calls arrived.
	N int
}

// Option configures a Provider.
type Option func(*Provider)

// WithScript makes the first calls follow steps, in order, one step per
// call; later calls use the default step.
func WithScript(steps ...Step) Option {
	return func(p *Provider) { p.script = append(p.script, steps...) }
}

// WithDefault sets the step used once the script is done. Default:
// Reply("ok").
func WithDefault(s Step) Option { return func(p *Provider) { p.def = s } }

// WithFunc decides each call's step with f, ahead of the script and the
// default: f sees the call (deployment, request, number) and returns the
// step. It must be safe for concurrent use.
func WithFunc(f func(Call) Step) Option { return func(p *Provider) { p.fn = f } }

// WithCallRecording turns call recording on or off. Default on; turn it off
// in benchmarks and long chaos runs (CallCount still counts).
func WithCallRecording(on bool) Option { return func(p *Provider) { p.record = on } }

// New returns a fake provider named name (its llmrouter.Provider Name).
func New(name string, opts ...Option) *Provider {
	p := &Provider{name: name, def: Reply("ok"), record: true}
	for _, o := range opts {
		o(p)
	}
	p.scripted.Store(len(p.script) > 0)
	return p
}

// Name implements llmrouter.Provider.
func (p *Provider) Name() string { return p.name }

// HonorsContext reports true: every call and stream of the fake returns
// as soon as its context ends (see llmrouter.ContextHonoring).
func (p *Provider) HonorsContext() bool { return true }

// Script appends steps to the script.
func (p *Provider) Script(steps ...Step) {
	p.mu.Lock()
	p.script = append(p.script, steps...)
	p.scripted.Store(len(p.script) > 0)
	p.mu.Unlock()
}

// Calls returns a copy of the calls received so far, in arrival order.
func (p *Provider) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

// CallCount returns how many calls the fake received, recorded or not.
func (p *Provider) CallCount() int { return int(p.count.Load()) }

// CallsTo returns how many recorded calls went to deployment name.
func (p *Provider) CallsTo(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.calls {
		if c.Deployment == name {
			n++
		}
	}
	return n
}

// Reset forgets recorded calls and the call count.
func (p *Provider) Reset() {
	p.mu.Lock()
	p.calls = nil
	p.count.Store(0)
	p.mu.Unlock()
}

// step records the call and returns its step.
func (p *Provider) step(d *llmrouter.Deployment, req *llmrouter.Request, stream bool) Step {
	return p.stepCall(Call{Deployment: d.Name, Model: d.UpstreamModel(), Request: req, Stream: stream})
}

// stepCall records call c (numbering it) and returns its step.
func (p *Provider) stepCall(c Call) Step {
	n := int(p.count.Add(1))
	if !p.record && !p.scripted.Load() && p.fn == nil {
		return p.def
	}
	c.N = n
	if p.fn != nil {
		if p.record {
			p.mu.Lock()
			p.calls = append(p.calls, c)
			p.mu.Unlock()
		}
		return p.fn(c)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.record {
		p.calls = append(p.calls, c)
	}
	if len(p.script) > 0 {
		s := p.script[0]
		p.script = p.script[1:]
		p.scripted.Store(len(p.script) > 0)
		return s
	}
	return p.def
}

// Chat implements llmrouter.Provider.
func (p *Provider) Chat(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (*llmrouter.Response, error) {
	s := p.step(d, req, false)
	if err := p.prelude(ctx, d, &s); err != nil {
		return nil, err
	}
	resp := &llmrouter.Response{
		ID:           "fake-" + d.Name,
		Model:        s.Model,
		Text:         s.Text,
		Reasoning:    s.Reasoning,
		ToolCalls:    s.ToolCalls,
		FinishReason: s.finishReason(),
		Usage:        usageOf(&s, req),
		ServedBy:     s.ServedBy,
	}
	if resp.Model == "" {
		resp.Model = d.UpstreamModel()
	}
	resp.ReasoningBlocks = s.reasoningBlocks(p.name)
	resp.ReasoningDropped = req.ForeignReasoning(p.name)
	return resp, nil
}

// prelude runs what comes before an answer: panic, latency, hang, error.
func (p *Provider) prelude(ctx context.Context, d *llmrouter.Deployment, s *Step) error {
	if s.Panic != nil {
		panic(s.Panic)
	}
	if s.Latency > 0 {
		if err := sleep(ctx, s.Latency); err != nil {
			return p.ctxError(d, err)
		}
	}
	if s.Hang {
		<-ctx.Done()
		return p.ctxError(d, ctx.Err())
	}
	if s.Err != nil {
		return p.fill(s.Err, d)
	}
	if err := ctx.Err(); err != nil {
		return p.ctxError(d, err)
	}
	return nil
}

// fill returns a copy of e naming this provider and d.
func (p *Provider) fill(e *llmrouter.ProviderError, d *llmrouter.Deployment) *llmrouter.ProviderError {
	cp := *e
	if cp.Provider == "" {
		cp.Provider = p.name
	}
	if cp.Deployment == "" {
		cp.Deployment = d.Name
	}
	return &cp
}

// ctxError classifies a context error, as a real adapter would.
func (p *Provider) ctxError(d *llmrouter.Deployment, err error) *llmrouter.ProviderError {
	kind := llmrouter.KindCanceled
	if err == context.DeadlineExceeded {
		kind = llmrouter.KindTimeout
	}
	return &llmrouter.ProviderError{Provider: p.name, Deployment: d.Name, Kind: kind, Err: err}
}

func usageOf(s *Step, req *llmrouter.Request) llmrouter.Usage {
	if s.Usage != nil {
		return *s.Usage
	}
	out := (len(s.Text) + 3) / 4
	for _, tc := range s.ToolCalls {
		out += (len(tc.Name) + len(tc.Arguments) + 3) / 4
	}
	return llmrouter.Usage{InputTokens: llmrouter.EstimateInputTokens(req), OutputTokens: out}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
