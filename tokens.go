package llmrouter

// Token estimation before a call: the router needs a number of input tokens
// to reserve quota and to check context windows before any provider has
// counted them. Afterwards quotas settle on the provider's reported usage,
// so the estimate only needs to be close, cheap, and the same everywhere.

// Per-item allowances of the default estimate.
const (
	tokensPerMessage = 4   // role and framing of each message
	tokensPerImage   = 765 // a high-detail 512px-tiled image, as OpenAI counts it
	bytesPerToken    = 4   // the usual rule of thumb for English text
)

// EstimateInputTokens estimates the input tokens of req without a tokenizer:
// a quarter of the text's bytes, plus a few tokens of framing per message and
// a fixed allowance per image. It does no per-byte work and allocates
// nothing. The sum saturates at math.MaxInt rather than overflow. Replace it
// router-wide with WithTokenEstimates.
func EstimateInputTokens(req *Request) int {
	if req.recorded != nil {
		return req.recorded.inputTokens
	}
	n := 0
	for i := range req.Messages {
		m := &req.Messages[i]
		n = satAddInt(n, tokensPerMessage)
		for j := range m.Content {
			if m.Content[j].Type == PartImage {
				n = satAddInt(n, tokensPerImage)
			} else {
				n = satAddInt(n, ceilDiv(len(m.Content[j].Text), bytesPerToken))
			}
		}
		for _, c := range m.ToolCalls {
			n = satAddInt(n, ceilDiv(satAddInt(len(c.Name), len(c.Arguments)), bytesPerToken))
		}
	}
	for _, t := range req.Tools {
		n = satAddInt(n, ceilDiv(satAddInt(satAddInt(len(t.Name), len(t.Description)), len(t.Parameters)), bytesPerToken))
	}
	return n
}

// estimateTokens returns the input tokens the router estimates for req and
// the output tokens it reserves: MaxOutputTokens, or the default output
// estimate without one.
func (r *generation) estimateTokens(req *Request) (input, output int) {
	output = req.MaxOutputTokens
	if output == 0 && req.embed == nil { // embeddings generate no tokens
		output = r.estimates.DefaultOutput
	}
	return max(r.estimates.Input(req), 0), output // a custom estimate may say anything
}

// estimateTextTokens estimates the tokens of n bytes of generated text.
func estimateTextTokens(n int) int { return ceilDiv(n, bytesPerToken) }

// ceilDiv returns a/b rounded up, for a >= 0 and b > 0, without
// overflowing near math.MaxInt.
func ceilDiv(a, b int) int {
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}
