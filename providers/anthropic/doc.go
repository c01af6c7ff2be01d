// Package anthropic is the llmrouter adapter for the Anthropic Messages API
// (POST {base}/v1/messages), over plain net/http.
//
//	p := anthropic.New(anthropic.WithAPIKey(os.Getenv("ANTHROPIC_API_KEY")))
//	r, err := llmrouter.New(llmrouter.WithDeployments(llmrouter.Deployment{
//		Name: "claude", Provider: p, Model: "claude-sonnet-4-5",
//		MaxOutputTokens: 8192,
//	}))
//
// # Requests
//
// System and developer messages, wherever they appear, become the top-level
// system prompt (a string, or text blocks when there are several). The
// Messages API wants user and assistant turns to alternate, so consecutive
// messages of the same wire role are merged into one; tool results become
// tool_result blocks of a user turn, placed before any text of that turn.
// Images are sent as base64 sources (inline data and data: URLs) or url
// sources (http and https URLs, which Anthropic fetches). An image URL of
// another scheme (s3://, gs://) is refused before anything is sent, with a
// KindBadRequest error of ClassFailover naming the message and part: a
// provider that reads that scheme may take the request.
//
// max_tokens is required by the API: it is Request.MaxOutputTokens, else the
// deployment's MaxOutputTokens, else the provider default (4096, see
// WithDefaultMaxTokens).
//
// JSON output: a json_schema response format is sent as
// output_config.format (Anthropic's structured outputs, always strict). The
// API has no "any JSON object" mode, so a plain JSON response format adds an
// instruction to the system prompt asking for a single JSON object only; the
// answer is then not guaranteed to be JSON. Settings.JSONSchemaInSystem does
// the same for json_schema, for models without structured outputs.
//
// Temperature and TopP are sent as temperature and top_p, as given: the API
// takes temperature in [0, 1], and some recent models refuse temperature
// and top_p together (a bad request). Stop is sent as stop_sequences
// without its whitespace-only entries ("\n", " "), which the API refuses
// with a 400 ("each stop sequence must contain non-whitespace"); when none
// is left, stop_sequences is omitted.
// Request.Seed is not sent: the API has no seed. Request.User is sent as
// metadata.user_id (Anthropic asks for an opaque id, not personal data).
// Request.Reasoning asks for adaptive thinking with output_config.effort
// (minimal sent as low), thinking disabled for EffortNone, or thinking
// enabled with budget_tokens for a budget alone or under
// Settings.ManualThinking (at least 1024 and below max_tokens, else refused
// before sending). Thinking and redacted_thinking blocks come back as
// Response.ReasoningBlocks (streamed: thinking_delta as Chunk.Reasoning,
// the signed block at content_block_stop) and are replayed unchanged, first
// in their assistant turn; blocks another provider issued are left out.
// Part.Cache becomes cache_control on that block (system, user, assistant
// text, tool_result), its TTL rounded up to 5m or 1h; longer TTLs and more
// than four breakpoints are refused. Request.CacheKey is not sent; an entry
// "anthropic" in Request.Extra is merged into the body.
//
// Per-deployment settings (extra anthropic-beta values, top_k, JSON
// schemas through the system prompt) are given as Deployment.Extra, a
// Settings value.
//
// # Responses
//
// Text blocks make Response.Text, tool_use blocks Response.ToolCalls (their
// input as JSON text), thinking blocks Response.Reasoning. stop_reason maps
// to a FinishReason: end_turn and stop_sequence to stop; max_tokens and
// model_context_window_exceeded to length; tool_use to tool_calls; refusal
// to content_filter (with Response.Refusal set); anything else to other.
// Anthropic has no blocked-prompt event: its refusal stops an answer that
// was being generated (billed up to the refusal), so it stays an answer
// with FinishContentFilter rather than the "prompt_blocked" error other
// adapters report; Route.ContentFallback treats both as refusals.
// Anthropic counts cache reads and writes apart from input_tokens, so
// Usage.InputTokens is input_tokens + cache_creation_input_tokens +
// cache_read_input_tokens, with CachedInputTokens and CacheWriteTokens the
// two cache parts. The anthropic-ratelimit-* headers fill Response.RateLimit.
//
// # Errors
//
// Every failure is a *llmrouter.ProviderError classified from the HTTP
// status and the error body's type (see the package's errors.go for the
// table), with the request-id header as RequestID and retry-after as
// RetryAfter.
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
// # Concurrency
//
// A Provider is safe for concurrent use once built. A stream is not: read it
// from one goroutine, and cancel its context to stop it from another.
package anthropic
