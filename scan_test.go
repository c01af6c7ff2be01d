package llmrouter

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
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
	// Plain text, which scan measures on its short path (scanText), in
	// every role it takes there, ASCII or not, with or without a cache
	// mark.
	plain := func() string {
		t := text()
		if rng.IntN(3) == 0 {
			t += "é€"[:rng.IntN(2)*2] + text()
		}
		return t
	}
	roles := []Role{RoleSystem, RoleDeveloper, RoleUser, RoleAssistant}
	for k := 0; k < 500; k++ {
		req := &Request{Model: "m"}
		for range 1 + rng.IntN(4) {
			m := Message{Role: RoleUser}
			for range 1 + rng.IntN(3) {
				switch rng.IntN(5) {
				case 0:
					m.Content = append(m.Content, Part{Type: PartImage, Image: &Image{URL: "https://example.com/a.png"}})
				case 1:
					m.Content = append(m.Content, Part{Type: PartImage, Image: &Image{Data: []byte("d" + text()), MediaType: "image/png"}})
				case 2:
					m.Content = append(m.Content, Part{Type: PartText, Text: plain(), Cache: &CacheHint{}})
				default:
					m.Content = append(m.Content, Part{Type: PartText, Text: text()})
				}
			}
			if rng.IntN(2) == 0 {
				m = Message{Role: roles[rng.IntN(len(roles))]}
				for range 1 + rng.IntN(3) {
					m.Content = append(m.Content, TextPart(plain()))
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

// scanSlow is scan without its short path: validateMessage for every
// message, scanRest for everything after them.
func scanSlow(r *Request) (s requestScan, err error) {
	if r == nil || r.Model == "" || len(r.Messages) == 0 {
		return s, r.headError()
	}
	for i := range r.Messages {
		if err := r.validateMessage(i, &s); err != nil {
			return s, err
		}
	}
	return s, r.scanRest(&s)
}

// TestScanShortPathAgrees checks scan against scanSlow over random
// requests, valid or not, close to the short path's edges: every role,
// text of every length around the 8-byte words, ASCII, other UTF-8 and
// invalid bytes, cache marks, images, tool calls and results, reasoning,
// empty messages, and each field after the messages set now and then,
// validly or not. Both must give the same error (field and reason) or
// the same measures.
func TestScanShortPathAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func(n int) bool { return rng.IntN(n) == 0 }
	text := func() string {
		b := []byte(strings.Repeat("a", rng.IntN(26)))
		if len(b) > 0 && pick(8) {
			b[rng.IntN(len(b))] = []byte("\xff\xc3\x80é")[rng.IntN(4)] // invalid, or half of a rune
		}
		if pick(4) {
			b = append(b, "é"...)
		}
		return string(b)
	}
	roles := []Role{RoleSystem, RoleDeveloper, RoleUser, RoleAssistant, RoleTool, "", "wizard"}
	shortPath, valid := 0, 0
	for k := 0; k < 10000; k++ {
		r := &Request{Model: "m"}
		if pick(50) {
			r.Model = ""
		}
		n := 1 + rng.IntN(3)
		if pick(30) {
			n = 0
		}
		for range n {
			m := Message{Role: roles[rng.IntN(len(roles))]}
			if !pick(8) {
				m.Role = roles[rng.IntN(4)] // mostly the short path's roles
			}
			parts := 1 + rng.IntN(3)
			if pick(20) {
				parts = 0
			}
			for range parts {
				p := TextPart(text())
				switch {
				case pick(10):
					p = Part{Type: PartImage, Image: &Image{URL: "https://example.com/a.png"}}
				case pick(30):
					p.Type = "audio"
				case pick(10):
					p.Cache = &CacheHint{TTL: time.Duration(rng.IntN(3)-1) * time.Minute}
				}
				m.Content = append(m.Content, p)
			}
			if pick(15) {
				m.ToolCalls = []ToolCall{{ID: "c1", Name: "f", Arguments: `{}`}}
			}
			if pick(20) {
				m.ToolCallID = "c1"
			}
			if pick(15) {
				m.Reasoning = []ReasoningBlock{{Provider: "p", Text: text()}}
			}
			r.Messages = append(r.Messages, m)
		}
		switch rng.IntN(24) {
		case 0:
			r.Tools = []Tool{{Name: "f", Description: text(), Parameters: json.RawMessage(`{}`)}}
		case 1:
			r.ToolChoice.Mode = []ToolChoiceMode{ToolAuto, ToolRequired, ToolForced, "x"}[rng.IntN(4)]
		case 2:
			r.ResponseFormat.Type = []FormatType{FormatText, FormatJSON, FormatJSONSchema, "x"}[rng.IntN(4)]
		case 3:
			r.MaxOutputTokens = []int{-1, 1, MaxRequestTokens, MaxRequestTokens + 1, math.MinInt}[rng.IntN(5)]
		case 4:
			r.Temperature = Ptr([]float64{0.5, 3, math.NaN()}[rng.IntN(3)])
		case 5:
			r.TopP = Ptr([]float64{0.5, 2}[rng.IntN(2)])
		case 6:
			r.Stop = []string{text()}
		case 7:
			r.Reasoning = &Reasoning{Effort: []Effort{EffortLow, "x"}[rng.IntN(2)], BudgetTokens: rng.IntN(3) - 1}
		case 8:
			r.Timeouts = &Timeouts{Total: time.Duration(rng.IntN(3)-1) * time.Second}
		case 9:
			r.MaxAttempts = rng.IntN(3) - 1
		case 10:
			r.Fallback = []string{[]string{"", "m", "n"}[rng.IntN(3)]}
		case 11:
			r.Policies = []Policy{{Name: "p"}}
		}
		got, gotErr := r.scan()
		want, wantErr := scanSlow(r)
		switch {
		case (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error():
			t.Fatalf("request %d: scan says %v, the long path %v", k, gotErr, wantErr)
		case gotErr == nil && got != want:
			t.Fatalf("request %d: scan measures %+v, the long path %+v", k, got, want)
		}
		if gotErr == nil {
			valid++
			if scanText(r.Messages, &requestScan{}) == len(r.Messages) {
				shortPath++
			}
		}
	}
	if valid < 1000 || shortPath < 800 {
		t.Fatalf("%d valid requests, %d on the short path for every message: too few to compare", valid, shortPath)
	}
}

// BenchmarkScan measures the pass that validates and measures a request:
// BenchmarkRouterChat's two messages of plain text (the short path), and
// a conversation with a tool call, its result, a cache mark and non-ASCII
// text (the long path for the messages that have them).
func BenchmarkScan(b *testing.B) {
	for _, c := range []struct {
		name string
		req  *Request
	}{
		{"Text", &Request{Model: "chat", MaxOutputTokens: 256, Messages: []Message{
			System("You are a helpful assistant."), User("What is the capital of France?")}}},
		{"Tools", &Request{Model: "chat", MaxOutputTokens: 256, Tools: []Tool{{Name: "weather", Parameters: json.RawMessage(`{"type":"object"}`)}},
			Messages: []Message{
				{Role: RoleSystem, Content: []Part{{Type: PartText, Text: "You are a helpful assistant.", Cache: &CacheHint{}}}},
				User("Quel temps fait-il à Paris ?"),
				{Role: RoleAssistant, ToolCalls: []ToolCall{{ID: "c1", Name: "weather", Arguments: `{"city":"Paris"}`}}},
				ToolResult("c1", `{"temp":21}`),
			}}},
		{"Agent", agentRequest(8)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.req.scan(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// agentRequest is an agent's conversation: a system prompt, a question,
// then n tool calls, each with its result.
func agentRequest(n int) *Request {
	r := &Request{Model: "chat", MaxOutputTokens: 1024, Tools: []Tool{{Name: "search", Description: "Search the web.", Parameters: json.RawMessage(`{"type":"object","properties":{"q":{"type":"string"}}}`)}},
		Messages: []Message{System("You are a research agent. Use the search tool."), User("Who won the 1998 World Cup, and where was the final played?")}}
	for i := range n {
		id := "call_" + strconv.Itoa(i)
		r.Messages = append(r.Messages,
			Message{Role: RoleAssistant, ToolCalls: []ToolCall{{ID: id, Name: "search", Arguments: `{"q":"1998 World Cup final"}`}}},
			ToolResult(id, "France beat Brazil 3-0 at the Stade de France, Saint-Denis, on 12 July 1998."))
	}
	return r
}

// TestTextTokens holds textTokens, the unsigned rounding up of the scan
// and EstimateInputTokens, to ceilDiv, up to math.MaxInt.
func TestTextTokens(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 1 << 20, math.MaxInt - 4, math.MaxInt - 3, math.MaxInt - 1, math.MaxInt} {
		if got, want := textTokens(n), ceilDiv(n, bytesPerToken); got != want {
			t.Errorf("textTokens(%d) = %d, want %d", n, got, want)
		}
	}
}
