package anthropic_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/anthropic"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T, s providertest.Scenario) llmrouter.Provider {
		srv := httptest.NewServer(conformanceHandler(t, s))
		t.Cleanup(srv.Close)
		return anthropic.New(anthropic.WithAPIKey(providertest.APIKey), anthropic.WithBaseURL(srv.URL))
	})
}

func TestStreamReusesConnection(t *testing.T) {
	srv, conns := providertest.ServeLateEnd(t, conformanceHandler(t, providertest.StreamText))
	providertest.CheckConnReuse(t, anthropic.New(anthropic.WithAPIKey(providertest.APIKey), anthropic.WithBaseURL(srv.URL)), conns)
}

// conformanceHandler plays scenario s in the Messages API's wire format.
// Usage is reported split the Anthropic way (input_tokens without the
// cache reads and writes) so the suite's totals check the conversion.
func conformanceHandler(t *testing.T, s providertest.Scenario) http.HandlerFunc {
	const usage = `"usage":{"input_tokens":4,"cache_creation_input_tokens":3,"cache_read_input_tokens":5,"output_tokens":7}`
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Model     string `json:"model"`
			MaxTokens int    `json:"max_tokens"`
			System    string `json:"system"`
			Stream    bool   `json:"stream"`
		}
		raw, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/v1/messages" || r.Header.Get("X-Api-Key") != providertest.APIKey ||
			r.Header.Get("Anthropic-Version") != anthropic.DefaultVersion || json.Unmarshal(raw, &body) != nil ||
			body.Model != providertest.Model || body.MaxTokens != 64 || body.System != "You are terse." {
			t.Errorf("unexpected request %s %s: %s", r.URL.Path, r.Header, raw)
			http.Error(w, "bad test request", http.StatusTeapot)
			return
		}
		errorBody := func(status int, typ, msg string) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Request-Id", "req_conformance")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"type":"error","error":{"type":%q,"message":%q},"request_id":"req_conformance"}`, typ, msg)
		}
		switch s {
		case providertest.Text:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id":"msg_1","type":"message","role":"assistant","model":%q,"content":[{"type":"text","text":%q}],"stop_reason":"end_turn","stop_sequence":null,%s}`,
				providertest.Model, providertest.AnswerText, usage)
		case providertest.ToolCall:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id":"msg_2","type":"message","role":"assistant","model":%q,"content":[{"type":"text","text":"Let me check."},{"type":"tool_use","id":%q,"name":%q,"input":%s}],"stop_reason":"tool_use","stop_sequence":null,%s}`,
				providertest.Model, providertest.ToolCallID, providertest.ToolName, providertest.ToolArgs, usage)
		case providertest.StreamText, providertest.StreamToolCall, providertest.StreamCut:
			if !body.Stream {
				t.Errorf("stream scenario without stream:true")
			}
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Request-Id", "req_stream")
			send := func(event, data string) {
				fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
				w.(http.Flusher).Flush()
			}
			send("message_start", `{"type":"message_start","message":{"id":"msg_3","type":"message","role":"assistant","content":[],"model":"`+providertest.Model+`","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":4,"cache_creation_input_tokens":3,"cache_read_input_tokens":5,"output_tokens":1}}}`)
			if s == providertest.StreamToolCall {
				send("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"`+providertest.ToolCallID+`","name":"`+providertest.ToolName+`","input":{}}}`)
				half := len(providertest.ToolArgs) / 2
				for _, piece := range []string{"", providertest.ToolArgs[:half], providertest.ToolArgs[half:]} {
					b, _ := json.Marshal(piece)
					send("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":`+string(b)+`}}`)
				}
				send("content_block_stop", `{"type":"content_block_stop","index":0}`)
				send("message_delta", `{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":7}}`)
				send("message_stop", `{"type":"message_stop"}`)
				return
			}
			send("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
			send("ping", `{"type": "ping"}`)
			words := strings.SplitAfter(providertest.AnswerText, " ")
			for i, word := range words {
				b, _ := json.Marshal(word)
				send("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`+string(b)+`}}`)
				if s == providertest.StreamCut && i == 1 {
					cut(w)
					return
				}
			}
			send("content_block_stop", `{"type":"content_block_stop","index":0}`)
			send("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":7}}`)
			send("message_stop", `{"type":"message_stop"}`)
		case providertest.ServerError:
			errorBody(500, "api_error", "Internal server error")
		case providertest.RateLimited:
			w.Header().Set("Retry-After", "2")
			errorBody(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit")
		case providertest.AuthError:
			errorBody(401, "authentication_error", "invalid x-api-key")
		case providertest.BadRequest:
			errorBody(400, "invalid_request_error", "temperature: range: 0..1")
		case providertest.ContextLength:
			errorBody(400, "invalid_request_error", "prompt is too long: 203470 tokens > 200000 maximum")
		case providertest.Hang:
			<-r.Context().Done()
		}
	}
}

// cut drops the connection under a response without ending it properly.
func cut(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}
