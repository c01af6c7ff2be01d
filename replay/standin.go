package replay

import (
	"context"
	"errors"
	"slices"

	"github.com/llmrouter/llmrouter"
)

// ErrStandInCalled is what a stand-in provider returns if anything calls
// it: a replay plans, and never sends.
var ErrStandInCalled = errors.New("replay: a stand-in provider was called; a replay never sends a request")

// StandIns builds the stand-in providers that let a configuration file be
// replayed without its real providers (and so without keys): a
// configuration names its providers (DeploymentSpec.Provider), which code
// registers in Config.Providers; for a replay, Fill registers a stand-in
// under every name the file uses and the code did not register. A stand-in
// is never called: Router.PlanRecord sends nothing.
//
// Two things of a provider matter to planning, and a stand-in takes them
// from the decision log, through Learn: its Name (what the
// allow_providers and deny_providers policies match, and records show),
// the provider name the log records for a deployment of the same name, or
// else the registered name itself; and whether it serves embeddings, which
// it does when the log shows an embeddings request served by a provider of
// that name, or a deployment using it declares the "embeddings"
// capability. The zero value is ready to use; a StandIns is not safe for
// concurrent use.
type StandIns struct {
	provider map[string]string // deployment name -> provider name, as recorded
	embeds   map[string]bool   // provider names seen serving embeddings
}

// Learn notes what rec shows of the providers behind its deployments.
func (s *StandIns) Learn(rec *llmrouter.Record) {
	if s.provider == nil {
		s.provider, s.embeds = map[string]string{}, map[string]bool{}
	}
	for _, c := range rec.Candidates {
		if c.Provider != "" {
			s.provider[c.Deployment] = c.Provider
		}
	}
	if rec.Embed && rec.Outcome == llmrouter.OutcomeSuccess && rec.Provider != "" {
		s.embeds[rec.Provider] = true
	}
}

// Fill registers a stand-in in cfg.Providers under every provider name
// cfg's deployments use that has none, and returns those names, sorted.
// It does not replace a registered provider.
func (s *StandIns) Fill(cfg *llmrouter.Config) []string {
	if cfg.Providers == nil {
		cfg.Providers = map[string]llmrouter.Provider{}
	}
	type standIn struct {
		name   string
		embeds bool
	}
	made := map[string]*standIn{}
	var names []string
	for _, d := range cfg.Deployments {
		if d.Provider == "" {
			continue // New names the faulty field
		}
		if p, ok := cfg.Providers[d.Provider]; ok && p != nil {
			continue
		}
		si := made[d.Provider]
		if si == nil {
			si = &standIn{name: d.Provider}
			made[d.Provider] = si
			names = append(names, d.Provider)
		}
		if recorded := s.provider[d.Name]; recorded != "" {
			si.name = recorded
		}
		si.embeds = si.embeds || slices.Contains(d.Capabilities, "embeddings")
	}
	for key, si := range made {
		if si.embeds || s.embeds[si.name] {
			cfg.Providers[key] = &embedStandIn{chatStandIn{si.name}}
		} else {
			cfg.Providers[key] = &chatStandIn{si.name}
		}
	}
	slices.Sort(names)
	return names
}

// chatStandIn is a provider that is never called.
type chatStandIn struct{ name string }

func (p *chatStandIn) Name() string { return p.name }

func (p *chatStandIn) Chat(context.Context, *llmrouter.Deployment, *llmrouter.Request) (*llmrouter.Response, error) {
	return nil, ErrStandInCalled
}

func (p *chatStandIn) Stream(context.Context, *llmrouter.Deployment, *llmrouter.Request) (llmrouter.ChunkStream, error) {
	return nil, ErrStandInCalled
}

// embedStandIn is a stand-in that serves embeddings, as far as planning
// can tell.
type embedStandIn struct{ chatStandIn }

func (p *embedStandIn) Embed(context.Context, *llmrouter.Deployment, *llmrouter.EmbedRequest) (*llmrouter.EmbedResponse, error) {
	return nil, ErrStandInCalled
}
