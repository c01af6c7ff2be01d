package gemini

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/providertest"
)

// Gemini's side of each conformance scenario, in its real wire format.
const (
	confUsage    = `"usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":7,"totalTokenCount":19}`
	confText     = `{"candidates":[{"content":{"parts":[{"text":"Hello from the conformance suite."}],"role":"model"},"finishReason":"STOP","index":0}],` + confUsage + `,"modelVersion":"conformance-model-001","responseId":"resp-conf"}`
	confToolCall = `{"candidates":[{"content":{"parts":[{"functionCall":{"id":"call_0001","name":"get_weather","args":{"city":"Paris","unit":"celsius"}}}],"role":"model"},"finishReason":"STOP","index":0}],` + confUsage + `,"modelVersion":"conformance-model-001","responseId":"resp-conf"}`
)

var confStreamText = []string{
	`{"candidates":[{"content":{"parts":[{"text":"Hello from"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":12,"totalTokenCount":12},"modelVersion":"conformance-model-001","responseId":"resp-conf"}`,
	`{"candidates":[{"content":{"parts":[{"text":" the conformance"}],"role":"model"},"index":0}],"modelVersion":"conformance-model-001","responseId":"resp-conf"}`,
	`{"candidates":[{"content":{"parts":[{"text":" suite."}],"role":"model"},"finishReason":"STOP","index":0}],` + confUsage + `,"modelVersion":"conformance-model-001","responseId":"resp-conf"}`,
}

var confStreamTool = []string{
	`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris","unit":"celsius"}}}],"role":"model"},"finishReason":"STOP","index":0}],` + confUsage + `,"modelVersion":"conformance-model-001","responseId":"resp-conf"}`,
}

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T, s providertest.Scenario) llmrouter.Provider {
		return newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
			stream, ok := checkCall(t, r, providertest.Model)
			if !ok {
				writeJSON(w, 404, readFixture(t, "error_not_found.json"))
				return
			}
			switch s {
			case providertest.Text, providertest.StreamText:
				if stream {
					writeSSE(w, "\r\n\r\n", confStreamText...)
				} else {
					writeJSON(w, 200, confText)
				}
			case providertest.ToolCall, providertest.StreamToolCall:
				if stream {
					writeSSE(w, "\n\n", confStreamTool...)
				} else {
					writeJSON(w, 200, confToolCall)
				}
			case providertest.StreamCut:
				cutConnection(t, w, "data: "+confStreamText[0]+"\r\n\r\ndata: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" the")
			case providertest.ServerError:
				writeJSON(w, 500, readFixture(t, "error_internal.json"))
			case providertest.RateLimited:
				writeJSON(w, 429, `{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2s"}]}}`)
			case providertest.AuthError:
				writeJSON(w, 400, readFixture(t, "error_api_key_invalid.json"))
			case providertest.BadRequest:
				writeJSON(w, 400, readFixture(t, "error_invalid_argument.json"))
			case providertest.ContextLength:
				writeJSON(w, 400, readFixture(t, "error_context_length.json"))
			case providertest.Hang:
				// Read the request first: the server notices the client
				// going away only once the body is consumed.
				_, _ = io.Copy(io.Discard, r.Body)
				<-r.Context().Done()
			}
		})
	})
}

// The stream reads its body to the end (Gemini's answer ends with it), so
// its connection is reused even when the end comes late.
func TestStreamReusesConnection(t *testing.T) {
	srv, conns := providertest.ServeLateEnd(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stream, ok := checkCall(t, r, providertest.Model); !ok || !stream {
			writeJSON(w, 404, readFixture(t, "error_not_found.json"))
			return
		}
		writeSSE(w, "\r\n\r\n", confStreamText...)
	}))
	providertest.CheckConnReuse(t, New(WithAPIKey(providertest.APIKey), WithBaseURL(srv.URL), WithHTTPClient(srv.Client())), conns)
}

func TestEmbedConformance(t *testing.T) {
	providertest.RunEmbed(t, func(t *testing.T, s providertest.Scenario) llmrouter.Provider {
		return newTestProvider(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // so that the server sees the client go
			if r.URL.Path != "/v1beta/models/"+providertest.Model+":batchEmbedContents" {
				t.Errorf("request %s %s", r.Method, r.URL.Path)
			}
			switch s {
			case providertest.EmbedVectors:
				var vecs []string
				for _, v := range providertest.EmbedOutput {
					b, _ := json.Marshal(v)
					vecs = append(vecs, `{"values":`+string(b)+`}`)
				}
				writeJSON(w, 200, `{"embeddings":[`+strings.Join(vecs, ",")+`]}`)
			case providertest.ServerError:
				writeJSON(w, 500, readFixture(t, "error_internal.json"))
			case providertest.RateLimited:
				writeJSON(w, 429, `{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2s"}]}}`)
			case providertest.AuthError:
				writeJSON(w, 400, readFixture(t, "error_api_key_invalid.json"))
			case providertest.Hang:
				<-r.Context().Done()
			}
		})
	})
}
