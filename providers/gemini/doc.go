// Package gemini is the llmrouter adapter for the Google Gemini Developer
// API (generativelanguage.googleapis.com, v1beta): generateContent for whole
// answers and streamGenerateContent?alt=sse for streams.
//
//	p := gemini.New(gemini.WithAPIKey(os.Getenv("GEMINI_API_KEY")))
//	r, err := llmrouter.New(llmrouter.WithDeployments(
//		llmrouter.Deployment{Name: "flash", Provider: p, Model: "gemini-2.5-flash"},
//	))
//
// The key is sent only in the x-goog-api-key header, never in the URL. A
// Provider is safe for concurrent use and holds no per-call state; its
// options are fixed by New. Per-deployment settings (safety settings,
// thinking, cached content) go in Deployment.Extra as an Extra or *Extra.
// Request.Reasoning overrides the deployment's thinking: a thinkingLevel
// for an effort on Gemini 3 and later, a thinkingBudget on Gemini 2.5 (see
// thinkingConfig), with includeThoughts when reasoning is asked for.
// Part.Cache and Request.CacheKey are not sent (Gemini caches prefixes
// implicitly); an entry "gcp.gemini" in Request.Extra is merged into the
// body.
//
// # Mapping
//
// System and developer messages, wherever they appear, become the
// systemInstruction; assistant turns become role "model"; tool results
// become functionResponse parts of a user turn, named after the tool call
// they answer (consecutive results share one turn, as Gemini requires for
// parallel calls); a tool result that is not a JSON object is sent as
// {"content": ...}. Images given by http or https URL are sent as fileData
// (Gemini fetches public and signed URLs itself, and Files API URIs are
// https), inline bytes and data: URLs as inlineData. An image URL of another
// scheme (s3://, or gs:// not registered with the Files API) is refused
// before anything is sent, with a KindBadRequest error of ClassFailover
// naming the message and part: a provider that reads that scheme may take
// the request. Tool parameters and JSON response schemas are passed
// through as JSON Schema (parametersJsonSchema, responseJsonSchema). With
// WithOpenAPISchemas they are converted to the older OpenAPI-subset fields
// (parameters, responseSchema) instead, and a schema the subset cannot
// express fails over, before sending, with a *SchemaError naming the
// keyword and its path.
//
// Gemini gives function calls no id on most models: the adapter names them
// "call_0", "call_1", ... in answer order (stable for a given answer), and
// uses Gemini's id when it sends one. Parts marked thought:true are the
// Reasoning. usageMetadata is normalised: InputTokens is promptTokenCount
// (cached tokens included) plus toolUsePromptTokenCount, OutputTokens is
// candidatesTokenCount plus thoughtsTokenCount.
//
// A prompt blocked by Gemini's safety system (promptFeedback.blockReason,
// no candidates) is the blocked-prompt error every adapter reports: a
// *llmrouter.ProviderError of KindContentPolicy with Code "prompt_blocked"
// and the block reason (or blockReasonMessage) in Message, from Chat and
// from a stream alike (before any chunk). An answer cut by a safety finish
// reason (SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII,
// IMAGE_SAFETY...) is an answer: FinishContentFilter, the reason in
// Refusal.
//
// Gemini announces no rate-limit headroom headers, so Response.RateLimit is
// nil; on 429 the RetryInfo.retryDelay of the error body gives RetryAfter.
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
// Thought signatures: Gemini 3 models reject a replayed functionCall part
// that lacks the thoughtSignature they issued with it. The adapter reads
// each call's signature into ToolCall.Signature (ToolCallDelta.Signature
// in streams) and sends it back with the call; keep it with the call in
// your conversation history. A call without one (made by another provider,
// say) gets Google's documented placeholder on the first functionCall part
// of its turn, for models other than gemini-1.x and gemini-2.x (see
// WithThoughtSignatureFallback).
package gemini
