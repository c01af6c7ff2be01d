package wire

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/llmrouter/llmrouter"
)

// TokenSource returns the current credential (an API key or a short-lived
// bearer token, such as a Microsoft Entra ID token) and when it expires; a
// zero expiry means it is cached for DefaultTokenTTL.
type TokenSource func(ctx context.Context) (token string, expires time.Time, err error)

// DefaultTokenTTL is how long a token whose source gave no expiry is used.
const DefaultTokenTTL = 5 * time.Minute

// tokenSlack is how long before its expiry a token is replaced.
const tokenSlack = time.Minute

// Tokens caches the token of a TokenSource until shortly before it expires,
// and keeps it, and the one before it, out of error messages: Secrets
// returns the base set plus both. It is safe for concurrent use; callers
// waiting for a refresh share one fetch.
type Tokens struct {
	src  TokenSource
	base *Secrets
	now  func() time.Time

	mu      sync.Mutex
	tok     string
	exp     time.Time
	secrets *Secrets
}

// NewTokens returns a cache of src's tokens over base's secrets; now is the
// clock (nil means time.Now).
func NewTokens(src TokenSource, base *Secrets, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{src: src, base: base, now: now, secrets: base}
}

// Token returns the cached token, fetching a new one when there is none or
// it expires within a minute. A failed fetch is returned as is, and the
// next call tries again.
func (t *Tokens) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.tok != "" && now.Add(tokenSlack).Before(t.exp) {
		return t.tok, nil
	}
	tok, exp, err := t.src(ctx)
	if err != nil {
		return "", err
	}
	if exp.IsZero() {
		exp = now.Add(DefaultTokenTTL + tokenSlack)
	}
	t.secrets = t.base.With(tok, t.tok) // the previous token may still be in flight
	t.tok, t.exp = tok, exp
	return tok, nil
}

// Authorize sets header name of h (in canonical form) to prefix and t's
// current token: "Authorization" with "Bearer " for a bearer token,
// "X-Api-Key" with "" for a rotating API key. A nil t (no token source)
// sets nothing. When no token can be had it returns the error to fail the
// call with before anything is sent: ctx's transport error (KindCanceled or
// KindTimeout) when ctx is done, else KindAuth with Code "credentials" and
// the source's message. The caller names the provider and deployment on it
// and keeps credentials out of it (Secrets.Finish).
func (t *Tokens) Authorize(ctx context.Context, h http.Header, name, prefix string) *llmrouter.ProviderError {
	if t == nil {
		return nil
	}
	tok, err := t.Token(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return TransportError(ctx, "", "", ctx.Err())
		}
		return &llmrouter.ProviderError{Kind: llmrouter.KindAuth, Code: "credentials", Message: "token source: " + err.Error()}
	}
	h[name] = []string{prefix + tok}
	return nil
}

// Secrets returns the base secrets plus the current and previous tokens.
func (t *Tokens) Secrets() *Secrets {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.secrets
}
