package wire

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/llmrouter/llmrouter"
)

// Redacted replaces a credential in a message.
const Redacted = "[REDACTED]"

// minSecret is the shortest value Secrets treats as a credential; shorter
// ones would mangle messages without protecting anything.
const minSecret = 4

// minFragment is the shortest tail of a credential that Message removes
// from the end of a clipped message.
const minFragment = 8

// Secrets is every credential an adapter knows, however it was given: API
// key options, the values of credential-like headers (see
// IsCredentialName), credential-like query parameters of a base URL,
// signing keys. An adapter builds one in its constructor and passes every
// error it produces through Finish.
//
// The zero value (and a nil *Secrets) holds nothing and redacts nothing.
// The Add methods are for construction only; once built, a Secrets is
// read-only and safe for concurrent use. With derives a larger set (for
// credentials that arrive per call) without touching the original.
type Secrets struct {
	vals []string // longest first, no duplicates
}

// Add records credential values. Values shorter than 4 bytes are ignored.
// A value of 12 bytes or more is also recorded without its first third (a
// key shown without its prefix), and a value that URL-escaping changes is
// also recorded escaped.
func (s *Secrets) Add(vals ...string) {
	for _, v := range vals {
		if len(v) < minSecret {
			continue
		}
		s.vals = append(s.vals, v)
		if len(v) >= 12 {
			s.vals = append(s.vals, v[len(v)/3:])
		}
		if e := url.QueryEscape(v); e != v {
			s.vals = append(s.vals, e)
		}
	}
	// Longest first, so that a credential is redacted before a piece of it.
	slices.SortFunc(s.vals, func(a, b string) int {
		if c := cmp.Compare(len(b), len(a)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	s.vals = slices.Compact(s.vals)
}

// AddHeader records value when name is credential-like (IsCredentialName):
// the whole value, and the part after its last space (the token of
// "Bearer <token>").
func (s *Secrets) AddHeader(name, value string) {
	if !IsCredentialName(name) {
		return
	}
	s.Add(value)
	if i := strings.LastIndexByte(value, ' '); i >= 0 {
		s.Add(value[i+1:])
	}
}

// AddHeaders records the values of h's credential-like headers.
func (s *Secrets) AddHeaders(h http.Header) {
	for name, vs := range h {
		for _, v := range vs {
			s.AddHeader(name, v)
		}
	}
}

// AddURL records the password of raw's user info and the values of its
// credential-like query parameters ("key", "api-key", "sig",
// "X-Amz-Security-Token"...). An unparsable raw adds nothing.
func (s *Secrets) AddURL(raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	if pw, ok := u.User.Password(); ok {
		s.Add(pw)
	}
	for name, vs := range u.Query() {
		if IsCredentialName(name) || strings.EqualFold(name, "sig") {
			s.Add(vs...)
		}
	}
}

// With returns a new set holding s's credentials and vals; s is unchanged.
func (s *Secrets) With(vals ...string) *Secrets {
	n := &Secrets{}
	if s != nil {
		n.vals = append(n.vals, s.vals...)
	}
	n.Add(vals...)
	return n
}

// IsCredentialName reports whether a header or query parameter called name
// carries a credential: Authorization, Proxy-Authorization, Cookie, and any
// name containing "key", "token", "secret", "auth", "password",
// "signature", "credential" or "session" (x-api-key, api-key,
// x-goog-api-key, X-Amz-Security-Token), in any case.
func IsCredentialName(name string) bool {
	n := strings.ToLower(name)
	if n == "cookie" {
		return true
	}
	for _, w := range [...]string{"key", "token", "secret", "auth", "password", "signature", "credential", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// Redact replaces every credential in msg with [REDACTED].
func (s *Secrets) Redact(msg string) string {
	if s == nil {
		return msg
	}
	for _, v := range s.vals {
		if strings.Contains(msg, v) {
			msg = strings.ReplaceAll(msg, v, Redacted)
		}
	}
	return msg
}

// Message returns msg with every credential redacted, then bounded to
// MaxMessage bytes as Clip does; when it had to be cut, a trailing piece of
// 8 bytes or more of any credential left at the cut is removed as well.
// Redacting first means no credential straddles the cut.
func (s *Secrets) Message(msg string) string {
	msg = s.Redact(msg)
	if len(msg) <= MaxMessage {
		return msg
	}
	return s.trimFragment(clipHead(msg)) + Truncated
}

// trimFragment removes from the end of head the longest piece, of
// minFragment bytes or more, that occurs inside a credential.
func (s *Secrets) trimFragment(head string) string {
	if s == nil || len(head) < minFragment {
		return head
	}
	for _, v := range s.vals {
		if !strings.Contains(v, head[len(head)-minFragment:]) {
			continue // no fragment of v can end head
		}
		for i := max(0, len(head)-len(v)); i <= len(head)-minFragment; i++ {
			if strings.Contains(v, head[i:]) {
				head = head[:i]
				break
			}
		}
	}
	return head
}

// Finish makes pe fit to leave the adapter: its Message, Code and RequestID
// redacted and bounded (Message), and its Err replaced by a plain error
// with the redacted text when that text holds a credential. It returns pe.
func (s *Secrets) Finish(pe *llmrouter.ProviderError) *llmrouter.ProviderError {
	pe.Message = s.Message(pe.Message)
	pe.Code = s.Message(pe.Code)
	pe.RequestID = s.Message(pe.RequestID)
	if pe.Err != nil {
		if t := pe.Err.Error(); s.Redact(t) != t {
			pe.Err = errors.New(s.Message(t))
		}
	}
	return pe
}
