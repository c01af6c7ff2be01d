package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type ev struct{ name, data, id string }

func readAll(t *testing.T, r io.Reader) ([]ev, error) {
	t.Helper()
	rd := NewReader(r)
	var out []ev
	for {
		e, err := rd.Next()
		if err != nil {
			return out, err
		}
		out = append(out, ev{e.Name, string(e.Data), e.ID})
	}
}

func TestReader(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []ev
		err  error
	}{
		{"openai", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []ev{{"", `{"a":1}`, ""}, {"", "[DONE]", ""}}, io.EOF},
		{"named events", "event: ping\ndata: {}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
			[]ev{{"ping", "{}", ""}, {"message_stop", `{"type":"message_stop"}`, ""}}, io.EOF},
		{"crlf and bom", "\xef\xbb\xbfdata: x\r\n\r\n", []ev{{"", "x", ""}}, io.EOF},
		{"multi-line data", "data: a\ndata: b\n\n", []ev{{"", "a\nb", ""}}, io.EOF},
		{"comments and no space", ": keep-alive\ndata:x\n\n", []ev{{"", "x", ""}}, io.EOF},
		{"id", "id: 7\ndata: x\n\n", []ev{{"", "x", "7"}}, io.EOF},
		{"event without data dispatches nothing", "event: e\n\ndata: y\n\n", []ev{{"", "y", ""}}, io.EOF},
		{"cut mid-event", "data: {\"a\":1}\n\ndata: {\"b\"", []ev{{"", `{"a":1}`, ""}}, io.ErrUnexpectedEOF},
		{"cut before blank line", "data: x\n", nil, io.ErrUnexpectedEOF},
		{"unknown field ignored", "retry: 10\nfoo: bar\ndata: z\n\n", []ev{{"", "z", ""}}, io.EOF},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(c.in), iotest.OneByteReader(strings.NewReader(c.in))} {
				got, err := readAll(t, r)
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
	_, err := readAll(t, strings.NewReader(in))
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
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		rd := NewReader(strings.NewReader(in))
		for i := 0; ; i++ {
			e, err := rd.Next()
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF && err != ErrLineTooLong {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(e.Data) > len(in) {
				t.Fatalf("event data longer than the input")
			}
			if i > len(in) {
				t.Fatalf("more events than input bytes")
			}
		}
	})
}
