package wire

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmrouter/llmrouter"
)

const testKey = "sk-live-0123456789abcdefSECRET"

func TestSecretsAdd(t *testing.T) {
	var s Secrets
	s.Add("", "abc", testKey, testKey, "a/b+c=d")
	got := s.Redact("k=" + testKey + " tail=" + testKey[len(testKey)/3:] + " q=a%2Fb%2Bc%3Dd raw=a/b+c=d short=abc")
	if want := "k=[REDACTED] tail=[REDACTED] q=[REDACTED] raw=[REDACTED] short=abc"; got != want {
		t.Errorf("Redact = %q; want %q", got, want)
	}
	var nilSet *Secrets
	if nilSet.Redact("x") != "x" || nilSet.Message("x") != "x" {
		t.Error("a nil Secrets must redact nothing")
	}
}

func TestSecretsAddHeader(t *testing.T) {
	var s Secrets
	h := http.Header{}
	h.Set("Authorization", "Bearer tok-0123456789")
	h.Set("X-Goog-Api-Key", "goog-0123456789")
	h.Set("Api-Key", "azure-0123456789")
	h.Set("X-Amz-Security-Token", "sess-0123456789")
	h.Set("X-Client-Secret", "csecret-0123456789")
	h.Set("Cookie", "sid=cookie-0123456789")
	h.Set("X-Title", "my-visible-app")
	s.AddHeaders(h)
	msg := "tok-0123456789 goog-0123456789 azure-0123456789 sess-0123456789 csecret-0123456789 sid=cookie-0123456789 my-visible-app"
	if got, want := s.Redact(msg), strings.Repeat("[REDACTED] ", 6)+"my-visible-app"; got != want {
		t.Errorf("Redact = %q; want %q", got, want)
	}
}

func TestIsCredentialName(t *testing.T) {
	for _, n := range []string{"Authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "X-Amz-Security-Token", "Cookie", "x-my-SECRET", "key", "access_token", "X-Amz-Signature", "X-Amz-Credential"} {
		if !IsCredentialName(n) {
			t.Errorf("%s is a credential name", n)
		}
	}
	for _, n := range []string{"Content-Type", "X-Title", "anthropic-version", "OpenAI-Organization", "api-version", "alt"} {
		if IsCredentialName(n) {
			t.Errorf("%s is not a credential name", n)
		}
	}
}

func TestSecretsAddURL(t *testing.T) {
	var s Secrets
	s.AddURL("https://user:pw-0123456789@h.example/v1?key=qkey-0123456789&sig=sas-0123456789&api-version=2024-10-21")
	got := s.Redact("pw-0123456789 qkey-0123456789 sas-0123456789 2024-10-21")
	if want := "[REDACTED] [REDACTED] [REDACTED] 2024-10-21"; got != want {
		t.Errorf("Redact = %q; want %q", got, want)
	}
}

func TestSecretsWith(t *testing.T) {
	var base Secrets
	base.Add("base-0123456789")
	more := base.With("call-9876543210")
	if got := more.Redact("base-0123456789 call-9876543210"); got != "[REDACTED] [REDACTED]" {
		t.Errorf("With: %q", got)
	}
	if got := base.Redact("call-9876543210"); got != "call-9876543210" {
		t.Errorf("With changed the original: %q", got)
	}
}

func TestSecretsFinish(t *testing.T) {
	var s Secrets
	s.Add(testKey)
	inner := errors.New("dial with " + testKey)
	pe := s.Finish(&llmrouter.ProviderError{
		Message:   strings.Repeat("m", 2*MaxMessage) + testKey,
		Code:      "code-" + testKey,
		RequestID: "req-" + testKey,
		Err:       inner,
	})
	if strings.Contains(pe.Error()+pe.Code+pe.RequestID+pe.Err.Error(), testKey[:minFragment]) {
		t.Errorf("key survives Finish: %+v", pe)
	}
	if len(pe.Message) > MaxMessage || pe.Code != "code-[REDACTED]" || pe.RequestID != "req-[REDACTED]" {
		t.Errorf("Finish: %+v", pe)
	}
	clean := errors.New("connection reset")
	if pe := s.Finish(&llmrouter.ProviderError{Err: clean}); pe.Err != clean {
		t.Error("an error without a credential must be kept as is")
	}
}

func TestClip(t *testing.T) {
	if got := Clip("short"); got != "short" {
		t.Error(got)
	}
	exact := strings.Repeat("a", MaxMessage)
	if got := Clip(exact); got != exact {
		t.Error("a message of exactly MaxMessage bytes must not be cut")
	}
	for i := 0; i < 4; i++ {
		long := strings.Repeat("a", i) + strings.Repeat("€", MaxMessage)
		got := Clip(long)
		if len(got) > MaxMessage || !utf8.ValidString(got) || !strings.HasSuffix(got, Truncated) {
			t.Errorf("Clip: %d bytes, valid %v", len(got), utf8.ValidString(got))
		}
	}
}
