package openai

import (
	"context"
	"time"

	"github.com/llmrouter/llmrouter/internal/wire"
)

// WithTokenSource takes the credential from src instead of a static key:
// each request carries "Authorization: Bearer <token>" with src's current
// token, cached until a minute before the expiry src gives (a zero expiry
// is used for five minutes). For short-lived tokens such as Microsoft Entra
// ID tokens for Azure OpenAI (with Azure or AzureV1, and no WithAPIKey).
// A failing src fails the call with KindAuth before anything is sent.
// Tokens never appear in errors.
func WithTokenSource(src func(ctx context.Context) (token string, expires time.Time, err error)) Option {
	return func(p *Provider) { p.tokenSrc = src }
}

// sec is the set of credentials kept out of errors: the static ones, plus
// the token source's current and previous tokens.
func (p *Provider) sec() *wire.Secrets {
	if p.tokens != nil {
		return p.tokens.Secrets()
	}
	return &p.secrets
}
