package openai

import (
	"errors"

	"github.com/llmrouter/llmrouter"
)

var errNoChoices = errors.New("response has no choices")

// decodeResponse reads a chat completion into out. When the body is an
// error object instead ({"error":...}, as OpenRouter may send with a 200),
// it returns the error's raw JSON (the whole body) for classification.
func decodeResponse(s *scanner, body []byte, out *llmrouter.Response) (errBody []byte, err error) {
	s.reset(body)
	if !s.object() {
		if s.err == nil {
			s.fail(errSyntax) // a null body
		}
		return nil, s.err
	}
	choices := 0
	var refusal bool
	for n := 0; ; {
		k, ok := s.key(&n)
		if !ok {
			break
		}
		switch string(k) {
		case "id":
			out.ID = s.string()
		case "model":
			out.Model = s.string()
		case "provider": // OpenRouter: the upstream that served the call
			out.ServedBy = s.string()
		case "choices":
			if !s.array() {
				continue
			}
			for m := 0; s.elem(&m); {
				if choices > 0 { // we ask for one; ignore any other
					s.skip()
					continue
				}
				choices++
				refusal = decodeChoice(s, out)
			}
		case "usage":
			decodeUsage(s, &out.Usage)
		case "error":
			if s.peek() == 'n' {
				s.skip()
				continue
			}
			if s.skip() != nil {
				errBody = body
			}
		case "object":
			if s.peek() == '"' {
				if v := s.str(); string(v) == "error" {
					errBody = body // vLLM's top-level error shape
				}
				continue
			}
			s.skip()
		default:
			s.skip()
		}
	}
	if err := s.end(); err != nil {
		return nil, err
	}
	if errBody != nil {
		return errBody, nil
	}
	if choices == 0 {
		return nil, errNoChoices
	}
	if refusal && (out.FinishReason == llmrouter.FinishStop || out.FinishReason == "") {
		out.FinishReason = llmrouter.FinishContentFilter
	}
	return nil, nil
}

// decodeChoice reads choices[0]; it reports whether the model refused.
func decodeChoice(s *scanner, out *llmrouter.Response) (refused bool) {
	if !s.object() {
		return false
	}
	for n := 0; ; {
		k, ok := s.key(&n)
		if !ok {
			break
		}
		switch string(k) {
		case "message":
			if !s.object() {
				continue
			}
			for m := 0; ; {
				k, ok := s.key(&m)
				if !ok {
					break
				}
				switch string(k) {
				case "content":
					out.Text = decodeContent(s)
				case "refusal":
					out.Refusal = s.string()
					refused = out.Refusal != ""
				case "reasoning_content", "reasoning":
					if s.peek() == '"' {
						if r := s.string(); r != "" {
							out.Reasoning = r
						}
						continue
					}
					s.skip()
				case "reasoning_details": // OpenRouter
					decodeDetails(s, out)
				case "tool_calls":
					out.ToolCalls = decodeToolCalls(s)
				default:
					s.skip()
				}
			}
		case "finish_reason":
			out.FinishReason = finishReason(s.str())
		default:
			s.skip()
		}
	}
	return refused
}

// decodeContent reads message content: a string, null, or an array of
// parts whose text parts are joined (as some compatible servers send).
func decodeContent(s *scanner) string {
	if s.peek() != '[' {
		return s.string()
	}
	s.array()
	var text []byte
	for n := 0; s.elem(&n); {
		if !s.object() {
			continue
		}
		var isText bool
		var t []byte
		for m := 0; ; {
			k, ok := s.key(&m)
			if !ok {
				break
			}
			switch string(k) {
			case "type":
				isText = string(s.str()) == "text"
			case "text":
				if s.peek() == '"' {
					t = append(t[:0], s.str()...)
					continue
				}
				s.skip()
			default:
				s.skip()
			}
		}
		if isText {
			text = append(text, t...)
		}
	}
	return string(text)
}

func decodeToolCalls(s *scanner) []llmrouter.ToolCall {
	if !s.array() {
		return nil
	}
	var calls []llmrouter.ToolCall
	for n := 0; s.elem(&n); {
		if !s.object() {
			continue
		}
		var c llmrouter.ToolCall
		for m := 0; ; {
			k, ok := s.key(&m)
			if !ok {
				break
			}
			switch string(k) {
			case "id":
				c.ID = s.string()
			case "function":
				if !s.object() {
					continue
				}
				for f := 0; ; {
					k, ok := s.key(&f)
					if !ok {
						break
					}
					switch string(k) {
					case "name":
						c.Name = s.string()
					case "arguments":
						c.Arguments = arguments(s)
					default:
						s.skip()
					}
				}
			default:
				s.skip()
			}
		}
		if calls == nil {
			calls = make([]llmrouter.ToolCall, 0, 1)
		}
		calls = append(calls, c)
	}
	return calls
}

// arguments reads a tool call's arguments: a JSON string, or an object some
// servers send instead (kept as its JSON text).
func arguments(s *scanner) string {
	switch s.peek() {
	case '{', '[':
		return string(s.skip())
	}
	return s.string()
}

// decodeUsage reads a usage object. OpenAI's counts already follow
// llmrouter's convention: prompt_tokens includes cached (and cache-write)
// tokens, completion_tokens includes reasoning tokens.
func decodeUsage(s *scanner, u *llmrouter.Usage) bool {
	if !s.object() {
		return false
	}
	var cacheHit int
	for n := 0; ; {
		k, ok := s.key(&n)
		if !ok {
			break
		}
		switch string(k) {
		case "prompt_tokens":
			u.InputTokens = s.int()
		case "completion_tokens":
			u.OutputTokens = s.int()
		case "prompt_cache_hit_tokens": // DeepSeek: part of prompt_tokens
			cacheHit = s.int()
		case "prompt_tokens_details":
			if !s.object() {
				continue
			}
			for m := 0; ; {
				k, ok := s.key(&m)
				if !ok {
					break
				}
				switch string(k) {
				case "cached_tokens":
					u.CachedInputTokens = s.int()
				case "cache_write_tokens":
					u.CacheWriteTokens = s.int()
				default:
					s.skip()
				}
			}
		case "completion_tokens_details":
			if !s.object() {
				continue
			}
			for m := 0; ; {
				k, ok := s.key(&m)
				if !ok {
					break
				}
				if string(k) == "reasoning_tokens" {
					u.ReasoningTokens = s.int()
					continue
				}
				s.skip()
			}
		default:
			s.skip()
		}
	}
	if u.CachedInputTokens == 0 {
		u.CachedInputTokens = cacheHit
	}
	return true
}

// finishReason normalises a finish_reason.
func finishReason(v []byte) llmrouter.FinishReason {
	switch string(v) {
	case "":
		return ""
	case "stop", "eos", "end_turn", "stop_sequence":
		return llmrouter.FinishStop
	case "length", "max_tokens", "model_length":
		return llmrouter.FinishLength
	case "tool_calls", "function_call", "tool_use":
		return llmrouter.FinishToolCalls
	case "content_filter":
		return llmrouter.FinishContentFilter
	}
	return llmrouter.FinishOther
}
