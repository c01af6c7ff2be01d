package gemini

import "github.com/llmrouter/llmrouter"

// bareError decodes the lines of a stream that are not SSE fields (the
// reader keeps them in Event.Other). After its 200, Gemini sends a failure
// as a bare google.rpc.Status envelope, {"error":{...}}, without "data:",
// on one line or pretty-printed over several; Google's SDKs read such a
// chunk as an API error (go-genai's iterateResponseStream unmarshals a
// chunk without the data prefix into its APIError; python-genai joins the
// lines until the braces balance and raises APIError for {"error": ...}).
// It is classified as the same error in a response body would be, its code
// standing for the HTTP status. bareError returns nil for anything else,
// which the stream ignores as the SSE format says.
func (s *stream) bareError(other []byte) *llmrouter.ProviderError {
	w := parseError(other)
	if w == nil {
		return nil
	}
	return s.p.fill(errorFromWire(0, nil, w, other), s.d)
}
