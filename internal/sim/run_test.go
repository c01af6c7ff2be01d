package sim

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/rng"
)

// run sends the scenario's traffic through a Router whose route picks
// with strategy s and hedges by hedge, inside a testing/synctest bubble:
// its clock moves only when every goroutine is blocked, the router's
// timers included, so nothing sleeps for real. Requests run concurrently;
// each call's latency comes from a generator seeded by the request,
// deployment and call, so that the order in which goroutines woken at the
// same instant run cannot change it.
func run(t *testing.T, sc Scenario, name string, s llmrouter.Strategy, hedge llmrouter.Hedge, seed uint64) *Result {
	var res *Result
	synctest.Test(t, func(t *testing.T) {
		rng.Seed(seed)
		defer rng.Unseed()
		p := &bubbleProvider{start: time.Now(), seed: seed, specs: map[string]*state{}, policies: sc.Policies}
		var deps []llmrouter.Deployment
		var tier []string
		minCost := -1.0
		use := llmrouter.Usage{InputTokens: inputTokens, OutputTokens: outputTokens}
		for i := range sc.Deployments {
			sd := &sc.Deployments[i]
			d := llmrouter.Deployment{Name: sd.Name, Provider: p, Model: "sim", Region: sd.Region, Price: sd.Price}
			deps = append(deps, d)
			tier = append(tier, sd.Name)
			p.specs[sd.Name] = &state{Deployment: sd}
			if allowed(sc.Policies, &d) && (minCost < 0 || sd.Price.Cost(use) < minCost) {
				minCost = sd.Price.Cost(use)
			}
		}
		res = &Result{Scenario: sc.Name, Strategy: name, Timeline: make([]Point, 0, sc.Requests)}
		var mu sync.Mutex
		r, err := llmrouter.New(
			llmrouter.WithDeployments(deps...),
			llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{tier}, Strategy: s, Hedge: hedge}),
			llmrouter.WithPolicies(sc.Policies...),
			llmrouter.WithBreaker(llmrouter.BreakerPolicy{Disabled: true}),
			llmrouter.WithRetry(llmrouter.RetryPolicy{AttemptsPerDeployment: 1}),
			llmrouter.WithLineage(llmrouter.SinkFunc(func(_ context.Context, rec *llmrouter.Record) {
				mu.Lock()
				res.Calls += len(rec.Attempts)
				mu.Unlock()
			})),
		)
		if err != nil {
			t.Fatal(err)
		}
		arrivals := rand.New(rand.NewPCG(seed, 1))
		var wg sync.WaitGroup
		at := time.Duration(0)
		for i := range sc.Requests {
			at += time.Duration(arrivals.ExpFloat64() / sc.Rate * float64(time.Second))
			time.Sleep(at - time.Since(p.start))
			req := &llmrouter.Request{
				ID: "r" + strconv.Itoa(i), Model: "chat", MaxOutputTokens: outputTokens,
				AffinityKey: "session-" + strconv.Itoa(i%100),
				Messages:    []llmrouter.Message{llmrouter.User("Summarise the attached report in three bullet points.")},
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				cost, latency, err := send(r, req, sc.Stream)
				pt := Point{At: start.Sub(p.start), Latency: latency}
				mu.Lock()
				defer mu.Unlock()
				res.Timeline = append(res.Timeline, pt)
				if err != nil {
					res.Errors++
					return
				}
				res.Cost += cost
				res.CheapestCost += minCost
			}()
		}
		wg.Wait()
		res.Violations = p.violations
	})
	res.summarise()
	return res
}

// bubbleProvider serves every simulated deployment of a run: each call
// waits its sampled latency on a timer (virtual in the bubble) and may be
// stopped through its context.
type bubbleProvider struct {
	start      time.Time
	seed       uint64
	mu         sync.Mutex
	specs      map[string]*state
	policies   []llmrouter.Policy
	violations int
	calls      map[string]int
}

// state is a simulated deployment and its calls in flight.
type state struct {
	*Deployment
	inFlight int
}

func (p *bubbleProvider) Name() string        { return "sim" }
func (p *bubbleProvider) HonorsContext() bool { return true }

// send makes one request, whole or streamed (read to its end), and
// returns its cost and its latency: until the answer, or until the
// stream's first visible chunk.
func send(r *llmrouter.Router, req *llmrouter.Request, stream bool) (cost float64, latency time.Duration, err error) {
	start := time.Now()
	if !stream {
		resp, err := r.Chat(context.Background(), req)
		if err != nil {
			return 0, time.Since(start), err
		}
		return resp.Cost, time.Since(start), nil
	}
	s, err := r.ChatStream(context.Background(), req)
	latency = time.Since(start)
	if err != nil {
		return 0, latency, err
	}
	for s.Next() {
	}
	if err := s.Err(); err != nil {
		return 0, latency, err
	}
	return s.Cost(), latency, nil
}

func (p *bubbleProvider) Chat(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (*llmrouter.Response, error) {
	if err := p.serve(ctx, d, req); err != nil {
		return nil, err
	}
	return &llmrouter.Response{Text: "ok", FinishReason: llmrouter.FinishStop,
		Usage: llmrouter.Usage{InputTokens: inputTokens, OutputTokens: outputTokens}}, nil
}

// Stream answers like Chat, its latency being the time to the first
// visible chunk: the stream opens after it and sends the whole answer.
func (p *bubbleProvider) Stream(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (llmrouter.ChunkStream, error) {
	if err := p.serve(ctx, d, req); err != nil {
		return nil, err
	}
	return &answer{}, nil
}

// serve waits one call's sampled latency (or DownLatency and fails, while
// the deployment is down), counting policy violations and the calls in
// flight that slow it.
func (p *bubbleProvider) serve(ctx context.Context, d *llmrouter.Deployment, req *llmrouter.Request) error {
	at := time.Since(p.start)
	p.mu.Lock()
	st := p.specs[d.Name]
	for _, pol := range p.policies {
		if ok, _ := pol.Check(req, d); !ok {
			p.violations++
		}
	}
	if p.calls == nil {
		p.calls = map[string]int{}
	}
	key := req.ID + "/" + d.Name
	p.calls[key]++
	n := p.calls[key]
	inFlight := st.inFlight
	st.inFlight++
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		st.inFlight--
		p.mu.Unlock()
	}()
	down := st.Down != nil && st.Down(at)
	lat := DownLatency
	if !down {
		r := rand.New(rand.NewPCG(p.seed, hashKey(key, n)))
		lat = st.Latency(at).Sample(r)
		if st.Capacity > 0 {
			lat = time.Duration(float64(lat) * (1 + float64(inFlight)/float64(st.Capacity)))
		}
	}
	timer := time.NewTimer(lat)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
		return &llmrouter.ProviderError{Provider: "sim", Deployment: d.Name, Kind: llmrouter.KindCanceled, Err: ctx.Err()}
	}
	if down {
		return &llmrouter.ProviderError{Provider: "sim", Deployment: d.Name, Kind: llmrouter.KindServer, StatusCode: 503, Message: "down"}
	}
	return nil
}

// answer is a streamed answer: its text, then its finish and usage.
type answer struct {
	n   int
	cur llmrouter.Chunk
}

func (a *answer) Next() bool {
	a.n++
	switch a.n {
	case 1:
		a.cur = llmrouter.Chunk{Text: "ok"}
	case 2:
		a.cur = llmrouter.Chunk{FinishReason: llmrouter.FinishStop,
			Usage: &llmrouter.Usage{InputTokens: inputTokens, OutputTokens: outputTokens}}
	default:
		return false
	}
	return true
}
func (a *answer) Current() llmrouter.Chunk { return a.cur }
func (a *answer) Err() error               { return nil }
func (a *answer) Close() error             { return nil }

func hashKey(s string, n int) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h ^ uint64(n)<<56
}
