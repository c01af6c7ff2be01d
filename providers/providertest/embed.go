package providertest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
)

// EmbedVectors scenario: the upstream answers an embeddings request for
// EmbedInputs with EmbedVectors (one per input, in order, whatever order
// its wire format lists them in) and EmbedTokens input tokens.
const EmbedVectors Scenario = "embed_vectors"

// EmbedScenarios lists the scenarios RunEmbed plays; the upstream serves
// its embeddings endpoint for each, as it serves chat for Run's.
var EmbedScenarios = []Scenario{EmbedVectors, ServerError, RateLimited, AuthError, Hang}

// The embeddings values upstreams serve.
var (
	EmbedInputs = []string{"first input", "second input", "third input"}
	EmbedOutput = [][]float32{{0.25, -0.5}, {1, 0}, {-0.125, 0.75}}
)

// EmbedTokens is the input token count of the EmbedVectors answer; an
// upstream that reports none (the Gemini API) is allowed zero.
const EmbedTokens = 9

// EmbedRequest returns the embeddings request RunEmbed sends.
func EmbedRequest() *llmrouter.EmbedRequest {
	return &llmrouter.EmbedRequest{Model: "conformance", Inputs: append([]string(nil), EmbedInputs...), Dimensions: 2, Task: llmrouter.EmbedDocument}
}

// RunEmbed runs the embeddings scenarios against the providers newProvider
// builds, which must implement llmrouter.Embedder: vectors read back
// exactly and in order, usage, failures classified as for chat (with
// Retry-After), a prompt return when the context ends, no key in any error,
// no change to the request.
func RunEmbed(t *testing.T, newProvider NewProvider) {
	t.Helper()
	for _, s := range EmbedScenarios {
		t.Run("embed_"+string(s), func(t *testing.T) {
			p := newProvider(t, s)
			em, ok := p.(llmrouter.Embedder)
			if !ok {
				t.Fatalf("%T is not an llmrouter.Embedder", p)
			}
			req, before := EmbedRequest(), EmbedRequest()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if s == Hang {
				ctx, cancel = context.WithTimeout(context.Background(), 150*time.Millisecond)
				defer cancel()
			}
			start := time.Now()
			resp, err := em.Embed(ctx, Deployment(p), req)
			if !reflect.DeepEqual(req, before) {
				t.Errorf("Embed modified the request")
			}
			switch s {
			case EmbedVectors:
				if err != nil {
					t.Fatalf("Embed: %v", err)
				}
				if !reflect.DeepEqual(resp.Embeddings, EmbedOutput) {
					t.Errorf("Embeddings = %v; want %v", resp.Embeddings, EmbedOutput)
				}
				if u := resp.Usage.InputTokens; u != EmbedTokens && u != 0 {
					t.Errorf("Usage.InputTokens = %d; want %d (or 0 when the API reports none)", u, EmbedTokens)
				}
			case Hang:
				if time.Since(start) > 5*time.Second {
					t.Errorf("Embed returned %v after its context ended", time.Since(start))
				}
				var pe *llmrouter.ProviderError
				if !errors.As(err, &pe) || pe.Kind != llmrouter.KindTimeout && pe.Kind != llmrouter.KindCanceled {
					t.Errorf("Embed after its context ended: %v; want a *ProviderError of kind timeout or canceled", err)
				}
			default:
				want := map[Scenario]llmrouter.Kind{ServerError: llmrouter.KindServer, RateLimited: llmrouter.KindRateLimited, AuthError: llmrouter.KindAuth}[s]
				pe := checkProviderError(t, "Embed", err, want)
				if pe != nil && s == RateLimited && pe.RetryAfter != RetryAfter {
					t.Errorf("RetryAfter = %v; want %v", pe.RetryAfter, RetryAfter)
				}
			}
		})
	}
}
