package openai

import (
	"strconv"
	"time"

	"github.com/llmrouter/llmrouter"
)

// Settings is the per-deployment setting the adapter reads from
// Deployment.Extra (as Settings or *Settings), for what one deployment
// needs beyond the provider's options. OpenRouterPreferences and
// LiteLLMMetadata may also be given alone.
type Settings struct {
	// CacheBreakpoints sends Part.Cache as OpenAI's explicit prompt cache
	// breakpoint, "prompt_cache_breakpoint":{"mode":"explicit"} on that
	// content part (the message's content is then sent as an array of
	// parts). Only gpt-5.6 and later models take it (openai-go
	// chatcompletion.go, ChatCompletionContentPartTextParam and
	// ChatCompletionNewParamsPromptCacheOptions, 2026-08), so it is off by
	// default: Part.Cache is then dropped, OpenAI caching prefixes of 1024
	// tokens and more by itself. With it, OpenAI keeps its one implicit
	// breakpoint and writes the latest three explicit ones; more marks are
	// allowed (it looks at the latest 80). Breakpoints live for the
	// request's prompt_cache_options.ttl, 30 minutes, the only value the API
	// offers: a Part.Cache.TTL above 30m is refused before sending.
	CacheBreakpoints bool
	// OpenRouter, when not nil, is sent as the request's "provider" object
	// (see OpenRouterPreferences).
	OpenRouter *OpenRouterPreferences
	// LiteLLM, when not nil, is sent as the request's "metadata" object
	// (see LiteLLMMetadata).
	LiteLLM *LiteLLMMetadata
}

// breakpointTTL is how long an explicit OpenAI cache breakpoint lives: the
// only prompt_cache_options.ttl the API takes ("30m").
const breakpointTTL = 30 * time.Minute

// settingsOf returns the deployment's Settings, or nil.
func settingsOf(d *llmrouter.Deployment) *Settings {
	switch x := d.Extra.(type) {
	case Settings:
		return &x
	case *Settings:
		return x
	}
	return nil
}

// cacheBreakpoints reports whether d takes explicit cache breakpoints, and
// refuses a request whose breakpoints ask for a longer TTL than OpenAI
// offers.
func cacheBreakpoints(d *llmrouter.Deployment, req *llmrouter.Request) (bool, *llmrouter.ProviderError) {
	if s := settingsOf(d); s == nil || !s.CacheBreakpoints {
		return false, nil
	}
	for i := range req.Messages {
		for j, pt := range req.Messages[i].Content {
			if pt.Cache != nil && pt.Cache.TTL > breakpointTTL {
				return false, &llmrouter.ProviderError{Kind: llmrouter.KindBadRequest, Class: llmrouter.ClassFailover, Code: "unsupported_input",
					Message: "Messages[" + strconv.Itoa(i) + "].Content[" + strconv.Itoa(j) + "].Cache.TTL: " + pt.Cache.TTL.String() +
						" is longer than OpenAI's cache breakpoints live (30m)"}
			}
		}
	}
	return true, nil
}

// hasCacheHint reports whether a part of parts marks a cache breakpoint.
func hasCacheHint(parts []llmrouter.Part) bool {
	for i := range parts {
		if parts[i].Cache != nil {
			return true
		}
	}
	return false
}

// appendBreakpoint appends the explicit breakpoint of a part that has a
// cache hint, when breakpoints are sent.
func appendBreakpoint(dst []byte, pt *llmrouter.Part, breakpoints bool) []byte {
	if breakpoints && pt.Cache != nil {
		dst = append(dst, `,"prompt_cache_breakpoint":{"mode":"explicit"}`...)
	}
	return dst
}
