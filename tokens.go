package llmrouter

import "math"

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
// router-wide with WithTokenEstimates. (The router itself takes the same
// estimate from the pass that validates the request: see Request.scan.)
func EstimateInputTokens(req *Request) int {
	if req.recorded != nil {
		return req.recorded.inputTokens
	}
	n := 0
	for i := range req.Messages {
		m := &req.Messages[i]
		n = addTokens(n, tokensPerMessage)
		for j := range m.Content {
			n = addTokens(n, partTokens(&m.Content[j]))
		}
		for j := range m.ToolCalls {
			n = addTokens(n, toolCallTokens(&m.ToolCalls[j]))
		}
	}
	for i := range req.Tools {
		n = addTokens(n, toolTokens(&req.Tools[i]))
	}
	return n
}

// partTokens is the estimate of one content part.
func partTokens(p *Part) int {
	if p.Type == PartImage {
		return tokensPerImage
	}
	return textTokens(len(p.Text))
}

// textTokens is the estimate of n bytes of text (n ≥ 0): ceilDiv(n,
// bytesPerToken), in unsigned arithmetic, which cannot overflow there
// and needs no sign correction.
func textTokens(n int) int { return int((uint(n) + bytesPerToken - 1) / bytesPerToken) }

// toolCallTokens is the estimate of one tool call an assistant message made.
func toolCallTokens(c *ToolCall) int {
	return ceilDiv(addTokens(len(c.Name), len(c.Arguments)), bytesPerToken)
}

// toolTokens is the estimate of one tool the request offers.
func toolTokens(t *Tool) int {
	return ceilDiv(addTokens(addTokens(len(t.Name), len(t.Description)), len(t.Parameters)), bytesPerToken)
}

// addTokens returns a+b for b >= 0, saturating at math.MaxInt: satAddInt
// for the one sign token counts have, in two instructions. (It runs for
// every message part of every request: satAddInt there cost 33 more
// instructions per routed call.)
func addTokens(a, b int) int {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt
}

// estimateTokens returns the input tokens the router estimates for req and
// the output tokens it reserves: MaxOutputTokens, or the default output
// estimate without one.
func (r *generation) estimateTokens(req *Request) (input, output int) {
	return r.estimateScanned(req, nil)
}

// estimateScanned is estimateTokens given the request's scan, when the
// router has one: the default estimate is then the scan's, and the
// messages are not walked again. A custom estimate (TokenEstimates.Input)
// is always asked.
func (r *generation) estimateScanned(req *Request, s *requestScan) (input, output int) {
	output = req.MaxOutputTokens
	if output == 0 && req.embed == nil { // embeddings generate no tokens
		output = r.estimates.DefaultOutput
	}
	switch {
	case r.estimates.Input != nil:
		input = max(r.estimates.Input(req), 0) // a custom estimate may say anything
	case s != nil && req.recorded == nil:
		input = s.tokens
	default:
		input = EstimateInputTokens(req)
	}
	return input, output
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
