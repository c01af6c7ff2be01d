// Package openai is the llmrouter adapter for the OpenAI Chat Completions
// API (POST {base}/chat/completions) and the many servers that speak it:
// Azure OpenAI, OpenRouter, vLLM, Ollama, Groq, Together, Mistral, DeepSeek
// and the LiteLLM proxy.
//
//	p := openai.New(openai.WithAPIKey(os.Getenv("OPENAI_API_KEY")))
//	r, err := llmrouter.New(llmrouter.WithDeployments(
//		llmrouter.Deployment{Name: "gpt-4o-mini", Provider: p},
//	))
//
// The same Provider serves every deployment that names it; each deployment's
// Model (or Name) is the upstream model id. Other servers are one option away:
//
//	azure := openai.New(openai.WithAPIKey(key), openai.Azure("https://myres.openai.azure.com", "2024-10-21"))
//	router := openai.New(openai.WithAPIKey(key), openai.OpenRouter())
//	local := openai.New(openai.VLLM("http://gpu-box:8000/v1"))
//
// # What is sent
//
// Messages (system, developer, user text and images, assistant text and tool
// calls, tool results), tools and tool choice, the response format (JSON
// object or JSON schema), the output cap (max_completion_tokens, or
// max_tokens with WithMaxTokensField), temperature, top_p, stop, seed, and
// the request's User as "user". Streams ask for
// stream_options.include_usage so that usage arrives at the end.
//
// Developer messages keep the "developer" role only where the server knows
// it: OpenAI itself, AzureV1, and the Azure deployments API at api-versions
// dated 2024-12-01 or later (2024-12-01-preview was the first whose spec
// has the role; the default 2024-10-21 and every earlier version list
// system, user, assistant, tool and function only). Everywhere else (the
// other presets, WithDeveloperAsSystem, older Azure api-versions) they are
// sent as system messages.
//
// Per-deployment settings travel in Deployment.Extra: an
// OpenRouterPreferences becomes OpenRouter's "provider" routing object (its
// max_price caps as decimal strings, as OpenRouter's OpenAPI document types
// them), a LiteLLMMetadata becomes the LiteLLM proxy's "metadata" (with its
// tags).
//
// Request.Reasoning is sent as reasoning_effort (a budget without an effort
// is refused before sending: Chat Completions has no budget), as
// OpenRouter's reasoning object with the OpenRouter preset, and as
// DeepSeek's thinking switch plus its own effort scale with the DeepSeek
// preset. Request.CacheKey is sent as prompt_cache_key, except with the
// presets whose servers refuse unknown fields (Groq, Together, Mistral,
// DeepSeek, vLLM, Ollama); Part.Cache is not sent (OpenAI caches prefixes
// by itself). The entry of Request.Extra named by the provider's Name is
// merged into the body, last.
//
// # What is read
//
// Text, refusal, visible reasoning (reasoning_content or reasoning, as
// DeepSeek, vLLM and OpenRouter send it), tool calls, the finish reason,
// usage (OpenAI's cached and reasoning tokens are already part of its prompt
// and completion counts, as llmrouter.Usage wants them), the response id and
// model, OpenRouter's "provider" as Response.ServedBy, and the
// x-ratelimit-* headers as Response.RateLimit.
//
// Every failure is a *llmrouter.ProviderError: HTTP statuses and error
// bodies (OpenAI's {"error":{...}}, vLLM's older top-level shape, plain
// text) are classified once, with insufficient_quota as billing (fail over),
// context_length_exceeded as context length and content filters as content
// policy; Retry-After comes from retry-after-ms, retry-after or, on a 429,
// the x-ratelimit-reset-* headers.
//
// Error hygiene (shared by every adapter, through internal/wire): every
// credential the provider knows (the API key, credential-like WithHeader
// values, credentials in the base URL) is redacted from every error before
// its message is clipped to 1 KiB (wire.MaxMessage, ending "…[truncated]").
// Redirects are refused with a KindTransport, ClassFailover error naming
// only the target's host, since they would carry the credentials and the
// prompt elsewhere; WithSameHostRedirects lets redirects to the same scheme
// and host:port through. A client given with WithHTTPClient is copied, not
// modified.
//
// A Provider is safe for concurrent use; configure it with options at New
// and do not change it afterwards.
package openai
