package sse

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// ev is an event as the tests compare it; other is set only by readers
// that keep other lines.
type ev struct{ name, data, id, other string }

// readAll reads every event of r, the cut last one (returned with
// io.ErrUnexpectedEOF) included when it has data or other lines.
func readAll(t *testing.T, r io.Reader, keepOther bool) ([]ev, error) {
	t.Helper()
	rd := NewReader(r)
	rd.KeepOther(keepOther)
	var out []ev
	for {
		e, err := rd.Next()
		if err == nil || (err == io.ErrUnexpectedEOF && (len(e.Data) > 0 || e.Other != nil)) {
			out = append(out, ev{e.Name, string(e.Data), e.ID, string(e.Other)})
		}
		if err != nil {
			return out, err
		}
	}
}

// Gemini's in-stream error: a bare JSON object, on one line (as go-genai's
// tests send it, without a line end) or pretty-printed.
const (
	errorLine   = `{"error": {"code": 500, "message": "internal server error", "status": "INTERNAL"}}`
	errorPretty = "{\n  \"error\": {\n    \"code\": 429,\n    \"status\": \"RESOURCE_EXHAUSTED\"\n  }\n}"
)

func TestReader(t *testing.T) {
	cases := []struct {
		name      string
		in        string
		keepOther bool
		want      []ev
		err       error
	}{
		{"openai", "data: {\"a\":1}\n\ndata: [DONE]\n\n", false, []ev{{"", `{"a":1}`, "", ""}, {"", "[DONE]", "", ""}}, io.EOF},
		{"named events", "event: ping\ndata: {}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", false,
			[]ev{{"ping", "{}", "", ""}, {"message_stop", `{"type":"message_stop"}`, "", ""}}, io.EOF},
		{"crlf and bom", "\xef\xbb\xbfdata: x\r\n\r\n", false, []ev{{"", "x", "", ""}}, io.EOF},
		{"multi-line data", "data: a\ndata: b\n\n", false, []ev{{"", "a\nb", "", ""}}, io.EOF},
		{"comments and no space", ": keep-alive\ndata:x\n\n", false, []ev{{"", "x", "", ""}}, io.EOF},
		{"id", "id: 7\ndata: x\n\n", false, []ev{{"", "x", "7", ""}}, io.EOF},
		{"event without data dispatches nothing", "event: e\n\ndata: y\n\n", false, []ev{{"", "y", "", ""}}, io.EOF},
		{"cut mid-event", "data: {\"a\":1}\n\ndata: {\"b\"", false, []ev{{"", `{"a":1}`, "", ""}, {"", `{"b"`, "", ""}}, io.ErrUnexpectedEOF},
		{"cut before blank line", "data: x\n", false, []ev{{"", "x", "", ""}}, io.ErrUnexpectedEOF},
		{"unknown field ignored", "retry: 10\nfoo: bar\ndata: z\n\n", false, []ev{{"", "z", "", ""}}, io.EOF},
		{"other lines ignored by default", "data: y\n\n" + errorLine + "\n\n", false, []ev{{"", "y", "", ""}}, io.EOF},
		{"kept: error after data", "data: {\"a\":1}\n\n" + errorLine + "\n\n", true, []ev{{"", `{"a":1}`, "", ""}, {"", "", "", errorLine}}, io.EOF},
		{"kept: error without line end", "data: {\"a\":1}\n\n" + errorLine, true, []ev{{"", `{"a":1}`, "", ""}, {"", "", "", errorLine}}, io.ErrUnexpectedEOF},
		{"kept: error without blank line", errorLine + "\n", true, []ev{{"", "", "", errorLine}}, io.ErrUnexpectedEOF},
		{"kept: pretty-printed", errorPretty + "\n\n", true, []ev{{"", "", "", errorPretty}}, io.EOF},
		{"kept: crlf", "{\"error\": {}}\r\n\r\n", true, []ev{{"", "", "", `{"error": {}}`}}, io.EOF},
		{"kept: fields still fields", "retry: 5\nid: 1\nevent: x\ndata: y\n\n", true, []ev{{"x", "y", "1", ""}}, io.EOF},
		{"kept: comments still comments", ": ping\n\ndata: y\n\n", true, []ev{{"", "y", "", ""}}, io.EOF},
		{"kept: last comment without line end", "data: y\n\n: ping", true, []ev{{"", "y", "", ""}}, io.ErrUnexpectedEOF},
		{"kept: mixed", "data: y\nstray\n\n", true, []ev{{"", "y", "", "stray"}}, io.EOF},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(c.in), iotest.OneByteReader(strings.NewReader(c.in))} {
				got, err := readAll(t, r, c.keepOther)
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v; want %v", err, c.err)
				}
				if len(got) != len(c.want) {
					t.Fatalf("events = %q; want %q", got, c.want)
				}
				for i := range got {
					if got[i] != c.want[i] {
						t.Errorf("event %d = %q; want %q", i, got[i], c.want[i])
					}
				}
			}
		})
	}
}

func TestLineTooLong(t *testing.T) {
	in := "data: " + strings.Repeat("x", MaxLine+1) + "\n\n"
	_, err := readAll(t, strings.NewReader(in), false)
	if !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("err = %v; want ErrLineTooLong", err)
	}
}

func BenchmarkReader(b *testing.B) {
	const event = "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\n"
	in := strings.Repeat(event, 1000)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	r := strings.NewReader(in)
	rd := NewReader(r)
	for b.Loop() {
		r.Reset(in)
		rd.Reset(r)
		for {
			if _, err := rd.Next(); err != nil {
				break
			}
		}
	}
}

func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"data: {\"a\":1}\n\ndata: [DONE]\n\n",
		"event: ping\ndata: {}\n\n",
		"\xef\xbb\xbfdata: x\r\n\r\n",
		": c\nid: 1\ndata: a\ndata: b\n\n",
		"data: {\"b\"",
		"data: {}\n\n{\"error\": {\"code\": 500}}",
		"{\n  \"error\": {}\n}\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, keep := range []bool{false, true} {
			rd := NewReader(strings.NewReader(in))
			rd.KeepOther(keep)
			rd.SetMaxEvent(64)
			for i := 0; ; i++ {
				e, err := rd.Next()
				if err != nil {
					if err != io.EOF && err != io.ErrUnexpectedEOF && !TooLarge(err) {
						t.Fatalf("unexpected error %v", err)
					}
					break
				}
				if len(e.Data)+len(e.Other) > 64 {
					t.Fatalf("event of %d bytes past the bound of 64", len(e.Data)+len(e.Other))
				}
				if len(e.Data) > len(in) || len(e.Other) > len(in) {
					t.Fatalf("event longer than the input")
				}
				if !keep && e.Other != nil {
					t.Fatalf("other lines reported without KeepOther")
				}
				if i > len(in) {
					t.Fatalf("more events than input bytes")
				}
			}
		}
	})
}

// lines is a reader of n copies of line and then a blank line, made as it
// is read so that the input itself allocates nothing.
type lines struct {
	line string
	n    int
	off  int
	end  bool
}

func (l *lines) Read(p []byte) (int, error) {
	w := 0
	for w < len(p) {
		switch {
		case l.n > 0:
			c := copy(p[w:], l.line[l.off:])
			w += c
			if l.off += c; l.off == len(l.line) {
				l.off, l.n = 0, l.n-1
			}
		case !l.end:
			p[w] = '\n'
			w++
			l.end = true
		default:
			if w == 0 {
				return 0, io.EOF
			}
			return w, nil
		}
	}
	return w, nil
}

func TestEventTooLarge(t *testing.T) {
	// Short data lines, each far below MaxLine, that add up to twice
	// MaxEvent: the reader must stop at the bound, not join them all.
	const line = "data: " + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abc\n" // 64 bytes
	const perLine = len(line) - len("data: ")
	total := 2 * MaxEvent / perLine
	in := &lines{line: line, n: total}
	rd := NewReader(in)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := rd.Next()
	runtime.ReadMemStats(&after)
	var tooLarge *EventTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Limit != MaxEvent {
		t.Fatalf("err = %v; want an *EventTooLargeError with Limit %d", err, MaxEvent)
	}
	if !TooLarge(err) || !TooLarge(ErrLineTooLong) || TooLarge(io.ErrUnexpectedEOF) {
		t.Errorf("TooLarge does not tell the reader's bounds from other errors")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3*MaxEvent {
		t.Errorf("reading an oversized event allocated %d MiB; want at most %d", alloc>>20, 3*MaxEvent>>20)
	}
	if read, bound := total-in.n, MaxEvent/perLine; read > bound+1024 {
		t.Errorf("the reader read %d lines past the bound", read-bound)
	}
}

func TestSetMaxEvent(t *testing.T) {
	const limit = 100
	cases := []struct {
		name string
		in   string
		keep bool
		ok   bool
	}{
		{"one line at the bound", "data: " + strings.Repeat("x", limit) + "\n\n", false, true},
		{"one line over", "data: " + strings.Repeat("x", limit+1) + "\n\n", false, false},
		{"lines at the bound", strings.Repeat("data: "+strings.Repeat("x", 9)+"\n", 10) + "\n", false, true}, // 10*9 + 9 newlines
		{"lines over", strings.Repeat("data: "+strings.Repeat("x", 9)+"\n", 11) + "\n", false, false},
		{"empty lines count their newlines", strings.Repeat("data:\n", limit+2) + "\n", false, false},
		{"other lines count", strings.Repeat("{\"x\":1}\n", 20) + "\n", true, false},
		{"other lines ignored by default", strings.Repeat("{\"x\":1}\n", 20) + "data: y\n\n", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rd := NewReader(strings.NewReader(c.in))
			rd.SetMaxEvent(limit)
			rd.KeepOther(c.keep)
			_, err := rd.Next()
			var tooLarge *EventTooLargeError
			if c.ok && err != nil {
				t.Fatalf("err = %v; want an event", err)
			}
			if !c.ok && (!errors.As(err, &tooLarge) || tooLarge.Limit != limit) {
				t.Fatalf("err = %v; want an *EventTooLargeError with Limit %d", err, limit)
			}
		})
	}
	t.Run("Put restores the defaults", func(t *testing.T) {
		rd := Get(strings.NewReader(""))
		rd.SetMaxEvent(limit)
		rd.KeepOther(true)
		Put(rd)
		rd = Get(strings.NewReader("{\"x\":1}\n\ndata: " + strings.Repeat("x", 2*limit) + "\n\n"))
		defer Put(rd)
		e, err := rd.Next()
		if err != nil || len(e.Data) != 2*limit || e.Other != nil {
			t.Fatalf("pooled reader kept its settings: %q, %q, %v", e.Data, e.Other, err)
		}
	})
}
