package gemini

import (
	"context"
	"time"
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
