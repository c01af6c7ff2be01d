package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/anthropic"
	"github.com/llmrouter/llmrouter/providers/bedrock"
	"github.com/llmrouter/llmrouter/providers/gemini"
	"github.com/llmrouter/llmrouter/providers/openai"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestKeysNeverLeak routes through every adapter to servers that reject the
// key and echo it back in the error body, then looks for the key in the
// error, the lineage record and every span.
func TestKeysNeverLeak(t *testing.T) {
	const key = "sk-live-SECRET-0123456789abcdef"
	const secret = "aws-secret-SECRET-0123456789abcdef"
	const token = "aws-session-SECRET-0123456789abcdef"
	echo := func(status int, format string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var seen []string
			for name, vs := range r.Header {
				seen = append(seen, name+": "+strings.Join(vs, ","))
			}
			seen = append(seen, r.URL.String())
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, format, strings.ReplaceAll(strings.Join(seen, "; "), `"`, `'`))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	cases := []struct {
		name string
		p    llmrouter.Provider
	}{
		{"openai", openai.New(openai.WithAPIKey(key), openai.WithBaseURL(echo(401, `{"error":{"message":"Incorrect API key provided: %s","type":"invalid_request_error","code":"invalid_api_key"}}`).URL))},
		{"anthropic", anthropic.New(anthropic.WithAPIKey(key), anthropic.WithBaseURL(echo(401, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key %s"}}`).URL))},
		{"gemini", gemini.New(gemini.WithAPIKey(key), gemini.WithBaseURL(echo(400, `{"error":{"code":400,"message":"API key not valid. %s","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`).URL))},
		{"bedrock", bedrock.New(bedrock.WithStaticCredentials("AKIDEXAMPLE", secret, token), bedrock.WithRegion("eu-west-1"),
			bedrock.WithBaseURL(echo(403, `{"message":"The security token included in the request is invalid. %s"}`).URL))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			var lineage bytes.Buffer
			r, err := llmrouter.New(
				llmrouter.WithDeployments(llmrouter.Deployment{Name: "d", Provider: c.p, Model: "m", Region: "eu-west-1"}),
				llmrouter.WithLineage(llmrouter.NewJSONLSink(&lineage)),
				llmrouter.WithTracerProvider(tp),
			)
			require.NoError(t, err)
			for _, stream := range []bool{false, true} {
				req := &llmrouter.Request{Model: "d", Messages: []llmrouter.Message{llmrouter.User("hi")}}
				if stream {
					_, err = r.ChatStream(context.Background(), req)
				} else {
					_, err = r.Chat(context.Background(), req)
				}
				require.Error(t, err)
				var pe *llmrouter.ProviderError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, llmrouter.KindAuth, pe.Kind, "%v", err)
				var everything strings.Builder
				everything.WriteString(err.Error())
				fmt.Fprintf(&everything, "%+v %#v", pe, pe)
				everything.Write(lineage.Bytes())
				for _, s := range exp.GetSpans() {
					fmt.Fprintf(&everything, "%s %v %v", s.Name, s.Attributes, s.Status)
					for _, e := range s.Events {
						fmt.Fprintf(&everything, "%v %v", e.Name, e.Attributes)
					}
				}
				all := everything.String()
				for _, s := range []string{key, secret, token, "SECRET"} {
					assert.NotContains(t, all, s, "a secret leaked")
				}
			}
		})
	}
}
