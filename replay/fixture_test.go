package replay_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/golden"
)

// The decision log of testdata/records.jsonl, recorded under
// testdata/old.yaml: deployments gpt-us (openai, $2/$8 per MTok, vision),
// gpt-eu (openai, $2/$8, no vision) and claude-eu (anthropic, $3/$15,
// vision); route chat = [[gpt-us], [gpt-eu, claude-eu]], route fast =
// [[gpt-us]], route legacy = [[old-gpt]]; no region policy yet, so the EU
// tenants bank and shop were served in the US. Every record names the
// configuration version 5f0c1a7e9b2d.
//
//	r01-r08 acme  chat    gpt-us  1000 in / 200 out  $0.0036 each, 100..800 ms
//	r09-r10 bank  chat    gpt-us  2000 / 500         $0.008 each, 900 and 1000 ms
//	r11     shop  chat    gpt-us  tools, streamed, 1500 / 300, $0.0054, 1200 ms
//	r12     bank  chat    gpt-us  vision, 3000 / 100, $0.0068, 1300 ms
//	r13-r14 bank  fast    gpt-us  500 / 50, $0.0014 each, 300 and 350 ms
//	r15     shop  fast    gpt-us  500 / 50, $0.0014, 250 ms
//	r16     acme  chat    gpt-us failed (503, 2000 ms), gpt-eu served 1000 / 100, $0.0028, 600 ms
//	r17     acme  chat    needs reasoning: every deployment refused by "capabilities"
//	r18     invalid request (no route)
//	r19     acme  legacy  old-gpt 100 / 10, $0.00012, 80 ms
//	r20     acme  chat    gpt-us skipped (breaker open), gpt-eu served 1000 / 200, $0.0036, 700 ms
//
// Recorded cost of all: $0.06772.
func fixture() []*llmrouter.Record {
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	chat := func(statuses ...llmrouter.CandidateStatus) []llmrouter.CandidateRecord {
		return []llmrouter.CandidateRecord{
			{Deployment: "gpt-us", Provider: "openai", Tier: 0, Status: statuses[0]},
			{Deployment: "gpt-eu", Provider: "openai", Tier: 1, Status: statuses[1]},
			{Deployment: "claude-eu", Provider: "anthropic", Tier: 1, Status: statuses[2]},
		}
	}
	chosen, unused := llmrouter.CandidateChosen, llmrouter.CandidateUnused
	var recs []*llmrouter.Record
	add := func(rec *llmrouter.Record) {
		rec.RequestID = fmt.Sprintf("r%02d", len(recs)+1)
		rec.ConfigVersion = "5f0c1a7e9b2d"
		rec.Start = start.Add(time.Duration(len(recs)) * time.Minute)
		if rec.Policies == nil {
			rec.Policies = []string{"capabilities"}
		}
		if rec.Outcome == "" {
			rec.Outcome = llmrouter.OutcomeSuccess
		}
		if rec.Prompt.Messages == 0 && rec.Route != "" {
			rec.Prompt = llmrouter.PromptInfo{Hash: llmrouter.HashPrompt([]llmrouter.Message{llmrouter.User(rec.RequestID)}),
				Messages: 2, Bytes: 4 * rec.Usage.InputTokens, Tokens: rec.Usage.InputTokens}
		}
		for i := range rec.Attempts {
			a := &rec.Attempts[i]
			if a.Start.IsZero() {
				a.Start = rec.Start
			}
			if a.Status == "ok" && rec.Deployment == "" {
				rec.Deployment, rec.Provider, rec.Model = a.Deployment, a.Provider, a.Model
			}
			rec.Duration += a.Duration
		}
		recs = append(recs, rec)
	}
	ok := func(dep, provider string, ms int, in, out int) llmrouter.AttemptRecord {
		return llmrouter.AttemptRecord{Deployment: dep, Provider: provider, Model: dep + "-model", Duration: time.Duration(ms) * time.Millisecond,
			Status: "ok", Usage: llmrouter.Usage{InputTokens: in, OutputTokens: out}}
	}
	served := func(tenant, route string, needs llmrouter.Capabilities, a llmrouter.AttemptRecord, cost float64) *llmrouter.Record {
		rec := &llmrouter.Record{Route: route, Tenant: tenant, Needs: needs, Attempts: []llmrouter.AttemptRecord{a}, Usage: a.Usage, Cost: cost}
		if route == "chat" {
			rec.Candidates = chat(chosen, unused, unused)
		} else {
			rec.Candidates = []llmrouter.CandidateRecord{{Deployment: a.Deployment, Provider: a.Provider, Status: chosen}}
		}
		return rec
	}
	for i := range 8 {
		add(served("acme", "chat", 0, ok("gpt-us", "openai", 100*(i+1), 1000, 200), 0.0036))
	}
	add(served("bank", "chat", 0, ok("gpt-us", "openai", 900, 2000, 500), 0.008))
	add(served("bank", "chat", 0, ok("gpt-us", "openai", 1000, 2000, 500), 0.008))
	r11 := served("shop", "chat", llmrouter.CapTools|llmrouter.CapStreaming, ok("gpt-us", "openai", 1200, 1500, 300), 0.0054)
	r11.Stream, r11.TTFT, r11.Attempts[0].TTFT, r11.MaxOutputTokens = true, 150*time.Millisecond, 150*time.Millisecond, 1024
	add(r11)
	add(served("bank", "chat", llmrouter.CapVision, ok("gpt-us", "openai", 1300, 3000, 100), 0.0068))
	add(served("bank", "fast", 0, ok("gpt-us", "openai", 300, 500, 50), 0.0014))
	add(served("bank", "fast", 0, ok("gpt-us", "openai", 350, 500, 50), 0.0014))
	add(served("shop", "fast", 0, ok("gpt-us", "openai", 250, 500, 50), 0.0014))
	failed := llmrouter.AttemptRecord{Deployment: "gpt-us", Provider: "openai", Model: "gpt-us-model", Duration: 2 * time.Second,
		Status: "error", Class: llmrouter.ClassFailover, Kind: llmrouter.KindServer, StatusCode: 503}
	r16 := served("acme", "chat", 0, ok("gpt-eu", "openai", 600, 1000, 100), 0.0028)
	r16.Attempts = append([]llmrouter.AttemptRecord{failed}, r16.Attempts...)
	r16.Attempts[1].Start = start.Add(15*time.Minute + 2*time.Second)
	r16.Candidates = chat(llmrouter.CandidateTried, chosen, unused)
	add(r16)
	refused := chat(llmrouter.CandidateRefused, llmrouter.CandidateRefused, llmrouter.CandidateRefused)
	for i := range refused {
		refused[i].Policy, refused[i].Reason = "capabilities", "lacks reasoning"
	}
	add(&llmrouter.Record{Route: "chat", Tenant: "acme", Needs: llmrouter.CapReasoning, Candidates: refused,
		Outcome: llmrouter.OutcomePolicyDenied, Error: `llmrouter: route "chat": policies refused every deployment`,
		Prompt: llmrouter.PromptInfo{Messages: 1, Bytes: 400, Tokens: 104}})
	add(&llmrouter.Record{Outcome: llmrouter.OutcomeInvalid, Error: "llmrouter: invalid request: Model: empty: name a route or a deployment", Policies: []string{}})
	add(served("acme", "legacy", 0, ok("old-gpt", "openai", 80, 100, 10), 0.00012))
	r20 := served("acme", "chat", 0, ok("gpt-eu", "openai", 700, 1000, 200), 0.0036)
	r20.Candidates = chat(llmrouter.CandidateSkipped, chosen, unused)
	r20.Candidates[0].Reason = "circuit breaker open"
	add(r20)
	return recs
}

// TestFixtureIsCurrent keeps testdata/records.jsonl what a JSONLSink
// writes for fixture()'s records (go test -update rewrites it), so the
// fixture stays in the sink's current format.
func TestFixtureIsCurrent(t *testing.T) {
	var b []byte
	for _, rec := range fixture() {
		b = append(rec.AppendJSON(b), '\n')
	}
	golden.Check(t, "records.jsonl", b)
}
