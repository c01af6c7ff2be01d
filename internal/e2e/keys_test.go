package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/internal/wire"
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

// adapterCase is one adapter under test.
type adapterCase struct {
	name string
	p    llmrouter.Provider
}

// redirectCredentials are the credentials every adapter of newAdapters is
// given; none may reach another host.
var redirectCredentials = []string{"sk-live-REDIRECT-0123456789abcdef", "AKIDREDIRECT01", "aws-secret-REDIRECT-0123456789", "aws-session-REDIRECT-0123456789"}

// newAdapters builds one provider of each HTTP adapter (and the Azure
// preset of the OpenAI one) calling baseURL with redirectCredentials, with
// client when not nil, and allowing same-host redirects when sameHost.
func newAdapters(baseURL string, client *http.Client, sameHost bool) []adapterCase {
	key, id, secret, token := redirectCredentials[0], redirectCredentials[1], redirectCredentials[2], redirectCredentials[3]
	oa := []openai.Option{openai.WithAPIKey(key), openai.WithBaseURL(baseURL)}
	az := []openai.Option{openai.Azure(baseURL, ""), openai.WithAPIKey(key)}
	an := []anthropic.Option{anthropic.WithAPIKey(key), anthropic.WithBaseURL(baseURL)}
	ge := []gemini.Option{gemini.WithAPIKey(key), gemini.WithBaseURL(baseURL)}
	be := []bedrock.Option{bedrock.WithStaticCredentials(id, secret, token), bedrock.WithRegion("eu-west-1"), bedrock.WithBaseURL(baseURL)}
	if client != nil {
		oa, az = append(oa, openai.WithHTTPClient(client)), append(az, openai.WithHTTPClient(client))
		an, ge, be = append(an, anthropic.WithHTTPClient(client)), append(ge, gemini.WithHTTPClient(client)), append(be, bedrock.WithHTTPClient(client))
	}
	if sameHost {
		oa, az = append(oa, openai.WithSameHostRedirects()), append(az, openai.WithSameHostRedirects())
		an, ge, be = append(an, anthropic.WithSameHostRedirects()), append(ge, gemini.WithSameHostRedirects()), append(be, bedrock.WithSameHostRedirects())
	}
	return []adapterCase{
		{"openai", openai.New(oa...)},
		{"azure", openai.New(az...)},
		{"anthropic", anthropic.New(an...)},
		{"gemini", gemini.New(ge...)},
		{"bedrock", bedrock.New(be...)},
	}
}

// recorder is an httptest server that counts the requests it receives and
// keeps what they carried.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newRecorder(t *testing.T, h http.HandlerFunc) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.seen = append(r.seen, fmt.Sprintf("%s %s %v %s", req.Method, req.URL, req.Header, body))
		r.mu.Unlock()
		if h != nil {
			h(w, req)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

// TestRedirectsNeverCarryKeys sends every adapter to a server that answers
// 307 towards a second server on another host (localhost instead of
// 127.0.0.1, another port): the second server must receive nothing — no
// key, no signed header, no prompt — and the error must name its host but
// not the redirect URL's path or query. It holds with the default client
// and with a caller's own *http.Client, which must not be modified.
func TestRedirectsNeverCarryKeys(t *testing.T) {
	other := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	otherURL, err := url.Parse(other.URL)
	require.NoError(t, err)
	otherHost := "localhost:" + otherURL.Port()
	target := "http://" + otherHost + "/collect/PATHSECRET?sig=QUERYSECRET"
	first := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
	})

	// The setup is sound: a client that follows redirects does reach the
	// other server.
	resp, err := http.Post(first.URL+"/x", "application/json", strings.NewReader(`{"prompt":"hi"}`))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Len(t, other.requests(), 1, "the control request should have been redirected")
	other.mu.Lock()
	other.seen = nil
	other.mu.Unlock()

	own := &http.Client{Timeout: time.Minute}
	tried := 0
	for _, withClient := range []bool{false, true} {
		var client *http.Client
		if withClient {
			client = own
		}
		for _, c := range newAdapters(first.URL, client, true) {
			t.Run(fmt.Sprintf("%s/ownClient=%v", c.name, withClient), func(t *testing.T) {
				for _, stream := range []bool{false, true} {
					err := callOnce(c.p, stream)
					tried++
					require.Empty(t, other.requests(), "the other host received a request (stream=%v)", stream)
					require.Error(t, err)
					var pe *llmrouter.ProviderError
					require.ErrorAs(t, err, &pe)
					var re *wire.RedirectError
					require.ErrorAs(t, err, &re, "%v", err)
					assert.Equal(t, otherHost, re.Host)
					assert.Equal(t, llmrouter.KindTransport, pe.Kind)
					assert.Equal(t, llmrouter.ClassFailover, pe.EffectiveClass())
					text := fmt.Sprintf("%v %+v", err, pe)
					assert.Contains(t, text, otherHost)
					for _, s := range []string{"PATHSECRET", "QUERYSECRET", "/collect"} {
						assert.NotContains(t, text, s)
					}
				}
			})
		}
	}
	assert.Nil(t, own.CheckRedirect, "the caller's client was modified")
	assert.NotEmpty(t, first.requests())
	fmt.Printf("redirects: calls=%d (5 adapters, own and caller's client, chat and stream) requests_off_host=%d\n", tried, len(other.requests()))
}

// TestSameHostRedirects: with WithSameHostRedirects an adapter follows a
// redirect to its own host:port; without it, it refuses even that one.
func TestSameHostRedirects(t *testing.T) {
	var srv *recorder
	srv = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/moved") {
			http.Redirect(w, r, srv.URL+"/moved"+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, `{"message":"moved here"}`)
	})
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, sameHost := range []bool{false, true} {
		for _, c := range newAdapters(srv.URL, nil, sameHost) {
			t.Run(fmt.Sprintf("%s/sameHost=%v", c.name, sameHost), func(t *testing.T) {
				err := callOnce(c.p, false)
				require.Error(t, err)
				var re *wire.RedirectError
				if sameHost {
					assert.False(t, errors.As(err, &re), "same-host redirect refused: %v", err)
					var pe *llmrouter.ProviderError
					require.ErrorAs(t, err, &pe)
					assert.Equal(t, http.StatusTeapot, pe.StatusCode, "%v", err)
				} else {
					require.ErrorAs(t, err, &re, "%v", err)
					assert.Equal(t, host, re.Host)
					assert.True(t, re.SameHost)
				}
			})
		}
	}
}

// callOnce makes one Chat or Stream call (draining the stream) and returns
// its error.
func callOnce(p llmrouter.Provider, stream bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := &llmrouter.Deployment{Name: "d", Provider: p, Model: "m", Region: "eu-west-1"}
	req := &llmrouter.Request{Messages: []llmrouter.Message{llmrouter.User("the prompt")}}
	if !stream {
		_, err := p.Chat(ctx, d, req)
		return err
	}
	s, err := p.Stream(ctx, d, req)
	if err != nil {
		return err
	}
	defer s.Close()
	for s.Next() {
	}
	return s.Err()
}

// TestHeaderCredentialsNeverLeak gives every adapter with a WithHeader
// option credentials through it (an Authorization bearer token and a
// custom token header) and sends it to a server that echoes every request
// header into its error, as JSON and as plain text: neither credential may
// appear in the error.
func TestHeaderCredentialsNeverLeak(t *testing.T) {
	const bearer = "entra-BEARER-0123456789abcdef"
	const custom = "custom-TOKEN-0123456789abcdef"
	echo := func(t *testing.T, plain bool) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var seen []string
			for name, vs := range r.Header {
				seen = append(seen, name+": "+strings.Join(vs, ","))
			}
			msg := strings.ReplaceAll(strings.Join(seen, "; "), `"`, `'`)
			if plain {
				w.WriteHeader(http.StatusBadGateway)
				_, _ = io.WriteString(w, "proxy says: "+msg)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"type":"error","error":{"type":"authentication_error","message":"bad %s","code":401,"status":"UNAUTHENTICATED"},"message":"bad %s"}`, msg, msg)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	for _, plain := range []bool{false, true} {
		adapters := func(u string) []adapterCase {
			return []adapterCase{
				{"openai", openai.New(openai.WithBaseURL(u), openai.WithHeader("Authorization", "Bearer "+bearer), openai.WithHeader("X-Custom-Token", custom))},
				{"azure", openai.New(openai.Azure(u, ""), openai.WithHeader("Authorization", "Bearer "+bearer), openai.WithHeader("X-Custom-Token", custom))},
				{"anthropic", anthropic.New(anthropic.WithBaseURL(u), anthropic.WithHeader("Authorization", "Bearer "+bearer), anthropic.WithHeader("X-Custom-Token", custom))},
				{"gemini", gemini.New(gemini.WithBaseURL(u), gemini.WithHeader("Authorization", "Bearer "+bearer), gemini.WithHeader("X-Custom-Token", custom))},
			}
		}
		for _, c := range adapters(echo(t, plain)) {
			t.Run(fmt.Sprintf("%s/plain=%v", c.name, plain), func(t *testing.T) {
				for _, stream := range []bool{false, true} {
					err := callOnce(c.p, stream)
					require.Error(t, err)
					var pe *llmrouter.ProviderError
					require.ErrorAs(t, err, &pe)
					text := fmt.Sprintf("%v %+v", err, pe)
					require.Contains(t, text, "X-Custom-Token", "the echo should be in the error")
					for _, s := range []string{bearer, custom, "BEARER", "TOKEN-0123"} {
						assert.NotContains(t, text, s, "a header credential leaked (stream=%v)", stream)
					}
				}
			})
		}
	}
}
