package llmrouter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/racedetect"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBadRequestsAreTypedAndNeverSent(t *testing.T) {
	msgs := func(m ...llmrouter.Message) []llmrouter.Message { return m }
	cases := []struct {
		name  string
		req   llmrouter.Request
		field string
	}{
		{"no model", llmrouter.Request{Messages: msgs(llmrouter.User("x"))}, "Model"},
		{"unknown route", llmrouter.Request{Model: "nope", Messages: msgs(llmrouter.User("x"))}, "Model"},
		{"no messages", llmrouter.Request{Model: "chat"}, "Messages"},
		{"invalid role", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.Message{Role: "wizard", Content: []llmrouter.Part{llmrouter.TextPart("x")}})}, "Messages[0].Role"},
		{"invalid utf8", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.User("bad \xff"))}, "Messages[0].Content[0].Text"},
		{"negative max tokens", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.User("x")), MaxOutputTokens: -1}, "MaxOutputTokens"},
		{"temperature", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.User("x")), Temperature: llmrouter.Ptr(math.NaN())}, "Temperature"},
		{"top p", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.User("x")), TopP: llmrouter.Ptr(1.5)}, "TopP"},
		{"tool result without call", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.User("x"), llmrouter.ToolResult("c9", "42"))}, "Messages[1].ToolCallID"},
		{"tool call args not json", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.User("x"),
			llmrouter.Message{Role: llmrouter.RoleAssistant, ToolCalls: []llmrouter.ToolCall{{ID: "c1", Name: "f", Arguments: "{"}}})}, "Messages[1].ToolCalls[0].Arguments"},
		{"duplicate tools", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.User("x")), Tools: []llmrouter.Tool{{Name: "f"}, {Name: "f"}}}, "Tools[1].Name"},
		{"tool params not json", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.User("x")), Tools: []llmrouter.Tool{{Name: "f", Parameters: json.RawMessage("{")}}}, "Tools[0].Parameters"},
		{"forced unknown tool", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.User("x")), ToolChoice: llmrouter.ToolChoice{Mode: llmrouter.ToolForced, Name: "g"}}, "ToolChoice.Name"},
		{"schema missing", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.User("x")), ResponseFormat: llmrouter.ResponseFormat{Type: llmrouter.FormatJSONSchema}}, "ResponseFormat.Schema"},
		{"image without source", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.Message{Role: llmrouter.RoleUser, Content: []llmrouter.Part{{Type: llmrouter.PartImage, Image: &llmrouter.Image{}}}})}, "Messages[0].Content[0].Image"},
		{"empty stop", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.User("x")), Stop: []string{""}}, "Stop[0]"},
		{"policy without check", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.User("x")), Policies: []llmrouter.Policy{{Name: "p"}}}, "Policies[0]"},
		{"huge invalid", llmrouter.Request{Model: "chat", Messages: msgs(llmrouter.User(strings.Repeat("a", 1<<20) + "\xc3"))}, "Messages[0].Content[0].Text"},
	}
	var typed, sent, records int
	defer func() {
		fmt.Printf("bad-input: requests=%d typed_errors=%d sent_upstream=%d lineage_records=%d\n", len(cases), typed, sent, records)
	}()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := fake.New("p")
			defer func() { sent += p.CallCount() }()
			sink := &recorder{}
			r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", p)),
				llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}}}), llmrouter.WithLineage(sink))
			require.NoError(t, err)
			req := c.req
			_, err = r.Chat(context.Background(), &req)
			require.ErrorIs(t, err, llmrouter.ErrInvalidRequest)
			var re *llmrouter.RequestError
			require.ErrorAs(t, err, &re)
			typed++
			records += len(sink.all())
			assert.True(t, strings.HasPrefix(re.Field, c.field), "field %q, want %q (%v)", re.Field, c.field, err)
			assert.Equal(t, 0, p.CallCount(), "nothing is sent")
			assert.Equal(t, llmrouter.OutcomeInvalid, sink.only(t).Outcome, "and the record is not lost")
		})
	}
}

func TestValidRequestPasses(t *testing.T) {
	req := &llmrouter.Request{Model: "chat", Messages: []llmrouter.Message{
		llmrouter.System("s"), llmrouter.Developer("d"),
		{Role: llmrouter.RoleUser, Content: []llmrouter.Part{llmrouter.TextPart("look"), llmrouter.ImagePart("https://example.com/cat.png"),
			{Type: llmrouter.PartImage, Image: &llmrouter.Image{Data: []byte{1, 2}, MediaType: "image/png"}}}},
		{Role: llmrouter.RoleAssistant, ToolCalls: []llmrouter.ToolCall{{ID: "c1", Name: "f", Arguments: `{"a":1}`}}},
		llmrouter.ToolResult("c1", "42"),
		llmrouter.Assistant("done"),
	},
		Tools:          []llmrouter.Tool{{Name: "f", Parameters: json.RawMessage(`{"type":"object"}`)}},
		ToolChoice:     llmrouter.ToolChoice{Mode: llmrouter.ToolForced, Name: "f"},
		ResponseFormat: llmrouter.ResponseFormat{Type: llmrouter.FormatJSONSchema, Name: "x", Schema: json.RawMessage(`{}`), Strict: true},
		Temperature:    llmrouter.Ptr(0.0), TopP: llmrouter.Ptr(1.0), Seed: llmrouter.Ptr(int64(7)), Stop: []string{"END"},
	}
	require.NoError(t, req.Validate())
	if racedetect.Enabled {
		t.Skip("allocation counts are not checked under the race detector")
	}
	allocs := testing.AllocsPerRun(100, func() { _ = req.Validate() })
	assert.Zero(t, allocs, "validation allocates only when it fails")
}

func TestBadConfigNamesTheField(t *testing.T) {
	p := fake.New("p")
	cases := []struct {
		name  string
		opts  []llmrouter.Option
		field string
	}{
		{"empty name", []llmrouter.Option{llmrouter.WithDeployments(llmrouter.Deployment{Provider: p})}, "Deployments[0].Name"},
		{"duplicate", []llmrouter.Option{llmrouter.WithDeployments(dep("a", p), dep("a", p))}, "Deployments[1].Name"},
		{"nil provider", []llmrouter.Option{llmrouter.WithDeployments(llmrouter.Deployment{Name: "a"})}, "Deployments[0].Provider"},
		{"negative weight", []llmrouter.Option{llmrouter.WithDeployments(llmrouter.Deployment{Name: "a", Provider: p, Weight: -1})}, "Deployments[0].Weight"},
		{"negative price", []llmrouter.Option{llmrouter.WithDeployments(llmrouter.Deployment{Name: "a", Provider: p, Price: llmrouter.Price{InputPerMTok: -1}})}, "Deployments[0].Price"},
		{"unknown deployment in route", []llmrouter.Option{llmrouter.WithDeployments(dep("a", p)),
			llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"ghost"}}})}, `Routes["chat"].Tiers[1][0]`},
		{"empty route", []llmrouter.Option{llmrouter.WithDeployments(dep("a", p)), llmrouter.WithRoute("chat", llmrouter.Route{})}, `Routes["chat"].Tiers`},
		{"route named like deployment", []llmrouter.Option{llmrouter.WithDeployments(dep("a", p)),
			llmrouter.WithRoute("a", llmrouter.Route{Tiers: [][]string{{"a"}}})}, `Routes["a"]`},
		{"unnamed policy", []llmrouter.Option{llmrouter.WithPolicies(llmrouter.Policy{Check: llmrouter.RegionIn("x").Check})}, "Policies[0].Name"},
		{"nil sink", []llmrouter.Option{llmrouter.WithLineage(nil)}, "Lineage[0]"},
		{"nil quota store", []llmrouter.Option{llmrouter.WithQuota(nil)}, "Quota.Store"},
		{"quota without window", []llmrouter.Option{llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(),
			llmrouter.PerTenant(llmrouter.Limit{Requests: 5}))}, "Quota.Rules[0].Limits[0].Window"},
		{"negative timeout", []llmrouter.Option{llmrouter.WithTimeouts(llmrouter.Timeouts{Attempt: -1})}, "Timeouts"},
		{"breaker ratio", []llmrouter.Option{llmrouter.WithBreaker(llmrouter.BreakerPolicy{FailureRatio: 2})}, "Breaker"},
		{"3ns idle timeout", []llmrouter.Option{llmrouter.WithTimeouts(llmrouter.Timeouts{Idle: 3})}, "Timeouts.Idle"},
		{"sub-ms total timeout", []llmrouter.Option{llmrouter.WithTimeouts(llmrouter.Timeouts{Total: 999 * time.Microsecond})}, "Timeouts.Total"},
		{"sub-ms attempt timeout", []llmrouter.Option{llmrouter.WithTimeouts(llmrouter.Timeouts{Attempt: 1})}, "Timeouts.Attempt"},
		{"sub-ms first-token timeout", []llmrouter.Option{llmrouter.WithTimeouts(llmrouter.Timeouts{FirstToken: time.Microsecond})}, "Timeouts.FirstToken"},
		{"infinite USD limit", []llmrouter.Option{llmrouter.WithQuota(llmrouter.NewMemoryQuotaStore(),
			llmrouter.PerTenant(llmrouter.USDPerDay(math.Inf(1))))}, "Quota.Rules[0].Limits[0].USD"},
		{"huge default output", []llmrouter.Option{llmrouter.WithTokenEstimates(llmrouter.TokenEstimates{DefaultOutput: math.MaxInt})}, "TokenEstimates.DefaultOutput"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := llmrouter.New(c.opts...)
			require.ErrorIs(t, err, llmrouter.ErrInvalidConfig)
			var ce *llmrouter.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, c.field, ce.Field, "%v", err)
		})
	}
	_, err := llmrouter.New(llmrouter.WithTimeouts(llmrouter.Timeouts{Total: time.Millisecond, Attempt: time.Millisecond, FirstToken: time.Millisecond, Idle: time.Millisecond}))
	require.NoError(t, err, "a millisecond is allowed")
}
