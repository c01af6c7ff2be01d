package wire

import "github.com/llmrouter/llmrouter"

// CodePromptBlocked is the ProviderError.Code every adapter gives a prompt
// a provider's safety filter refused before answering: Azure's 400
// content_filter, OpenAI's content_policy_violation, Gemini's
// promptFeedback.blockReason with no candidates, a Bedrock guardrail that
// blocked the input. An answer filtered after generation is not an error:
// it stays a Response (or stream) with FinishContentFilter.
const CodePromptBlocked = "prompt_blocked"

// PromptBlocked returns the canonical blocked-prompt error: KindContentPolicy
// (ClassStop by default; Route.ContentFallback moves it to the next
// candidate), Code CodePromptBlocked, msg as the message. The caller fills
// Provider and Deployment and finishes it (Secrets.Finish).
func PromptBlocked(status int, msg string) *llmrouter.ProviderError {
	return &llmrouter.ProviderError{Kind: llmrouter.KindContentPolicy, Code: CodePromptBlocked, StatusCode: status, Message: msg}
}
