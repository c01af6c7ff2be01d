// Package standin runs local HTTP servers that speak the OpenAI, Anthropic
// and Gemini wire formats, so that the examples run without keys or
// network. Each answers every call with one text, or fails every call with
// a status, and counts its calls.
package standin

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
)

// Server is a running stand-in.
type Server struct {
	*httptest.Server
	calls  atomic.Int64
	status atomic.Int64 // 0: answer; otherwise fail with this status
}

// Calls returns how many calls the server received.
func (s *Server) Calls() int64 { return s.calls.Load() }

// FailWith makes every later call fail with status (0: answer again).
func (s *Server) FailWith(status int) { s.status.Store(int64(status)) }

func start(handle func(w http.ResponseWriter, r *http.Request, body []byte, fail int)) *Server {
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.calls.Add(1)
		handle(w, r, body, int(s.status.Load()))
	}))
	return s
}

func jsonBody(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func streamed(body []byte) bool { return strings.Contains(string(body), `"stream":true`) }

// OpenAI starts a Chat Completions server answering text. A non-empty
// servedBy is reported in OpenRouter's "provider" field.
func OpenAI(text, servedBy string) *Server {
	return start(func(w http.ResponseWriter, r *http.Request, body []byte, fail int) {
		if fail != 0 {
			jsonBody(w, fail, map[string]any{"error": map[string]any{"message": http.StatusText(fail), "type": "server_error"}})
			return
		}
		var req struct {
			Model string `json:"model"`
		}
		_ = json.Unmarshal(body, &req)
		usage := map[string]int{"prompt_tokens": 12, "completion_tokens": len(text) / 4, "total_tokens": 12 + len(text)/4}
		if streamed(body) {
			w.Header().Set("Content-Type", "text/event-stream")
			for _, word := range strings.SplitAfter(text, " ") {
				b, _ := json.Marshal(map[string]any{"model": req.Model, "provider": servedBy, "choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": word}}}})
				fmt.Fprintf(w, "data: %s\n\n", b)
			}
			b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{}, "finish_reason": "stop"}}, "usage": usage})
			fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", b)
			return
		}
		out := map[string]any{"id": "chatcmpl-standin", "object": "chat.completion", "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}},
			"usage":   usage}
		if servedBy != "" {
			out["provider"] = servedBy
		}
		jsonBody(w, 200, out)
	})
}

// Anthropic starts a Messages API server answering text.
func Anthropic(text string) *Server {
	return start(func(w http.ResponseWriter, r *http.Request, body []byte, fail int) {
		if fail != 0 {
			jsonBody(w, fail, map[string]any{"type": "error", "error": map[string]any{"type": "api_error", "message": http.StatusText(fail)}})
			return
		}
		jsonBody(w, 200, map[string]any{"id": "msg_standin", "type": "message", "role": "assistant", "model": "claude",
			"content": []any{map[string]any{"type": "text", "text": text}}, "stop_reason": "end_turn",
			"usage": map[string]int{"input_tokens": 12, "output_tokens": len(text) / 4}})
	})
}

// Gemini starts a generateContent server answering text.
func Gemini(text string) *Server {
	return start(func(w http.ResponseWriter, r *http.Request, body []byte, fail int) {
		if fail != 0 {
			jsonBody(w, fail, map[string]any{"error": map[string]any{"code": fail, "message": http.StatusText(fail), "status": "INTERNAL"}})
			return
		}
		jsonBody(w, 200, map[string]any{
			"candidates":    []any{map[string]any{"content": map[string]any{"role": "model", "parts": []any{map[string]any{"text": text}}}, "finishReason": "STOP"}},
			"usageMetadata": map[string]int{"promptTokenCount": 12, "candidatesTokenCount": len(text) / 4, "totalTokenCount": 12 + len(text)/4},
		})
	})
}
