package llmrouter

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestValidTextMatchesUTF8 checks the ASCII fast path against
// utf8.ValidString for every length up to 40 with a non-ASCII or invalid
// byte at every position.
func TestValidTextMatchesUTF8(t *testing.T) {
	inserts := []string{"é", "\xff", "\xe2\x82", "€", "\xc0\x80", "😀"[:3]}
	for n := 0; n <= 40; n++ {
		base := strings.Repeat("a", n)
		if got, want := validText(base), utf8.ValidString(base); got != want {
			t.Fatalf("validText(%q) = %v, want %v", base, got, want)
		}
		for pos := 0; pos <= n; pos++ {
			for _, ins := range inserts {
				s := base[:pos] + ins + base[pos:]
				if got, want := validText(s), utf8.ValidString(s); got != want {
					t.Fatalf("validText(%q) = %v, want %v", s, got, want)
				}
			}
		}
	}
}

// TestScanMeasuresAsTheFunctionsDo checks that the one pass of prepare
// measures what EstimateInputTokens, promptInfo and needs compute on their
// own, over random valid requests.
func TestScanMeasuresAsTheFunctionsDo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	text := func() string { return strings.Repeat("x", rng.IntN(50)) }
	for k := 0; k < 500; k++ {
		req := &Request{Model: "m"}
		for range 1 + rng.IntN(4) {
			m := Message{Role: RoleUser}
			for range 1 + rng.IntN(3) {
				switch rng.IntN(4) {
				case 0:
					m.Content = append(m.Content, Part{Type: PartImage, Image: &Image{URL: "https://example.com/a.png"}})
				case 1:
					m.Content = append(m.Content, Part{Type: PartImage, Image: &Image{Data: []byte("d" + text()), MediaType: "image/png"}})
				default:
					m.Content = append(m.Content, Part{Type: PartText, Text: text()})
				}
			}
			if rng.IntN(3) == 0 {
				// Images are for user messages: an assistant's is text.
				m = Message{Role: RoleAssistant, Content: []Part{{Type: PartText, Text: text()}},
					ToolCalls: []ToolCall{{ID: "c" + text(), Name: "f", Arguments: `{"a":"` + text() + `"}`}},
					Reasoning: []ReasoningBlock{{Provider: "p"}}}
			}
			req.Messages = append(req.Messages, m)
		}
		if rng.IntN(2) == 0 {
			req.Tools = []Tool{{Name: "f", Description: text(), Parameters: []byte(`{"type":"object"}`)}}
		}
		s, err := req.scan()
		if err != nil {
			t.Fatalf("request %d: %v", k, err)
		}
		if want := EstimateInputTokens(req); s.tokens != want {
			t.Fatalf("request %d: scan estimates %d tokens, EstimateInputTokens %d", k, s.tokens, want)
		}
		if want := promptInfo(req, 0).Bytes; s.bytes != want {
			t.Fatalf("request %d: scan counts %d bytes, promptInfo %d", k, s.bytes, want)
		}
		if got, want := req.needsWith(false, s.needs), req.needs(false); got != want {
			t.Fatalf("request %d: scan needs %v, needs %v", k, got, want)
		}
		if want := req.ForeignReasoning("q") > 0; s.reasoning != want {
			t.Fatalf("request %d: scan reasoning %v, want %v", k, s.reasoning, want)
		}
	}
}
