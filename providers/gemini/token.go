package gemini

import (
	"context"
	"net/http"
	"time"

	"github.com/llmrouter/llmrouter"
)

// WithTokenSource takes the credential from src instead of WithAPIKey:
// each request carries "Authorization: Bearer <token>" with src's current
// token, cached until a minute before the expiry src gives (a zero expiry
// is used for five minutes). For OAuth 2 access tokens, which Vertex AI
// requires and the Gemini API accepts in place of a key: wrap a
// golang.org/x/oauth2 TokenSource in a line (its Token's AccessToken and
// Expiry). With a token source no x-goog-api-key is sent, even when
// WithAPIKey gives one. A failing src fails the call with KindAuth before
// anything is sent. Tokens never appear in errors.
func WithTokenSource(src func(ctx context.Context) (token string, expires time.Time, err error)) Option {
	return func(p *Provider) { p.tokenSrc = src }
}

// authorize sets the bearer token of the token source, if there is one.
func (p *Provider) authorize(ctx context.Context, d *llmrouter.Deployment, h http.Header) *llmrouter.ProviderError {
	if p.tokens == nil {
		return nil
	}
	tok, err := p.tokens.Token(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return p.transportError(ctx, d, ctx.Err())
		}
		return p.fill(&llmrouter.ProviderError{Kind: llmrouter.KindAuth, Code: "credentials", Message: "token source: " + err.Error()}, d)
	}
	h["Authorization"] = []string{"Bearer " + tok}
	return nil
}
