package openai

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

// conformanceHandler plays scenario s as OpenAI's API would, after checking
// the request it gets.
func conformanceHandler(t *testing.T, s providertest.Scenario) http.HandlerFunc {
	usage := fmt.Sprintf(`{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}`,
		providertest.InputTokens, providertest.OutputTokens, providertest.InputTokens+providertest.OutputTokens)
	args, _ := json.Marshal(providertest.ToolArgs)
	argsA, _ := json.Marshal(providertest.ToolArgs[:10])
	argsB, _ := json.Marshal(providertest.ToolArgs[10:])
	chunk := func(delta, finish string) string {
		if finish == "" {
			finish = "null"
		} else {
			finish = strconv.Quote(finish)
		}
		return `data: {"id":"chatcmpl-c","object":"chat.completion.chunk","created":1,"model":"` + providertest.Model +
			`","choices":[{"index":0,"delta":` + delta + `,"logprobs":null,"finish_reason":` + finish + `}],"usage":null}` + "\n\n"
	}
	usageChunk := `data: {"id":"chatcmpl-c","object":"chat.completion.chunk","created":1,"model":"` + providertest.Model +
		`","choices":[],"usage":` + usage + "}\n\n"
	text := func(s string) string { b, _ := json.Marshal(s); return `{"content":` + string(b) + `}` }
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+providertest.APIKey {
			t.Errorf("Authorization = %q", got)
		}
		var body struct {
			Model    string            `json:"model"`
			Messages []json.RawMessage `json:"messages"`
			Stream   bool              `json:"stream"`
			Tools    []json.RawMessage `json:"tools"`
		}
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("request body %s: %v", raw, err)
		}
		if body.Model != providertest.Model || len(body.Messages) < 2 ||
			strings.Contains(string(raw), "foreign") || strings.Contains(string(raw), "never-sent") {
			t.Errorf("request body %s", raw)
		}
		switch s {
		case providertest.Text:
			serveJSON(200, `{"id":"chatcmpl-t","object":"chat.completion","created":1,"model":"`+providertest.Model+
				`","choices":[{"index":0,"message":{"role":"assistant","content":"`+providertest.AnswerText+
				`","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":`+usage+`}`)(w, r)
		case providertest.ToolCall:
			if len(body.Tools) != 1 {
				t.Errorf("tools not sent: %s", raw)
			}
			serveJSON(200, `{"id":"chatcmpl-t","object":"chat.completion","created":1,"model":"`+providertest.Model+
				`","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"`+providertest.ToolCallID+
				`","type":"function","function":{"name":"`+providertest.ToolName+`","arguments":`+string(args)+
				`}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":`+usage+`}`)(w, r)
		case providertest.StreamText:
			serveSSE(chunk(`{"role":"assistant","content":""}`, "")+
				chunk(text(providertest.AnswerText[:10]), "")+
				chunk(text(providertest.AnswerText[10:]), "")+
				chunk(`{}`, "stop")+usageChunk+"data: [DONE]\n\n", nil)(w, r)
		case providertest.StreamToolCall:
			serveSSE(chunk(`{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"`+providertest.ToolCallID+
				`","type":"function","function":{"name":"`+providertest.ToolName+`","arguments":""}}]}`, "")+
				chunk(`{"tool_calls":[{"index":0,"function":{"arguments":`+string(argsA)+`}}]}`, "")+
				chunk(`{"tool_calls":[{"index":0,"function":{"arguments":`+string(argsB)+`}}]}`, "")+
				chunk(`{}`, "tool_calls")+usageChunk+"data: [DONE]\n\n", nil)(w, r)
		case providertest.StreamCut:
			serveSSE(chunk(text(providertest.AnswerText[:10]), ""), cut)(w, r)
		case providertest.ServerError:
			serveJSON(500, `{"error":{"message":"The server had an error processing your request.","type":"server_error","param":null,"code":null}}`)(w, r)
		case providertest.RateLimited:
			serveJSON(429, `{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}`,
				"Retry-After", "2", "X-Ratelimit-Remaining-Requests", "0", "X-Ratelimit-Reset-Requests", "20s")(w, r)
		case providertest.AuthError:
			// A careless server echoing the whole key: the adapter must redact it.
			serveJSON(401, `{"error":{"message":"Incorrect API key provided: `+providertest.APIKey+
				`.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)(w, r)
		case providertest.BadRequest:
			serveJSON(400, string(readFixture(t, "error_invalid_param.json")))(w, r)
		case providertest.ContextLength:
			serveJSON(400, string(readFixture(t, "error_context_length.json")))(w, r)
		case providertest.Hang:
			hang(w, r)
		default:
			t.Errorf("unknown scenario %s", s)
		}
	}
}

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T, s providertest.Scenario) llmrouter.Provider {
		p, _ := newTestServer(t, conformanceHandler(t, s))
		return p
	})
}

// The OpenRouter dialect passes too: another provider's blocks (a Raw
// among them) never reach its reasoning_details.
func TestConformanceOpenRouter(t *testing.T) {
	providertest.Run(t, func(t *testing.T, s providertest.Scenario) llmrouter.Provider {
		p, _ := newTestServer(t, conformanceHandler(t, s), OpenRouter())
		return p
	})
}

func TestStreamReusesConnection(t *testing.T) {
	srv, conns := providertest.ServeLateEnd(t, conformanceHandler(t, providertest.StreamText))
	providertest.CheckConnReuse(t, New(WithAPIKey(providertest.APIKey), WithBaseURL(srv.URL+"/v1"), WithHTTPClient(srv.Client())), conns)
}

// embedConformanceHandler plays an embeddings scenario as OpenAI's
// /embeddings would.
func embedConformanceHandler(t *testing.T, s providertest.Scenario) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that the server sees the client go
		if r.URL.Path != "/v1/embeddings" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		switch s {
		case providertest.EmbedVectors:
			var data []string
			for i := len(providertest.EmbedOutput) - 1; i >= 0; i-- { // listed out of order
				v, _ := json.Marshal(providertest.EmbedOutput[i])
				data = append(data, `{"object":"embedding","index":`+strconv.Itoa(i)+`,"embedding":`+string(v)+`}`)
			}
			serveJSON(200, `{"object":"list","data":[`+strings.Join(data, ",")+`],"model":"`+providertest.Model+
				`","usage":{"prompt_tokens":`+strconv.Itoa(providertest.EmbedTokens)+`,"total_tokens":`+strconv.Itoa(providertest.EmbedTokens)+`}}`)(w, r)
		case providertest.ServerError:
			serveJSON(500, `{"error":{"message":"The server had an error.","type":"server_error","param":null,"code":null}}`)(w, r)
		case providertest.RateLimited:
			serveJSON(429, `{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`, "Retry-After", "2")(w, r)
		case providertest.AuthError:
			serveJSON(401, `{"error":{"message":"Incorrect API key provided: `+providertest.APIKey+`.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)(w, r)
		case providertest.Hang:
			hang(w, r)
		}
	}
}

func TestEmbedConformance(t *testing.T) {
	providertest.RunEmbed(t, func(t *testing.T, s providertest.Scenario) llmrouter.Provider {
		p, _ := newTestServer(t, embedConformanceHandler(t, s))
		return p
	})
}
