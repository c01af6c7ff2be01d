package llmrouter

// Content-policy fallback (Route.ContentFallback): a request one provider's
// safety system refused is tried on the route's other candidates, each
// still checked by every policy, as LiteLLM's content_policy_fallbacks and
// OpenRouter do. Without it (the default), a refusal ends the request, as
// KindContentPolicy's default class says.
//
// Three events count as a refusal: a KindContentPolicy error (a prompt
// blocked), a whole answer that finished with FinishContentFilter, and a
// stream that finished with FinishContentFilter before any visible content.
// A stream whose refusal text was already delivered is not retried: its
// caller has seen it. A filtered answer is billed (its usage counts) and
// recorded as a failed attempt; when every candidate refuses, the request
// ends with ErrNoRoute and the refusals in its *RouteError.

// refusedAnswer returns the error that replaces a whole answer finished by
// a content filter when the route falls back on refusals, or nil to keep
// the answer.
func (c *call) refusedAnswer(d *deployment, fin FinishReason) *ProviderError {
	if fin != FinishContentFilter || !c.refusalMovesOn() {
		return nil
	}
	return &ProviderError{Provider: d.provider, Deployment: d.Name, Kind: KindContentPolicy, Class: ClassFailover,
		Message: "answer stopped by a content filter"}
}

// fallsBackOnRefusal reports whether a failed attempt was a refusal that
// the route passes to its next candidate; the refusing deployment is not
// called again for this request.
func (c *call) fallsBackOnRefusal(i int, pe *ProviderError) bool {
	if !c.rt.contentFallback || pe.Kind != KindContentPolicy {
		return false
	}
	c.tries[i] = spentTries
	return true
}
