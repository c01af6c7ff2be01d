package llmrouter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRecordCarriesWhatReplayNeeds checks that a record keeps what a
// replay plans from (capabilities needed, estimated input tokens, max
// output, tenant, user, labels, flags), and that its JSON says it.
func TestRecordCarriesWhatReplayNeeds(t *testing.T) {
	sink := &recorder{}
	var buf bytes.Buffer
	r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", fake.New("p"))), llmrouter.WithLineage(sink, llmrouter.NewJSONLSink(&buf)))
	require.NoError(t, err)
	req := hello("a")
	req.Tools = []llmrouter.Tool{{Name: "lookup"}}
	req.ResponseFormat = llmrouter.ResponseFormat{Type: llmrouter.FormatJSON}
	req.MaxOutputTokens = 300
	req.Tenant, req.User, req.Labels = "acme", "u1", map[string]string{"team": "search"}
	s, err := r.ChatStream(context.Background(), req)
	require.NoError(t, err)
	read(s)
	require.NoError(t, s.Close())

	rec := sink.only(t)
	assert.Equal(t, llmrouter.CapTools|llmrouter.CapJSON|llmrouter.CapStreaming, rec.Needs)
	assert.EqualValues(t, 300, rec.MaxOutputTokens)
	assert.Equal(t, llmrouter.EstimateInputTokens(req), rec.Prompt.Tokens)
	line := buf.String()
	assert.Contains(t, line, `"tenant":"acme","user":"u1","labels":{"team":"search"},"stream":true,"needs":["tools","json","streaming"],"max_output_tokens":300,`)
	assert.Contains(t, line, `"tokens":`+itoa(rec.Prompt.Tokens)+`}`)

	var back llmrouter.Record
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &back))
	assert.Equal(t, rec.Needs, back.Needs)
	assert.Equal(t, rec.MaxOutputTokens, back.MaxOutputTokens)
	assert.Equal(t, rec.Prompt, back.Prompt)

	buf.Reset()
	_, err = r.Embed(context.Background(), &llmrouter.EmbedRequest{Model: "a", Inputs: []string{"x"}})
	require.NoError(t, err)
	assert.Contains(t, buf.String(), `"embed":true,"needs":["embeddings"],"start"`)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// fullRecord sets every field AppendJSON writes.
func fullRecord() *llmrouter.Record {
	start := time.Date(2026, 11, 27, 12, 0, 0, 123456789, time.UTC)
	return &llmrouter.Record{RequestID: "r1", Route: "chat", ConfigVersion: "v7", Tenant: "acme", User: "u\"1",
		Labels: map[string]string{"b": "2", "a": "1"}, Stream: true, Embed: false,
		Needs: llmrouter.CapTools | llmrouter.CapVision | llmrouter.CapStreaming, MaxOutputTokens: 512,
		Start: start, Duration: 1234567890, TTFT: 250 * time.Millisecond,
		Policies:  []string{"capabilities", "region-in(eu-*)"},
		Fallbacks: []string{"backup"},
		Candidates: []llmrouter.CandidateRecord{
			{Deployment: "a", Provider: "openai", Tier: 0, Status: llmrouter.CandidateTried, Reason: "server"},
			{Deployment: "b", Provider: "anthropic", Tier: 1, Status: llmrouter.CandidateRefused, Policy: "region-in(eu-*)", Reason: "region not in eu-*"},
			{Deployment: "c", Provider: "openai", Tier: 0, Status: llmrouter.CandidateChosen},
		},
		Attempts: []llmrouter.AttemptRecord{
			{Deployment: "a", Provider: "openai", Model: "gpt", Start: start.Add(1500 * time.Microsecond), Duration: 30 * time.Millisecond,
				Status: "error", Class: llmrouter.ClassRetry, Kind: llmrouter.KindServer, StatusCode: 503, Code: "overloaded",
				RetryAfter: 2 * time.Second, Error: "upstream 503", Orphaned: true, Usage: llmrouter.Usage{InputTokens: 10, Estimated: true}},
			{Deployment: "c", Provider: "openai", Model: "gpt", Start: start.Add(40 * time.Millisecond), Duration: 900 * time.Millisecond,
				TTFT: 200 * time.Millisecond, Status: "ok", Usage: llmrouter.Usage{InputTokens: 1000, OutputTokens: 200, CachedInputTokens: 100,
					CacheWriteTokens: 50, CacheWrite1hTokens: 20, ReasoningTokens: 30}},
		},
		Outcome: llmrouter.OutcomeSuccess, Deployment: "c", Provider: "openai", Model: "gpt", ServedBy: "Azure", ReasoningDropped: 1,
		Usage: llmrouter.Usage{InputTokens: 1010, OutputTokens: 200}, Cost: 0.0123,
		Prompt:  llmrouter.PromptInfo{Hash: llmrouter.HashPrompt([]llmrouter.Message{llmrouter.User("x")}), Messages: 2, Bytes: 40, Tokens: 1000},
		Content: &llmrouter.Content{Messages: []llmrouter.Message{llmrouter.User("hi")}, Output: "yo", Truncated: true},
	}
}

// TestRecordJSONKeyOrder pins the encoding: existing keys keep their
// order, and the replay keys (config_version, needs, max_output_tokens)
// sit where they were added.
func TestRecordJSONKeyOrder(t *testing.T) {
	got := string(fullRecord().AppendJSON(nil))
	want := `{"request_id":"r1","route":"chat","config_version":"v7","tenant":"acme","user":"u\"1","labels":{"a":"1","b":"2"},` +
		`"stream":true,"needs":["tools","vision","streaming"],"max_output_tokens":512,` +
		`"start":"2026-11-27T12:00:00.123456789Z","duration_ms":1234.56789,"ttft_ms":250,` +
		`"policies":["capabilities","region-in(eu-*)"],"fallbacks":["backup"],"candidates":[` +
		`{"deployment":"a","provider":"openai","tier":0,"status":"tried","reason":"server"},` +
		`{"deployment":"b","provider":"anthropic","tier":1,"status":"refused","policy":"region-in(eu-*)","reason":"region not in eu-*"},` +
		`{"deployment":"c","provider":"openai","tier":0,"status":"chosen"}],"attempts":[` +
		`{"deployment":"a","provider":"openai","model":"gpt","offset_ms":1.5,"duration_ms":30,"status":"error","class":"retry","kind":"server","status_code":503,"code":"overloaded","retry_after_ms":2000,"error":"upstream 503","orphaned":true,"usage":{"input_tokens":10,"output_tokens":0,"estimated":true}},` +
		`{"deployment":"c","provider":"openai","model":"gpt","offset_ms":40,"duration_ms":900,"ttft_ms":200,"status":"ok","usage":{"input_tokens":1000,"output_tokens":200,"cached_input_tokens":100,"cache_write_tokens":50,"cache_write_1h_tokens":20,"reasoning_tokens":30}}],` +
		`"outcome":"success","deployment":"c","provider":"openai","model":"gpt","served_by":"Azure","reasoning_dropped":1,` +
		`"usage":{"input_tokens":1010,"output_tokens":200},"cost_usd":0.0123,` +
		`"prompt":{"hash":"` + fullRecord().Prompt.Hash.String() + `","messages":2,"bytes":40,"tokens":1000},` +
		`"content":{"messages":[{"role":"user","text":"hi"}],"output":"yo","truncated":true}}`
	assert.Equal(t, want, got)
}

// TestRecordJSONRoundTrip decodes what AppendJSON writes back into the
// same record.
func TestRecordJSONRoundTrip(t *testing.T) {
	for name, rec := range map[string]*llmrouter.Record{
		"full":    fullRecord(),
		"minimal": {RequestID: "r2", Outcome: llmrouter.OutcomeInvalid, Error: "llmrouter: invalid request"},
		"embed":   {RequestID: "r3", Route: "emb", Embed: true, Needs: llmrouter.CapEmbeddings, Outcome: llmrouter.OutcomeSuccess, Start: time.Unix(5, 0).UTC()},
	} {
		t.Run(name, func(t *testing.T) {
			enc := rec.AppendJSON(nil)
			var back llmrouter.Record
			require.NoError(t, json.Unmarshal(enc, &back), string(enc))
			assert.Equal(t, string(enc), string(back.AppendJSON(nil)))
			assert.Equal(t, rec.Clone(), back.Clone()) // Clone: nil and empty lists alike
		})
	}
}

// TestRecordAppendJSONAllocatesNothing keeps the hand-written encoder free
// of allocations when the buffer has room (labels aside, which it sorts).
func TestRecordAppendJSONAllocatesNothing(t *testing.T) {
	rec := fullRecord()
	rec.Labels = nil
	buf := make([]byte, 0, 8<<10)
	allocs := testing.AllocsPerRun(100, func() { buf = rec.AppendJSON(buf[:0]) })
	assert.Zero(t, allocs)
}

// TestRecordDecodeErrors names the faulty key of a bad record.
func TestRecordDecodeErrors(t *testing.T) {
	good := string(fullRecord().AppendJSON(nil))
	for _, tc := range []struct{ name, in, field, reason string }{
		{"not JSON", `{"request_id":`, "", "unexpected EOF"},
		{"two objects", `{"request_id":"a","outcome":"success"} {}`, "", "text after"},
		{"no id", `{"outcome":"success"}`, "request_id", "missing"},
		{"no outcome", `{"request_id":"a"}`, "outcome", "missing"},
		{"bad outcome", strings.Replace(good, `"outcome":"success"`, `"outcome":"great"`, 1), "outcome", `unknown outcome "great"`},
		{"bad type", strings.Replace(good, `"tenant":"acme"`, `"tenant":7`, 1), "tenant", "want a string, got number"},
		{"bad nested type", strings.Replace(good, `"usage":{"input_tokens":1010`, `"usage":{"input_tokens":"many"`, 1), "usage.input_tokens", "want a number"},
		{"bad capability", strings.Replace(good, `"needs":["tools"`, `"needs":["telepathy"`, 1), "needs[0]", `unknown capability "telepathy"`},
		{"bad duration", strings.Replace(good, `"duration_ms":1234.56789`, `"duration_ms":-3`, 1), "duration_ms", "want milliseconds"},
		{"duration as text", strings.Replace(good, `"duration_ms":1234.56789`, `"duration_ms":"slow"`, 1), "duration_ms", "want milliseconds"},
		{"attempt duration", strings.Replace(good, `"duration_ms":30`, `"duration_ms":1e3`, 1), "attempts[0].duration_ms", "want milliseconds"},
		{"too precise", strings.Replace(good, `"ttft_ms":250`, `"ttft_ms":0.0000001`, 1), "ttft_ms", "six fractional digits"},
		{"bad start", strings.Replace(good, `"start":"2026-11-27T12:00:00.123456789Z"`, `"start":"yesterday"`, 1), "start", "RFC 3339"},
		{"bad status", strings.Replace(good, `"status":"chosen"`, `"status":"picked"`, 1), "candidates[2].status", `unknown status "picked"`},
		{"bad kind", strings.Replace(good, `"kind":"server"`, `"kind":"gremlins"`, 1), "attempts[0].kind", `unknown kind "gremlins"`},
		{"bad class", strings.Replace(good, `"class":"retry"`, `"class":"later"`, 1), "attempts[0].class", `unknown class "later"`},
		{"bad attempt status", strings.Replace(good, `"status":"ok"`, `"status":"fine"`, 1), "attempts[1].status", `want "ok" or "error"`},
		{"bad hash", strings.Replace(good, `"hash":"`, `"hash":"zz`, 1), "prompt.hash", "64 hex digits"},
		{"negative max output", strings.Replace(good, `"max_output_tokens":512`, `"max_output_tokens":-1`, 1), "max_output_tokens", "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec llmrouter.Record
			err := json.Unmarshal([]byte(tc.in), &rec)
			if tc.name == "not JSON" || tc.name == "two objects" {
				err = rec.UnmarshalJSON([]byte(tc.in)) // json.Unmarshal checks syntax before calling it
			}
			var de *llmrouter.RecordDecodeError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tc.field, de.Field)
			assert.Contains(t, de.Reason, tc.reason)
		})
	}
}

// TestRecordDecodeIgnoresUnknownKeys reads a line a log shipper added a
// key to.
func TestRecordDecodeIgnoresUnknownKeys(t *testing.T) {
	var rec llmrouter.Record
	require.NoError(t, json.Unmarshal([]byte(`{"request_id":"a","outcome":"success","host":"web-3","@timestamp":1}`), &rec))
	assert.Equal(t, "a", rec.RequestID)
}
