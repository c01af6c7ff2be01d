package llmrouter

import "strings"

// Collect reads s to its end, closes it, and assembles its chunks into the
// Response Chat would have given: text, reasoning (and its blocks), refusal,
// tool calls (each call's deltas joined by Index, in order of first
// appearance), finish reason, usage, ServedBy and RateLimit. For the
// router's *Stream it also fills the routing fields (RequestID, Deployment,
// Provider, Cost, ReasoningDropped) and takes the usage the router settled.
//
// When the stream fails, Collect returns what arrived before the failure
// together with the stream's error (a *StreamError for the router's
// streams): the partial answer is not a complete one.
func Collect(s ChunkStream) (*Response, error) {
	var (
		resp  Response
		text  strings.Builder
		think strings.Builder
		ref   strings.Builder
		calls []ToolCall
		index []int // the delta Index of each call in calls
	)
	for s.Next() {
		c := s.Current()
		text.WriteString(c.Text)
		think.WriteString(c.Reasoning)
		ref.WriteString(c.Refusal)
		for _, d := range c.ToolCalls {
			k := -1
			for j, idx := range index {
				if idx == d.Index {
					k = j
					break
				}
			}
			if k < 0 {
				calls = append(calls, ToolCall{})
				index = append(index, d.Index)
				k = len(calls) - 1
			}
			tc := &calls[k]
			if d.ID != "" {
				tc.ID = d.ID
			}
			if d.Name != "" {
				tc.Name = d.Name
			}
			if d.Signature != "" {
				tc.Signature = d.Signature
			}
			tc.Arguments += d.Arguments
		}
		if c.ReasoningBlock != nil {
			resp.ReasoningBlocks = append(resp.ReasoningBlocks, *c.ReasoningBlock)
		}
		if c.FinishReason != "" {
			resp.FinishReason = c.FinishReason
		}
		if c.Usage != nil {
			resp.Usage = *c.Usage
		}
		if c.ServedBy != "" && resp.ServedBy == "" {
			resp.ServedBy = c.ServedBy
		}
		if c.RateLimit != nil {
			resp.RateLimit = c.RateLimit
		}
	}
	err := s.Err()
	_ = s.Close()
	resp.Text, resp.Reasoning, resp.Refusal, resp.ToolCalls = text.String(), think.String(), ref.String(), calls
	if h, ok := s.(*Stream); ok {
		resp.RequestID, resp.Deployment, resp.Cost = h.RequestID(), h.Deployment(), h.Cost()
		resp.Usage, resp.ReasoningDropped = h.Usage(), h.st.dropped
		if resp.ServedBy == "" {
			resp.ServedBy = h.st.servedBy
		}
		if d := h.st.d; d != nil {
			resp.Provider = d.provider
		}
	}
	return &resp, err
}

// Message returns the assistant message that records the answer in a
// conversation, ready to append to Request.Messages for the next turn of a
// tool loop: its text, its tool calls (with their signatures) and its
// reasoning blocks, which the provider that issued them wants back
// unchanged. The visible Reasoning text is not part of it.
func (r *Response) Message() Message {
	m := Message{Role: RoleAssistant}
	if r.Text != "" {
		m.Content = []Part{TextPart(r.Text)}
	}
	if len(r.ToolCalls) > 0 {
		m.ToolCalls = append([]ToolCall(nil), r.ToolCalls...)
	}
	if len(r.ReasoningBlocks) > 0 {
		m.Reasoning = append([]ReasoningBlock(nil), r.ReasoningBlocks...)
	}
	return m
}
