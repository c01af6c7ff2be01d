package fake_test

import (
	"context"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/racedetect"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var d = &llmrouter.Deployment{Name: "dep", Model: "up-model"}

func req() *llmrouter.Request {
	return &llmrouter.Request{Model: "route", Messages: []llmrouter.Message{llmrouter.User("hello there")}}
}

func TestScriptThenDefault(t *testing.T) {
	p := fake.New("p", fake.WithScript(fake.ServerError(), fake.RateLimited(3*time.Second)), fake.WithDefault(fake.Reply("fine")))
	_, err := p.Chat(context.Background(), d, req())
	var pe *llmrouter.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, llmrouter.KindServer, pe.Kind)
	assert.Equal(t, 500, pe.StatusCode)
	assert.Equal(t, "p", pe.Provider)
	assert.Equal(t, "dep", pe.Deployment)
	_, err = p.Chat(context.Background(), d, req())
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 3*time.Second, pe.RetryAfter)
	resp, err := p.Chat(context.Background(), d, req())
	require.NoError(t, err)
	assert.Equal(t, "fine", resp.Text)
	assert.Equal(t, "up-model", resp.Model)
	assert.Equal(t, 3, p.CallCount())
	calls := p.Calls()
	require.Len(t, calls, 3)
	assert.Equal(t, "dep", calls[2].Deployment)
	assert.Equal(t, 3, calls[2].N)
	p.Script(fake.Reply("again"))
	resp, _ = p.Chat(context.Background(), d, req())
	assert.Equal(t, "again", resp.Text)
	p.Reset()
	assert.Zero(t, p.CallCount())
}

func TestFuncDecidesPerCall(t *testing.T) {
	p := fake.New("p", fake.WithFunc(func(c fake.Call) fake.Step {
		if c.Deployment == "bad" {
			return fake.ServerError()
		}
		return fake.Reply("ok " + c.Model)
	}))
	_, err := p.Chat(context.Background(), &llmrouter.Deployment{Name: "bad"}, req())
	require.Error(t, err)
	resp, err := p.Chat(context.Background(), d, req())
	require.NoError(t, err)
	assert.Equal(t, "ok up-model", resp.Text)
}

func TestLatencyHonoursContext(t *testing.T) {
	p := fake.New("p", fake.WithDefault(fake.Step{Text: "late", Latency: time.Hour}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := p.Chat(ctx, d, req())
	var pe *llmrouter.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, llmrouter.KindTimeout, pe.Kind)
}

func TestPanicStep(t *testing.T) {
	p := fake.New("p", fake.WithDefault(fake.Panic("boom")))
	assert.PanicsWithValue(t, "boom", func() { _, _ = p.Chat(context.Background(), d, req()) })
}

func TestStreamShape(t *testing.T) {
	p := fake.New("p", fake.WithDefault(fake.Step{Text: "héllo wörld", Chunks: 4}))
	s, err := p.Stream(context.Background(), d, req())
	require.NoError(t, err)
	var chunks []llmrouter.Chunk
	for s.Next() {
		chunks = append(chunks, s.Current())
	}
	require.NoError(t, s.Err())
	require.NoError(t, s.Close())
	assert.Equal(t, llmrouter.Chunk{}, chunks[0], "a preamble chunk comes first")
	text := ""
	for _, c := range chunks[1 : len(chunks)-1] {
		text += c.Text
	}
	assert.Equal(t, "héllo wörld", text)
	last := chunks[len(chunks)-1]
	assert.Equal(t, llmrouter.FinishStop, last.FinishReason)
	require.NotNil(t, last.Usage)
	assert.Equal(t, 4, last.Usage.OutputTokens)
	assert.Len(t, chunks, 6, "preamble, 4 pieces, finish")
}

func TestStreamBreaksAndStalls(t *testing.T) {
	p := fake.New("p", fake.WithDefault(fake.StreamCut("a b c d", 2)))
	s, _ := p.Stream(context.Background(), d, req())
	n := 0
	for s.Next() {
		if s.Current().Text != "" {
			n++
		}
	}
	assert.Equal(t, 2, n)
	var pe *llmrouter.ProviderError
	require.ErrorAs(t, s.Err(), &pe)
	assert.Equal(t, llmrouter.KindTransport, pe.Kind)

	p = fake.New("p", fake.WithDefault(fake.Step{Text: "a b", HangAfter: 1}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	s, _ = p.Stream(ctx, d, req())
	for s.Next() {
	}
	require.ErrorAs(t, s.Err(), &pe)
	assert.Equal(t, llmrouter.KindTimeout, pe.Kind)
}

// TestDefaultPathRecordsNothing: with recording off and no script, a call
// allocates only its response and leaves no record, only the count.
func TestDefaultPathRecordsNothing(t *testing.T) {
	p := fake.New("p", fake.WithCallRecording(false))
	r := req()
	if racedetect.Enabled {
		t.Skip("allocation counts are not checked under the race detector")
	}
	allocs := testing.AllocsPerRun(100, func() { _, _ = p.Chat(context.Background(), d, r) })
	assert.LessOrEqual(t, allocs, 2.0)
	assert.Empty(t, p.Calls())
	assert.Equal(t, 101, p.CallCount())
}
