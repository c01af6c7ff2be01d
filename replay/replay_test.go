package replay_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/config"
	"github.com/llmrouter/llmrouter/replay"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mustNotCall is a provider that fails the test if anything calls it.
type mustNotCall struct {
	t    *testing.T
	name string
}

func (p mustNotCall) Name() string { return p.name }

func (p mustNotCall) Chat(context.Context, *llmrouter.Deployment, *llmrouter.Request) (*llmrouter.Response, error) {
	p.t.Errorf("replay called provider %s", p.name)
	return nil, errors.New("called")
}

func (p mustNotCall) Stream(context.Context, *llmrouter.Deployment, *llmrouter.Request) (llmrouter.ChunkStream, error) {
	p.t.Errorf("replay streamed from provider %s", p.name)
	return nil, errors.New("called")
}

func (p mustNotCall) Embed(context.Context, *llmrouter.Deployment, *llmrouter.EmbedRequest) (*llmrouter.EmbedResponse, error) {
	p.t.Errorf("replay embedded with provider %s", p.name)
	return nil, errors.New("called")
}

// noNetwork makes any HTTP request through the default transport fail the
// test, for the test's duration.
func noNetwork(t *testing.T) {
	saved := http.DefaultTransport
	http.DefaultTransport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("replay made a network call to %s", r.URL.Host)
		return nil, errors.New("no network in replay")
	})
	t.Cleanup(func() { http.DefaultTransport = saved })
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// replayFile replays testdata/records.jsonl under testdata/name, with
// providers that fail the test if called.
func replayFile(t *testing.T, name string) *replay.Report {
	t.Helper()
	noNetwork(t)
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	providers := map[string]llmrouter.Provider{}
	for _, key := range []string{"openai-us", "openai-eu", "anthropic-eu"} {
		providers[key] = mustNotCall{t, strings.TrimSuffix(strings.TrimSuffix(key, "-us"), "-eu")}
	}
	cfg, err := config.Parse(data, llmrouter.Config{Providers: providers})
	require.NoError(t, err)
	log, err := os.Open(filepath.Join("testdata", "records.jsonl"))
	require.NoError(t, err)
	defer log.Close()
	rep, err := replay.Run(log, cfg)
	require.NoError(t, err)
	return rep
}

func names(cs []replay.Count) map[string]int {
	m := map[string]int{}
	for _, c := range cs {
		m[c.Name] = c.Requests
	}
	return m
}

// TestReplayUnchangedConfig replays the log under the configuration it
// was recorded under: nothing moves, the cost is the same, and a failover
// or a refusal when recorded is not mistaken for a change.
func TestReplayUnchangedConfig(t *testing.T) {
	rep := replayFile(t, "old.yaml")
	assert.Equal(t, 20, rep.Records)
	assert.Equal(t, []replay.Count{{Name: "5f0c1a7e9b2d", Requests: 20, Examples: []string{"r01", "r02", "r03"}}}, rep.RecordedUnder)
	assert.Equal(t, 19, rep.Replayed)
	assert.Equal(t, map[string]int{"invalid when recorded": 1}, names(rep.NotReplayed))
	assert.Equal(t, 18, rep.Same, "r20, served by gpt-eu while gpt-us's breaker was open, keeps gpt-us as first choice")
	assert.Zero(t, rep.Moved)
	assert.Equal(t, 1, rep.Refused)
	assert.Zero(t, rep.NewlyRefused)
	assert.Equal(t, 1, rep.OldRefused)
	assert.Equal(t, map[string]int{"capabilities": 1}, names(rep.RefusedBy))
	assert.Equal(t, names(rep.OldRefusedBy), names(rep.RefusedBy))
	assert.InDelta(t, 0.06772, rep.Cost.Old, 1e-12)
	assert.InDelta(t, rep.Cost.Old, rep.Cost.New, 1e-12)
}

// TestReplayEUOnly replays the log under a policy that keeps the EU
// tenants in the EU: their chat requests move to the EU deployments, and
// the three on the US-only fast route are refused by that policy.
func TestReplayEUOnly(t *testing.T) {
	rep := replayFile(t, "eu-only.yaml")
	assert.Equal(t, 20, rep.Records)
	assert.Equal(t, 18, rep.Replayed)
	assert.Equal(t, map[string]int{"invalid when recorded": 1, `route "legacy" not in the configuration`: 1}, names(rep.NotReplayed))
	assert.Equal(t, 10, rep.Same)
	assert.Equal(t, 4, rep.Moved)
	assert.Equal(t, []replay.Move{
		{From: "gpt-us", To: "gpt-eu", Requests: 3, Examples: []string{"r09", "r10", "r11"}},
		{From: "gpt-us", To: "claude-eu", Requests: 1, Examples: []string{"r12"}},
	}, rep.Moves)
	assert.Equal(t, 4, rep.Refused)
	assert.Equal(t, 3, rep.NewlyRefused)
	assert.Equal(t, []replay.Count{
		{Name: "tenant-class(eu:region-in(eu-*))", Requests: 3, Examples: []string{"r13", "r14", "r15"}},
		{Name: "capabilities", Requests: 1, Examples: []string{"r17"}},
	}, rep.RefusedBy)
	// Recorded $0.0676 (r19 not replayed); new: acme's $0.0352 unchanged,
	// r09-r11 at gpt-eu's same price $0.0214, r12 at claude-eu's
	// 3000 × $3 + 100 × $15 = $0.0105; r13-r15's $0.0042 dropped.
	assert.InDelta(t, 0.0676, rep.Cost.Old, 1e-12)
	assert.InDelta(t, 0.0671, rep.Cost.New, 1e-12)
	assert.InDelta(t, 0.0042, rep.Cost.Dropped, 1e-12)
	assert.Zero(t, rep.Cost.Unpriced)
}

// TestReplayPrices replays the log with gpt-us at half price: routing is
// unchanged, and the cost falls by exactly half of gpt-us's share.
func TestReplayPrices(t *testing.T) {
	rep := replayFile(t, "prices.yaml")
	assert.Equal(t, 19, rep.Replayed)
	assert.Equal(t, 18, rep.Same)
	assert.Zero(t, rep.Moved)
	// Every replayed request but r17 (refused) and r19 (old-gpt) has
	// gpt-us as its first choice, r16 and r20 too (served by gpt-eu when
	// recorded, at the same price): $0.0676 halves to $0.0338, and r19's
	// $0.00012 stays.
	assert.InDelta(t, 0.06772, rep.Cost.Old, 1e-12)
	assert.InDelta(t, 0.03392, rep.Cost.New, 1e-12)
}

// TestReplayLatencyPerDeployment reports each deployment's recorded
// latency, and its share of first choices before and after.
func TestReplayLatencyPerDeployment(t *testing.T) {
	rep := replayFile(t, "eu-only.yaml")
	ms := time.Millisecond
	assert.Equal(t, []replay.Deployment{
		// 15 successful attempts: 100..800, 900, 1000, 1200, 1300, 300, 350, 250 ms.
		{Name: "gpt-us", InConfig: true, OldRequests: 17, NewRequests: 10, Attempts: 16, Errors: 1, P50: 500 * ms, P90: 1200 * ms},
		{Name: "gpt-eu", InConfig: true, NewRequests: 3, Attempts: 2, P50: 600 * ms, P90: 700 * ms},
		{Name: "claude-eu", InConfig: true, NewRequests: 1},
		{Name: "old-gpt", Attempts: 1, P50: 80 * ms, P90: 80 * ms},
	}, rep.Deployments)
}

// TestDecoderNamesTheLine reports a bad record with its line and key.
func TestDecoderNamesTheLine(t *testing.T) {
	log := `{"request_id":"a","outcome":"success"}` + "\n\n" + `{"request_id":"b","outcome":"success","needs":["tools","x-ray"]}` + "\n"
	_, err := replay.ReadAll(strings.NewReader(log))
	var le *replay.LineError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, 3, le.Line)
	assert.EqualError(t, err, `replay: line 3: llmrouter: record: needs[1]: unknown capability "x-ray" (want tools|json|vision|streaming|reasoning|embeddings|image_url)`)

	recs, err := replay.ReadAll(strings.NewReader(`{"request_id":"a","outcome":"success"}`)) // no final newline
	require.NoError(t, err)
	assert.Len(t, recs, 1)
}

// TestStandIns registers stand-ins named as the log records them, which
// serve embeddings where the log or the configuration says so, and leaves
// registered providers alone.
func TestStandIns(t *testing.T) {
	var s replay.StandIns
	for _, rec := range fixture() {
		s.Learn(rec)
	}
	s.Learn(&llmrouter.Record{RequestID: "e", Route: "vec", Embed: true, Outcome: llmrouter.OutcomeSuccess, Provider: "cohere",
		Candidates: []llmrouter.CandidateRecord{{Deployment: "embed-v4", Provider: "cohere", Status: llmrouter.CandidateChosen}}})
	real := mustNotCall{t, "anthropic"}
	cfg := &llmrouter.Config{
		Deployments: []llmrouter.DeploymentSpec{
			{Name: "gpt-us", Provider: "openai-us"}, {Name: "claude-eu", Provider: "anthropic-eu"},
			{Name: "brand-new", Provider: "mistral-eu"}, {Name: "embed-v4", Provider: "cohere-eu"},
			{Name: "vectors", Provider: "vectors-eu", Capabilities: []string{"embeddings"}},
		},
		Providers: map[string]llmrouter.Provider{"anthropic-eu": real},
	}
	assert.Equal(t, []string{"cohere-eu", "mistral-eu", "openai-us", "vectors-eu"}, s.Fill(cfg))
	assert.Equal(t, "openai", cfg.Providers["openai-us"].Name(), "named as recorded")
	assert.Equal(t, "mistral-eu", cfg.Providers["mistral-eu"].Name(), "not in the log: its registry name")
	assert.Equal(t, real, cfg.Providers["anthropic-eu"])
	for key, embeds := range map[string]bool{"openai-us": false, "cohere-eu": true, "vectors-eu": true} {
		_, ok := cfg.Providers[key].(llmrouter.Embedder)
		assert.Equal(t, embeds, ok, key)
	}
	_, err := cfg.Providers["openai-us"].Chat(context.Background(), nil, nil)
	assert.ErrorIs(t, err, replay.ErrStandInCalled)
}

// TestDecoderBoundsLines refuses a line longer than MaxLine, naming it.
func TestDecoderBoundsLines(t *testing.T) {
	long := `{"request_id":"a","outcome":"success","user":"` + strings.Repeat("x", replay.MaxLine) + `"}`
	_, err := replay.ReadAll(strings.NewReader("{\"request_id\":\"a\",\"outcome\":\"success\"}\n" + long + "\n"))
	var le *replay.LineError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, 2, le.Line)
	assert.ErrorContains(t, err, "longer than 64 MiB")
}

// TestTextKeepsControlCharactersOut replaces what a log could use to
// drive the terminal.
func TestTextKeepsControlCharactersOut(t *testing.T) {
	rep := &replay.Report{Label: "x\x1b[2J", Moves: []replay.Move{{From: "a", To: "b", Requests: 1, Examples: []string{"id\x1b]0;pwned\x07"}}}}
	var b strings.Builder
	require.NoError(t, rep.WriteText(&b))
	assert.NotContains(t, b.String(), "\x1b")
	assert.NotContains(t, b.String(), "\x07")
}

// TestHedgeLostIsNoError counts a hedge that lost the race as an attempt,
// not an error.
func TestHedgeLostIsNoError(t *testing.T) {
	r, err := replay.New(&llmrouter.Config{Deployments: []llmrouter.DeploymentSpec{{Name: "a", Provider: "p"}, {Name: "b", Provider: "p"}},
		Providers: map[string]llmrouter.Provider{"p": mustNotCall{t, "p"}}})
	require.NoError(t, err)
	r.Add(&llmrouter.Record{RequestID: "h", Route: "a", Outcome: llmrouter.OutcomeSuccess,
		Candidates: []llmrouter.CandidateRecord{{Deployment: "a", Status: llmrouter.CandidateChosen}},
		Attempts: []llmrouter.AttemptRecord{
			{Deployment: "b", Status: "error", Kind: llmrouter.KindCanceled, Code: llmrouter.HedgeLost, Duration: time.Second},
			{Deployment: "a", Status: "ok", Duration: time.Millisecond},
		}})
	deps := r.Report().Deployments
	require.Len(t, deps, 2)
	assert.Equal(t, replay.Deployment{Name: "b", InConfig: true, Attempts: 1}, deps[1])
}
