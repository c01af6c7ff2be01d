package anthropic

import (
	"bytes"
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"
)

// scanDelta decodes the data of a content_block_delta event, the bulk of a
// stream, into ev without encoding/json's per-call allocations: only the
// delta's text costs one. It reports false, leaving the event to
// json.Unmarshal, for anything but a plain valid event (escaped keys,
// non-integer index, invalid UTF-8, unexpected fields): the fast path never
// decides differently from the slow one, it only declines.
func scanDelta(data []byte, ev *streamEvent, buf *[]byte) bool {
	if !json.Valid(data) { // pooled scanner: no allocation
		return false
	}
	top := objIter{data: data}
	if !top.open() {
		return false
	}
	for {
		key, val, ok := top.next()
		if !ok {
			return top.done
		}
		switch string(key) { // no allocation for a switch on string(bytes)
		case "type":
			if string(val) != `"content_block_delta"` {
				return false
			}
			ev.Type = "content_block_delta"
		case "index":
			n, ok := parseInt(val)
			if !ok {
				return false
			}
			ev.Index = n
		case "delta":
			if !scanDeltaObject(val, ev, buf) {
				return false
			}
		default:
			if fold(key) {
				return false // a key encoding/json would match case-insensitively
			}
		}
	}
}

func scanDeltaObject(data []byte, ev *streamEvent, buf *[]byte) bool {
	it := objIter{data: data}
	if !it.open() {
		return false
	}
	d := &ev.Delta
	for {
		key, val, ok := it.next()
		if !ok {
			return it.done
		}
		var dst *string
		switch string(key) {
		case "type":
			switch string(val) {
			case `"text_delta"`:
				d.Type = "text_delta"
			case `"input_json_delta"`:
				d.Type = "input_json_delta"
			case `"thinking_delta"`:
				d.Type = "thinking_delta"
			default:
				return false
			}
			continue
		case "text":
			dst = &d.Text
		case "thinking":
			dst = &d.Thinking
		case "partial_json":
			dst = &d.PartialJSON
		default:
			if fold(key) {
				return false
			}
			continue
		}
		s, ok := unquote(val, buf)
		if !ok {
			return false
		}
		*dst = s
	}
}

// fold reports whether key could name a field of streamEvent under
// encoding/json's case-insensitive matching, or is escaped.
func fold(key []byte) bool {
	if bytes.IndexByte(key, '\\') >= 0 {
		return true
	}
	for _, f := range [...]string{"type", "index", "delta", "message", "content_block", "usage",
		"text", "thinking", "signature", "partial_json", "stop_reason"} {
		if bytes.EqualFold(key, []byte(f)) {
			return true
		}
	}
	return false
}

// objIter walks the members of a JSON object known to be valid.
type objIter struct {
	data []byte
	i    int
	done bool // the closing brace was reached
}

func (it *objIter) open() bool {
	it.i = skipSpace(it.data, 0)
	if it.i >= len(it.data) || it.data[it.i] != '{' {
		return false
	}
	it.i++
	return true
}

// next returns the next key (without quotes) and raw value, or ok false at
// the end of the object.
func (it *objIter) next() (key, val []byte, ok bool) {
	d := it.data
	i := skipSpace(d, it.i)
	if i < len(d) && d[i] == ',' {
		i = skipSpace(d, i+1)
	}
	if i >= len(d) || d[i] != '"' {
		it.done = i < len(d) && d[i] == '}'
		return nil, nil, false
	}
	end := skipValue(d, i)
	key = d[i+1 : end-1]
	i = skipSpace(d, end)
	if i >= len(d) || d[i] != ':' {
		return nil, nil, false
	}
	i = skipSpace(d, i+1)
	end = skipValue(d, i)
	if end <= i {
		return nil, nil, false
	}
	it.i = end
	return key, d[i:end], true
}

func skipSpace(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the valid JSON value starting at d[i].
func skipValue(d []byte, i int) int {
	if i >= len(d) {
		return i
	}
	switch d[i] {
	case '"':
		for i++; i < len(d); i++ {
			switch d[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return i
	case '{', '[':
		depth := 0
		for ; i < len(d); i++ {
			switch d[i] {
			case '"':
				i = skipValue(d, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(d) && d[i] != ',' && d[i] != '}' && d[i] != ']' && d[i] != ' ' && d[i] != '\t' && d[i] != '\n' && d[i] != '\r' {
		i++
	}
	return i
}

// parseInt parses a JSON integer that fits an int without loss.
func parseInt(v []byte) (int, bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 15 {
		return 0, false
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// unquote decodes a JSON string value known to be valid, as
// encoding/json would, using buf for escaped strings.
func unquote(v []byte, buf *[]byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false // null or not a string: leave it to encoding/json
	}
	v = v[1 : len(v)-1]
	if !utf8.Valid(v) {
		return "", false // encoding/json replaces bad bytes with U+FFFD
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v), true
	}
	b := (*buf)[:0]
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		switch v[i] {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(v[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 < len(v) && v[i+1] == '\\' && v[i+2] == 'u' {
					r2 = hex4(v[i+3 : i+7])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
		default: // '"', '\\', '/'
			b = append(b, v[i])
		}
	}
	*buf = b
	return string(b), true
}

func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
