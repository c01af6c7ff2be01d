package wire

import "github.com/llmrouter/llmrouter"

// CodePromptBlocked is llmrouter.CodePromptBlocked, for the adapters.
const CodePromptBlocked = llmrouter.CodePromptBlocked

// PromptBlocked returns the canonical blocked-prompt error: KindContentPolicy
// (ClassStop by default; Route.ContentFallback moves it to the next
// candidate), Code CodePromptBlocked, msg as the message. The caller fills
// Provider and Deployment and finishes it (Secrets.Finish).
func PromptBlocked(status int, msg string) *llmrouter.ProviderError {
	return &llmrouter.ProviderError{Kind: llmrouter.KindContentPolicy, Code: CodePromptBlocked, StatusCode: status, Message: msg}
}
