package openai

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmrouter/llmrouter"
)

// The rate-limit headers OpenAI, Azure and Groq send, in canonical form
// (read straight from the map, without canonicalising per call).
const (
	hRemainingRequests = "X-Ratelimit-Remaining-Requests"
	hRemainingTokens   = "X-Ratelimit-Remaining-Tokens"
	hResetRequests     = "X-Ratelimit-Reset-Requests"
	hResetTokens       = "X-Ratelimit-Reset-Tokens"
)

// parseRateLimit reads the x-ratelimit-* headers, or returns nil when there
// are none (Ollama, vLLM).
func parseRateLimit(h http.Header) *llmrouter.RateLimit {
	_, a := h[hRemainingRequests]
	_, b := h[hRemainingTokens]
	_, c := h[hResetRequests]
	_, d := h[hResetTokens]
	if !a && !b && !c && !d {
		return nil
	}
	return &llmrouter.RateLimit{
		RemainingRequests: headerInt(h, hRemainingRequests),
		RemainingTokens:   headerInt(h, hRemainingTokens),
		ResetRequests:     headerDuration(h, hResetRequests),
		ResetTokens:       headerDuration(h, hResetTokens),
	}
}

// headerInt reads a count, or returns -1 when the header is absent, not a
// number or negative (Azure sends -1 for "no limit").
func headerInt(h http.Header, k string) int {
	v := h[k]
	if len(v) == 0 {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(v[0]))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// headerDuration reads a reset time: a Go-style duration as OpenAI sends it
// ("1s", "6m0s", "20ms", "2m59.56s") or plain seconds ("60", "0.5"); 0 when
// absent or unreadable.
func headerDuration(h http.Header, k string) time.Duration {
	v := h[k]
	if len(v) == 0 {
		return 0
	}
	s := strings.TrimSpace(v[0])
	if s == "" {
		return 0
	}
	if d, err := time.ParseDuration(s); err == nil {
		return max(d, 0)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e9 {
		return time.Duration(f * float64(time.Second))
	}
	return 0
}
