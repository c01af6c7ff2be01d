package wire_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmrouter/llmrouter/internal/wire"
	"github.com/llmrouter/llmrouter/internal/wire/wiretest"
)

const cutKey = "sk-live-0123456789abcdefSECRET"

// TestMessageEveryCut puts the key at every offset around the MaxMessage
// cut (after ASCII and after multi-byte text): no piece of it of 8 bytes
// or more may survive, and the message stays within MaxMessage and valid
// UTF-8.
func TestMessageEveryCut(t *testing.T) {
	var s wire.Secrets
	s.Add(cutKey)
	for _, prefix := range []string{"", "é", "€€"} {
		for i, msg := range wiretest.Straddling(prefix, cutKey) {
			got := s.Message(msg)
			if len(got) > wire.MaxMessage || !utf8.ValidString(got) || !strings.HasSuffix(got, wire.Truncated) {
				t.Fatalf("case %d: bad message (%d bytes)", i, len(got))
			}
			if f := wiretest.Leaked(got, cutKey); f != "" {
				t.Fatalf("case %d: %q of the key survives", i, f)
			}
		}
	}
}

// TestMessageTrailingFragment: an upstream that itself cut the key (so the
// whole key never appears) still does not leave a piece of it at the cut.
func TestMessageTrailingFragment(t *testing.T) {
	var s wire.Secrets
	s.Add(cutKey)
	for n := wiretest.MinFragment; n < len(cutKey); n++ {
		head := strings.Repeat("x", wire.MaxMessage-len(wire.Truncated)-n)
		msg := head + cutKey[:n] + strings.Repeat("y", wire.MaxMessage)
		if got := s.Message(msg); wiretest.Leaked(got, cutKey) != "" {
			t.Fatalf("n=%d: fragment survives: %q", n, got[len(got)-40:])
		}
	}
	// A message within the bound is never trimmed, fragment or not.
	if got := s.Message("prefix " + cutKey[:10]); got != "prefix "+cutKey[:10] {
		t.Errorf("short message changed: %q", got)
	}
}
