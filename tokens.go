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
// nothing. Replace it router-wide with WithTokenEstimates.
func EstimateInputTokens(req *Request) int {
	n := 0
	for i := range req.Messages {
		m := &req.Messages[i]
		n += tokensPerMessage
		for j := range m.Content {
			if m.Content[j].Type == PartImage {
				n += tokensPerImage
			} else {
				n += ceilDiv(len(m.Content[j].Text), bytesPerToken)
			}
		}
		for _, c := range m.ToolCalls {
			n += ceilDiv(len(c.Name)+len(c.Arguments), bytesPerToken)
		}
	}
	for _, t := range req.Tools {
		n += ceilDiv(len(t.Name)+len(t.Description)+len(t.Parameters), bytesPerToken)
	}
	return n
}

// estimateTextTokens estimates the tokens of n bytes of generated text.
func estimateTextTokens(n int) int { return ceilDiv(n, bytesPerToken) }

func ceilDiv(a, b int) int { return (a + b - 1) / b }
