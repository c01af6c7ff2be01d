package openai

import (
	"errors"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a small pull JSON reader over one complete document: the
// response and chunk decoders walk it field by field, so decoding allocates
// only the strings it keeps. It is strict about syntax (a document
// encoding/json rejects, it rejects too) and never panics; the first error
// sticks and every later call returns zero values.
type scanner struct {
	b       []byte
	i       int
	err     error
	depth   int
	scratch []byte // unescaped string bytes; valid until the next str call
}

// maxDepth bounds nesting in skipped values.
const maxDepth = 512

var (
	errSyntax = errors.New("invalid JSON")
	errDepth  = errors.New("JSON nested too deeply")
)

func (s *scanner) reset(b []byte) {
	s.b, s.i, s.err, s.depth = b, 0, nil, 0
}

func (s *scanner) fail(err error) {
	if s.err == nil {
		s.err = err
	}
	s.i = len(s.b)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// end checks that nothing but space follows the document.
func (s *scanner) end() error {
	if s.err == nil {
		s.ws()
		if s.i != len(s.b) {
			s.fail(errSyntax)
		}
	}
	return s.err
}

func (s *scanner) literal(lit string) {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		s.fail(errSyntax)
		return
	}
	s.i += len(lit)
}

// object consumes '{' and reports true; for null it consumes it and reports
// false; anything else is an error.
func (s *scanner) object() bool {
	switch s.peek() {
	case '{':
		s.i++
		return true
	case 'n':
		s.literal("null")
	default:
		s.fail(errSyntax)
	}
	return false
}

// key reads the next key of an object opened by object, and the colon after
// it; it returns false at the closing brace or on error. n counts the keys
// read so far (start it at 0).
func (s *scanner) key(n *int) ([]byte, bool) {
	c := s.peek()
	if c == '}' {
		s.i++
		return nil, false
	}
	if *n > 0 {
		if c != ',' {
			s.fail(errSyntax)
			return nil, false
		}
		s.i++
		c = s.peek()
	}
	if c != '"' {
		s.fail(errSyntax)
		return nil, false
	}
	*n++
	k := s.str()
	if s.peek() != ':' {
		s.fail(errSyntax)
		return nil, false
	}
	s.i++
	return k, s.err == nil
}

// array consumes '[' and reports true; for null it consumes it and reports
// false; anything else is an error.
func (s *scanner) array() bool {
	switch s.peek() {
	case '[':
		s.i++
		return true
	case 'n':
		s.literal("null")
	default:
		s.fail(errSyntax)
	}
	return false
}

// elem moves to the next element of an array opened by array; it returns
// false at the closing bracket or on error. n counts the elements so far.
func (s *scanner) elem(n *int) bool {
	c := s.peek()
	if c == ']' {
		s.i++
		return false
	}
	if *n > 0 {
		if c != ',' {
			s.fail(errSyntax)
			return false
		}
		s.i++
		if s.peek() == ']' {
			s.fail(errSyntax)
			return false
		}
	}
	if s.i >= len(s.b) {
		s.fail(errSyntax)
		return false
	}
	*n++
	return s.err == nil
}

// str reads a string value and returns its unescaped bytes, valid until the
// next call. null reads as empty; any other value is an error.
func (s *scanner) str() []byte {
	c := s.peek()
	if c != '"' {
		if c == 'n' {
			s.literal("null")
		} else {
			s.fail(errSyntax)
		}
		return nil
	}
	s.i++
	start := s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v
		case c == '\\':
			return s.unescape(start)
		case c < 0x20:
			s.fail(errSyntax)
			return nil
		default:
			s.i++
		}
	}
	s.fail(errSyntax)
	return nil
}

// string reads a string value into a new Go string ("" for null).
func (s *scanner) string() string {
	v := s.str()
	if len(v) == 0 {
		return ""
	}
	return string(v)
}

// unescape decodes the rest of a string that has escapes, from start (just
// after the opening quote), into s.scratch.
func (s *scanner) unescape(start int) []byte {
	out := append(s.scratch[:0], s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			s.scratch = out
			return out
		case c < 0x20:
			s.fail(errSyntax)
			return nil
		case c != '\\':
			out = append(out, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			break
		}
		e := s.b[s.i+1]
		s.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				s.fail(errSyntax)
				return nil
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					save := s.i
					s.i += 2
					if v, ok := s.hex4(); ok {
						r2 = v
					} else {
						s.fail(errSyntax)
						return nil
					}
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						out = utf8.AppendRune(out, d)
						continue
					}
					s.i = save // not a pair: the second escape stands alone
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			s.fail(errSyntax)
			return nil
		}
	}
	s.fail(errSyntax)
	return nil
}

func (s *scanner) hex4() (rune, bool) {
	if len(s.b)-s.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.i += 4
	return r, true
}

// number reads a number token and returns its bytes.
func (s *scanner) number() []byte {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	first := s.i
	n := s.digits()
	if n == 0 || (n > 1 && s.b[first] == '0') {
		s.fail(errSyntax)
		return nil
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			s.fail(errSyntax)
			return nil
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			s.fail(errSyntax)
			return nil
		}
	}
	return s.b[start:s.i]
}

// digits passes over a run of digits and returns how many there were.
func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// int reads a number as an int (fractions truncated, out of range clamped);
// null reads as 0; any other value is an error.
func (s *scanner) int() int {
	c := s.peek()
	if c == 'n' {
		s.literal("null")
		return 0
	}
	if c != '-' && (c < '0' || c > '9') {
		s.fail(errSyntax)
		return 0
	}
	tok := s.number()
	if s.err != nil {
		return 0
	}
	v := 0
	for j, c := range tok {
		if j == 0 && c == '-' {
			continue
		}
		if c < '0' || c > '9' {
			// A fraction or an exponent: rare, so parse it the slow way.
			f, _ := strconv.ParseFloat(string(tok), 64)
			switch {
			case f >= math.MaxInt:
				return math.MaxInt
			case f <= math.MinInt:
				return math.MinInt
			}
			return int(f)
		}
		if v > (math.MaxInt-9)/10 {
			v = math.MaxInt
			break
		}
		v = v*10 + int(c-'0')
	}
	if tok[0] == '-' {
		return -v
	}
	return v
}

// skip reads and discards any value, checking its syntax, and returns the
// raw bytes it spanned.
func (s *scanner) skip() []byte {
	c := s.peek()
	start := s.i
	switch {
	case c == '{':
		if s.depth++; s.depth > maxDepth {
			s.fail(errDepth)
			return nil
		}
		s.i++
		n := 0
		for _, ok := s.key(&n); ok; _, ok = s.key(&n) {
			s.skip()
		}
		s.depth--
	case c == '[':
		if s.depth++; s.depth > maxDepth {
			s.fail(errDepth)
			return nil
		}
		s.i++
		n := 0
		for s.elem(&n) {
			s.skip()
		}
		s.depth--
	case c == '"':
		s.skipString()
	case c == 't':
		s.literal("true")
	case c == 'f':
		s.literal("false")
	case c == 'n':
		s.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		s.number()
	default:
		s.fail(errSyntax)
	}
	if s.err != nil {
		return nil
	}
	return s.b[start:s.i]
}

// skipString passes over a string without unescaping it.
func (s *scanner) skipString() {
	s.i++ // opening quote
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return
		case c < 0x20:
			s.fail(errSyntax)
			return
		case c == '\\':
			if s.i+1 >= len(s.b) {
				s.fail(errSyntax)
				return
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				s.i += 2
				if _, ok := s.hex4(); !ok {
					s.fail(errSyntax)
					return
				}
			default:
				s.fail(errSyntax)
				return
			}
		default:
			s.i++
		}
	}
	s.fail(errSyntax)
}
