package bedrock

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/llmrouter/llmrouter"
	pt "github.com/llmrouter/llmrouter/providers/providertest"
)

// conformanceServer plays scenario s as Bedrock Runtime would: Converse
// JSON on /converse, binary event stream on /converse-stream. It rejects
// requests that are not signed with creds (or, with creds empty, that do
// not carry the API key).
func conformanceServer(t *testing.T, s pt.Scenario, creds aws.Credentials) *httptest.Server {
	srv := httptest.NewServer(conformanceHandler(t, s, creds))
	t.Cleanup(srv.Close)
	return srv
}

// conformanceHandler is the handler of conformanceServer.
func conformanceHandler(t *testing.T, s pt.Scenario, creds aws.Credentials) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if creds.AccessKeyID != "" {
			if err := verifySigV4(r, body, creds, "test"); err != nil {
				t.Errorf("signature: %v", err)
				writeError(w, 403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")
				return
			}
		} else if r.Header.Get("Authorization") != "Bearer "+pt.APIKey {
			writeError(w, 403, "UnrecognizedClientException", "The security token included in the request is invalid.")
			return
		}
		stream := strings.HasSuffix(r.URL.Path, "/converse-stream")
		if want := "/model/" + pt.Model + "/converse"; r.URL.Path != want && r.URL.Path != want+"-stream" {
			t.Errorf("path = %q", r.URL.Path)
		}
		var req map[string]any
		if err := json.Unmarshal(body, &req); err != nil {
			t.Errorf("request body: %v", err)
		}
		if _, ok := req["model"]; ok {
			t.Errorf("request sends a model field")
		}

		switch s {
		case pt.Text, pt.StreamText, pt.StreamCut:
			if !stream {
				w.Header().Set("X-Amzn-Requestid", "req-text")
				_, _ = w.Write([]byte(`{"output":{"message":{"role":"assistant","content":[{"text":` + strconv.Quote(pt.AnswerText) +
					`}]}},"stopReason":"end_turn","usage":{"inputTokens":5,"outputTokens":7,"totalTokens":12,"cacheReadInputTokens":4,"cacheWriteInputTokens":3},"metrics":{"latencyMs":10}}`))
				return
			}
			half := len(pt.AnswerText) / 2
			msgs := []wireMessage{
				ev("messageStart", `{"role":"assistant"}`),
				ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":`+strconv.Quote(pt.AnswerText[:half])+`}}`),
				ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":`+strconv.Quote(pt.AnswerText[half:])+`}}`),
				ev("contentBlockStop", `{"contentBlockIndex":0}`),
				ev("messageStop", `{"stopReason":"end_turn"}`),
				ev("metadata", `{"usage":{"inputTokens":12,"outputTokens":7,"totalTokens":19},"metrics":{"latencyMs":10}}`),
			}
			if s == pt.StreamCut {
				writeStream(w, frames(t, msgs[:2]))
				panic(http.ErrAbortHandler) // drop the connection
			}
			writeStream(w, frames(t, msgs))
		case pt.ToolCall, pt.StreamToolCall:
			if !stream {
				_, _ = w.Write([]byte(`{"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"` + pt.ToolCallID +
					`","name":"` + pt.ToolName + `","input":` + pt.ToolArgs + `}}]}},"stopReason":"tool_use","usage":{"inputTokens":12,"outputTokens":7,"totalTokens":19}}`))
				return
			}
			writeStream(w, frames(t, []wireMessage{
				ev("messageStart", `{"role":"assistant"}`),
				ev("contentBlockStart", `{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"`+pt.ToolCallID+`","name":"`+pt.ToolName+`"}}}`),
				ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":`+strconv.Quote(pt.ToolArgs[:10])+`}}}`),
				ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":`+strconv.Quote(pt.ToolArgs[10:])+`}}}`),
				ev("contentBlockStop", `{"contentBlockIndex":0}`),
				ev("messageStop", `{"stopReason":"tool_use"}`),
				ev("metadata", `{"usage":{"inputTokens":2,"outputTokens":7,"totalTokens":9,"cacheReadInputTokens":10}}`),
			}))
		case pt.ServerError:
			writeError(w, 500, "InternalServerException:http://internal.amazon.com/coral/com.amazon.bedrock/", "The server encountered an internal error.")
		case pt.RateLimited:
			w.Header().Set("Retry-After", strconv.Itoa(int(pt.RetryAfter.Seconds())))
			writeError(w, 429, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", "Too many requests, please wait before trying again.")
		case pt.AuthError:
			writeError(w, 403, "UnrecognizedClientException", "The security token included in the request is invalid.")
		case pt.BadRequest:
			writeError(w, 400, "ValidationException", "The provided model identifier is invalid.")
		case pt.ContextLength:
			writeError(w, 400, "ValidationException", "Input is too long for requested model.")
		case pt.Hang:
			<-r.Context().Done()
		}
	}
}

func TestConformanceSigV4(t *testing.T) {
	// The suite's secret is the secret access key and the session token.
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: pt.APIKey, SessionToken: pt.APIKey + "-session"}
	pt.Run(t, func(t *testing.T, s pt.Scenario) llmrouter.Provider {
		srv := conformanceServer(t, s, creds)
		return New(WithBaseURL(srv.URL), WithHTTPClient(srv.Client()),
			WithStaticCredentials(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken))
	})
}

func TestConformanceAPIKey(t *testing.T) {
	pt.Run(t, func(t *testing.T, s pt.Scenario) llmrouter.Provider {
		srv := conformanceServer(t, s, aws.Credentials{})
		return New(WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithAPIKey(pt.APIKey))
	})
}

func TestStreamReusesConnection(t *testing.T) {
	srv, conns := pt.ServeLateEnd(t, conformanceHandler(t, pt.StreamText, aws.Credentials{}))
	pt.CheckConnReuse(t, New(WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithAPIKey(pt.APIKey)), conns)
}
