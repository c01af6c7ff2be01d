package llmrouter_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/fake"
	"github.com/llmrouter/llmrouter/providers/gemini"
	"github.com/llmrouter/llmrouter/providers/openai"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContentFallback(t *testing.T) {
	blocked := fake.PromptBlocked()
	filtered := fake.Step{FinishReason: llmrouter.FinishContentFilter}
	cases := []struct {
		name     string
		first    fake.Step
		fallback bool
		stream   bool
		want     string // deployment that answers; "" for an error
		kind     llmrouter.Kind
	}{
		{name: "blocked prompt ends the request by default", first: blocked, kind: llmrouter.KindContentPolicy},
		{name: "blocked prompt falls back", first: blocked, fallback: true, want: "b"},
		{name: "filtered answer is returned by default", first: filtered, want: "a"},
		{name: "filtered answer falls back", first: filtered, fallback: true, want: "b"},
		{name: "filtered stream falls back unseen", first: filtered, fallback: true, stream: true, want: "b"},
		{name: "filtered stream is returned by default", first: filtered, stream: true, want: "a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := fake.New("pa", fake.WithDefault(tc.first))
			b := fake.New("pb", fake.WithDefault(fake.Reply("fine")))
			rec := &recorder{}
			r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", a), dep("b", b)),
				llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}, ContentFallback: tc.fallback}),
				llmrouter.WithLineage(rec))
			require.NoError(t, err)
			var got string
			if tc.stream {
				s, err := r.ChatStream(context.Background(), hello("chat"))
				require.NoError(t, err)
				got = s.Deployment()
				for s.Next() {
				}
				require.NoError(t, s.Close())
			} else {
				resp, err := r.Chat(context.Background(), hello("chat"))
				if tc.want == "" {
					var pe *llmrouter.ProviderError
					require.True(t, errors.As(err, &pe), "%v", err)
					assert.Equal(t, tc.kind, pe.Kind)
					assert.Equal(t, "prompt_blocked", pe.Code)
					assert.Zero(t, b.CallCount())
					return
				}
				require.NoError(t, err)
				got = resp.Deployment
			}
			assert.Equal(t, tc.want, got)
			record := rec.only(t)
			if tc.want == "b" {
				require.Len(t, record.Attempts, 2, "the refusal is in the record")
				assert.Equal(t, llmrouter.KindContentPolicy, record.Attempts[0].Kind)
			}
		})
	}
}

func TestContentFallbackStillObeysPolicies(t *testing.T) {
	a := fake.New("pa", fake.WithDefault(fake.Fail(llmrouter.KindContentPolicy, 400)))
	us := fake.New("pus")
	da, dus := dep("a", a), dep("us", us)
	da.Region, dus.Region = "eu-west-1", "us-east-1"
	r, err := llmrouter.New(llmrouter.WithDeployments(da, dus),
		llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"us"}}, ContentFallback: true}),
		llmrouter.WithPolicies(llmrouter.RegionIn("eu-*")))
	require.NoError(t, err)
	_, err = r.Chat(context.Background(), hello("chat"))
	require.ErrorIs(t, err, llmrouter.ErrNoRoute)
	assert.Zero(t, us.CallCount(), "a refusal never sends the prompt where a policy forbids")
}

// TestContentFallbackBlockedPromptAdapters: a prompt blocked by Azure's
// content filter (HTTP 400) and one blocked by Gemini's safety system
// (promptFeedback.blockReason, HTTP 200) are the same event through the
// router, whole and streamed: with Route.ContentFallback the request moves
// to the next candidate; without it, it stops with a *ProviderError of
// KindContentPolicy and Code "prompt_blocked".
func TestContentFallbackBlockedPromptAdapters(t *testing.T) {
	azure := func(t *testing.T) llmrouter.Provider {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation"}}}`)
		}))
		t.Cleanup(srv.Close)
		return openai.New(openai.Azure(srv.URL, "2024-10-21"), openai.WithAPIKey("test-key-0123456789"), openai.WithHTTPClient(srv.Client()))
	}
	gem := func(t *testing.T) llmrouter.Provider {
		const blocked = `{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":8,"totalTokenCount":8}}`
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "streamGenerateContent") {
				w.Header().Set("Content-Type", "text/event-stream")
				_, _ = io.WriteString(w, "data: "+blocked+"\r\n\r\n")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, blocked)
		}))
		t.Cleanup(srv.Close)
		return gemini.New(gemini.WithBaseURL(srv.URL), gemini.WithAPIKey("test-key-0123456789"), gemini.WithHTTPClient(srv.Client()))
	}
	for _, pc := range []struct {
		name string
		mk   func(*testing.T) llmrouter.Provider
	}{{"azure", azure}, {"gemini", gem}} {
		for _, stream := range []bool{false, true} {
			for _, fallback := range []bool{false, true} {
				name := pc.name
				if stream {
					name += "/stream"
				}
				if fallback {
					name += "/fallback"
				}
				t.Run(name, func(t *testing.T) {
					b := fake.New("pb", fake.WithDefault(fake.Reply("fine")))
					r, err := llmrouter.New(llmrouter.WithDeployments(dep("a", pc.mk(t)), dep("b", b)),
						llmrouter.WithRoute("chat", llmrouter.Route{Tiers: [][]string{{"a"}, {"b"}}, ContentFallback: fallback}))
					require.NoError(t, err)
					var got string
					if stream {
						s, serr := r.ChatStream(context.Background(), hello("chat"))
						err = serr
						if serr == nil {
							got = s.Deployment()
							for s.Next() {
							}
							err = s.Close()
						}
					} else {
						resp, cerr := r.Chat(context.Background(), hello("chat"))
						err = cerr
						if cerr == nil {
							got = resp.Deployment
						}
					}
					if fallback {
						require.NoError(t, err)
						assert.Equal(t, "b", got)
						return
					}
					var pe *llmrouter.ProviderError
					require.True(t, errors.As(err, &pe), "err = %v, answered by %q; want the blocked-prompt error", err, got)
					assert.Equal(t, llmrouter.KindContentPolicy, pe.Kind)
					assert.Equal(t, "prompt_blocked", pe.Code)
					assert.Zero(t, b.CallCount())
				})
			}
		}
	}
}
