package wire

import (
	"time"

	"github.com/llmrouter/llmrouter"
)

// CacheTTL maps the TTL of a cache hint onto the two that Anthropic's
// cache_control and Bedrock's cachePoint offer: "" for the provider's
// default (a zero TTL), else the shortest of "5m" and "1h" that is at least
// the hint's TTL. ok is false for a TTL longer than an hour.
func CacheTTL(h *llmrouter.CacheHint) (ttl string, ok bool) {
	switch {
	case h.TTL == 0:
		return "", true
	case h.TTL <= 5*time.Minute:
		return "5m", true
	case h.TTL <= time.Hour:
		return "1h", true
	}
	return "", false
}
