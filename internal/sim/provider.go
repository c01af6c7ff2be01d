package sim

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/llmrouter/llmrouter"
)

// provider serves every simulated deployment of a run: it waits each
// call's sampled latency in virtual time. Calls run one at a time (see
// engine), so its state needs no lock.
type provider struct {
	eng        *engine
	rnd        *rand.Rand
	specs      map[string]*state
	policies   []llmrouter.Policy
	violations int
}

type state struct {
	*Deployment
	inFlight int
}

func (p *provider) Name() string { return "sim" }

// HonorsContext: the router calls it directly (no guard goroutine, which
// would run outside the engine's turn-taking). Runs set no timeouts, so
// contexts never end.
func (p *provider) HonorsContext() bool { return true }

func (p *provider) Chat(_ context.Context, d *llmrouter.Deployment, req *llmrouter.Request) (*llmrouter.Response, error) {
	st := p.specs[d.Name]
	at := p.eng.elapsed()
	for _, pol := range p.policies {
		if ok, _ := pol.Check(req, d); !ok {
			p.violations++
		}
	}
	if st.Down != nil && st.Down(at) {
		p.eng.wait(DownLatency)
		return nil, &llmrouter.ProviderError{Provider: "sim", Deployment: d.Name, Kind: llmrouter.KindServer, StatusCode: 503, Message: "down"}
	}
	lat := st.Latency(at).Sample(p.rnd)
	if st.Capacity > 0 {
		lat = time.Duration(float64(lat) * (1 + float64(st.inFlight)/float64(st.Capacity)))
	}
	st.inFlight++
	p.eng.wait(lat)
	st.inFlight--
	return &llmrouter.Response{Text: "ok", FinishReason: llmrouter.FinishStop,
		Usage: llmrouter.Usage{InputTokens: inputTokens, OutputTokens: outputTokens}}, nil
}

func (p *provider) Stream(context.Context, *llmrouter.Deployment, *llmrouter.Request) (llmrouter.ChunkStream, error) {
	return nil, &llmrouter.ProviderError{Provider: "sim", Kind: llmrouter.KindBadRequest, Message: "the simulator serves whole answers only"}
}
