package bedrock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/llmrouter/llmrouter"
)

// Test credentials, in the style of the AWS documentation's examples.
const (
	testAccessKey = "AKIDEXAMPLE"
	testSecret    = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testSession   = "FQoGZXIvYXdzEXAMPLE//////////wEaDEXAMPLESESSIONTOKEN"
)

// testTime is the fixed signing time of the golden tests.
var testTime = time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)

// wireMessage is one event-stream message of a transcript in testdata:
// an event, an exception, or an error message.
type wireMessage struct {
	Event     string `json:"event"`
	Exception string `json:"exception"`
	Error     string `json:"error"`
	Message   string `json:"message"`
	// MessageType, when set, overrides the :message-type header.
	MessageType string          `json:"messageType"`
	Payload     json.RawMessage `json:"payload"`
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readTranscript(t testing.TB, name string) []wireMessage {
	t.Helper()
	var msgs []wireMessage
	if err := json.Unmarshal(readFixture(t, name), &msgs); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return msgs
}

// encodeMessages encodes msgs as a binary event stream, with the SDK's
// encoder.
func encodeMessages(t testing.TB, msgs []wireMessage) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := eventstream.NewEncoder()
	for _, m := range msgs {
		if err := enc.Encode(&buf, m.eventstream()); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func (m wireMessage) eventstream() eventstream.Message {
	var msg eventstream.Message
	switch {
	case m.Exception != "":
		msg.Headers.Set(":message-type", eventstream.StringValue("exception"))
		msg.Headers.Set(":exception-type", eventstream.StringValue(m.Exception))
		msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
	case m.Error != "":
		msg.Headers.Set(":message-type", eventstream.StringValue("error"))
		msg.Headers.Set(":error-code", eventstream.StringValue(m.Error))
		msg.Headers.Set(":error-message", eventstream.StringValue(m.Message))
	default:
		msg.Headers.Set(":event-type", eventstream.StringValue(m.Event))
		msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
		msg.Headers.Set(":message-type", eventstream.StringValue("event"))
	}
	if m.MessageType != "" {
		msg.Headers.Set(":message-type", eventstream.StringValue(m.MessageType))
	}
	msg.Payload = m.Payload
	return msg
}

func ev(eventType, payload string) wireMessage {
	return wireMessage{Event: eventType, Payload: json.RawMessage(payload)}
}

// verifySigV4 checks r's Authorization header by signing a copy of r
// (its signed headers only) again with the SDK's signer.
func verifySigV4(r *http.Request, body []byte, creds aws.Credentials, region string) error {
	auth := r.Header.Get("Authorization")
	_, signed, ok := strings.Cut(auth, "SignedHeaders=")
	if !ok {
		return errors.New("no SignedHeaders in Authorization " + auth)
	}
	signed, _, _ = strings.Cut(signed, ",")
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return err
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	cp, err := http.NewRequest(r.Method, scheme+r.Host+r.RequestURI, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for _, h := range strings.Split(signed, ";") {
		if h == "host" || h == "content-length" {
			continue
		}
		cp.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, cp, hex.EncodeToString(sum[:]), "bedrock", region, at); err != nil {
		return err
	}
	if got := cp.Header.Get("Authorization"); got != auth {
		return errors.New("signature mismatch:\n got  " + auth + "\n want " + got)
	}
	return nil
}

// writeStream writes an event-stream answer, flushing after each message.
func writeStream(w http.ResponseWriter, frames [][]byte) {
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.Header().Set("X-Amzn-Requestid", "req-stream-0001")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	for _, fr := range frames {
		_, _ = w.Write(fr)
		if f != nil {
			f.Flush()
		}
	}
}

// frames encodes each message separately.
func frames(t testing.TB, msgs []wireMessage) [][]byte {
	out := make([][]byte, len(msgs))
	for i, m := range msgs {
		out[i] = encodeMessages(t, []wireMessage{m})
	}
	return out
}

// writeError writes a Bedrock HTTP error.
func writeError(w http.ResponseWriter, status int, errType, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Requestid", "req-error-0001")
	if errType != "" {
		w.Header().Set("X-Amzn-Errortype", errType)
	}
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": message})
	_, _ = w.Write(b)
}

// drainStream reads s to its end.
func drainStream(s llmrouter.ChunkStream) (text, reasoning string, calls map[int]*llmrouter.ToolCall, finish llmrouter.FinishReason, usage *llmrouter.Usage, n int, err error) {
	calls = map[int]*llmrouter.ToolCall{}
	var tb, rb strings.Builder
	for s.Next() {
		c := s.Current()
		n++
		tb.WriteString(c.Text)
		rb.WriteString(c.Reasoning)
		for _, d := range c.ToolCalls {
			tc := calls[d.Index]
			if tc == nil {
				tc = &llmrouter.ToolCall{}
				calls[d.Index] = tc
			}
			if d.ID != "" {
				tc.ID = d.ID
			}
			if d.Name != "" {
				tc.Name = d.Name
			}
			tc.Arguments += d.Arguments
		}
		if c.FinishReason != "" {
			finish = c.FinishReason
		}
		if c.Usage != nil {
			usage = c.Usage
		}
	}
	err = s.Err()
	_ = s.Close()
	return tb.String(), rb.String(), calls, finish, usage, n, err
}

// streamOf returns a stream reading body, as Stream would after a 200.
func streamOf(ctx context.Context, body []byte) *stream {
	return newStream(ctx, &call{deployment: "test", requestID: "req-1"}, io.NopCloser(bytes.NewReader(body)))
}

func asProviderError(t testing.TB, err error) *llmrouter.ProviderError {
	t.Helper()
	var pe *llmrouter.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ProviderError", err, err)
	}
	if pe.Provider != ProviderName {
		t.Errorf("Provider = %q", pe.Provider)
	}
	return pe
}
