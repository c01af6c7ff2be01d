package llmrouter

import "time"

// CacheHint marks a prompt cache breakpoint: the prompt up to and including
// the part that carries it is worth caching. Adapters map it to Anthropic
// cache_control on that block and to a Bedrock cachePoint after it; OpenAI
// and Gemini cache prefixes automatically and leave it out (see the
// README's request surface table).
type CacheHint struct {
	// TTL is how long the entry should live. Zero means the provider's
	// default (five minutes on Anthropic and Bedrock). Adapters send the
	// shortest TTL they offer that is at least TTL (Anthropic and Bedrock:
	// 5m or 1h) and refuse longer ones.
	TTL time.Duration
}
