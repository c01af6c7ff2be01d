package bedrock_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/llmrouter/llmrouter"
	"github.com/llmrouter/llmrouter/providers/bedrock"
)

// fakeBedrock stands in for bedrock-runtime.{region}.amazonaws.com.
func fakeBedrock() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") {
			w.Header().Set("X-Amzn-Errortype", "UnrecognizedClientException")
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/converse-stream") {
			w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
			enc := eventstream.NewEncoder()
			var buf bytes.Buffer
			for _, e := range [][2]string{
				{"messageStart", `{"role":"assistant"}`},
				{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Bonjour"}}`},
				{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":" !"}}`},
				{"messageStop", `{"stopReason":"end_turn"}`},
				{"metadata", `{"usage":{"inputTokens":9,"outputTokens":3,"totalTokens":12}}`},
			} {
				var m eventstream.Message
				m.Headers.Set(":message-type", eventstream.StringValue("event"))
				m.Headers.Set(":event-type", eventstream.StringValue(e[0]))
				m.Payload = []byte(e[1])
				_ = enc.Encode(&buf, m)
			}
			_, _ = w.Write(buf.Bytes())
			return
		}
		w.Header().Set("X-Amzn-Requestid", "7ea7a8ea-2b69-4b1b-a0a9-5b5b1c1b2d3e")
		_, _ = w.Write([]byte(`{"output":{"message":{"role":"assistant","content":[{"text":"Bonjour !"}]}},
			"stopReason":"end_turn","usage":{"inputTokens":9,"outputTokens":3,"totalTokens":12,"cacheReadInputTokens":100}}`))
	}))
}

func Example() {
	srv := fakeBedrock()
	defer srv.Close()

	p := bedrock.New(
		bedrock.WithBaseURL(srv.URL), // omit to call the real regional endpoint
		bedrock.WithStaticCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""),
	)
	d := &llmrouter.Deployment{Name: "nova-eu", Provider: p, Model: "eu.amazon.nova-lite-v1:0", Region: "eu-west-1"}
	req := &llmrouter.Request{Model: "chat", Messages: []llmrouter.Message{
		llmrouter.System("Answer in French."),
		llmrouter.User("Say hello."),
	}}

	resp, err := p.Chat(context.Background(), d, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s (%s) in=%d cached=%d out=%d\n", resp.Text, resp.FinishReason,
		resp.Usage.InputTokens, resp.Usage.CachedInputTokens, resp.Usage.OutputTokens)

	s, err := p.Stream(context.Background(), d, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	for s.Next() {
		c := s.Current()
		if c.Text != "" {
			fmt.Printf("%q ", c.Text)
		}
		if c.FinishReason != "" {
			fmt.Printf("[%s, %d tokens]\n", c.FinishReason, c.Usage.Total())
		}
	}
	if err := s.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Bonjour ! (stop) in=109 cached=100 out=3
	// "Bonjour" " !" [stop, 12 tokens]
}
