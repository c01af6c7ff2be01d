package anthropic

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/llmrouter/llmrouter/internal/wire/wiretest"
)

// hygieneAnswers are the error shapes the hygiene tests send: plain text
// from a proxy and Anthropic's JSON error object.
var hygieneAnswers = []wiretest.Answer{wiretest.Plain, wiretest.JSON(`{"type":"error","error":{"type":"api_error","message":"%s"}}`)}

// TestErrorHygiene: a credential the upstream echoes is redacted before the
// message is clipped, wherever it falls relative to the cut, however it
// was given (WithAPIKey or WithHeader); and every message is bounded to
// wire.MaxMessage.
func TestErrorHygiene(t *testing.T) {
	const key = "sk-ant-hygiene-0123456789abcdefSECRET"
	u := wiretest.NewUpstream(t)
	for name, opt := range map[string]Option{
		"api key":       WithAPIKey(key),
		"bearer header": WithHeader("Authorization", "Bearer "+key),
		"custom header": WithHeader("X-Gateway-Token", key),
	} {
		t.Run(name, func(t *testing.T) {
			wiretest.CheckStraddling(t, New(WithBaseURL(u.URL), opt), testDeployment, u, key, hygieneAnswers...)
		})
	}
	t.Run("bounded", func(t *testing.T) {
		wiretest.CheckBounded(t, New(WithBaseURL(u.URL)), testDeployment, u, hygieneAnswers...)
	})
}

// TestStreamErrorHygiene: an error event inside a stream that echoes a
// credential given with WithHeader does not carry it out.
func TestStreamErrorHygiene(t *testing.T) {
	const token = "gateway-TOKEN-0123456789abcdef"
	p := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "event: error\ndata: %s\n\n", errBody("api_error", "bad token "+r.Header.Get("X-Gateway-Token")))
	}, WithHeader("X-Gateway-Token", token))
	st, err := p.Stream(ctxT(t), testDeployment, userRequest())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = drainStream(st).err
	if err == nil || !strings.Contains(err.Error(), "bad token") {
		t.Fatalf("err %v; want the echoed error", err)
	}
	if f := wiretest.Leaked(err.Error(), token); f != "" {
		t.Fatalf("%q of the token survives: %v", f, err)
	}
}
