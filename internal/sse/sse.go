// Package sse reads Server-Sent Events (the WHATWG "text/event-stream"
// format) as the OpenAI, Anthropic and Gemini streaming APIs send them. It
// is a pull reader: Next returns one event at a time, and its Data is valid
// until the next call, so reading allocates nothing per event once the
// buffers have grown.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"sync"
)

// MaxLine is the longest line the reader accepts.
const MaxLine = 4 << 20

// MaxEvent is the default bound on one event: the bytes of its data lines
// (and, with KeepOther, of its other lines) joined. A stream can send an
// event of any size in lines shorter than MaxLine; the bound keeps one
// event from taking unbounded memory. SetMaxEvent changes it per reader.
const MaxEvent = 8 << 20

// ErrLineTooLong is returned for a line longer than MaxLine.
var ErrLineTooLong = errors.New("sse: line too long")

// EventTooLargeError is returned by Next for an event larger than the
// reader's bound (MaxEvent, or what SetMaxEvent set). Next returns it as
// soon as the bound is passed, without reading the rest of the event; the
// stream cannot be read on.
type EventTooLargeError struct {
	Limit int // the bound, in bytes
}

func (e *EventTooLargeError) Error() string {
	return "sse: event larger than " + strconv.Itoa(e.Limit) + " bytes"
}

// TooLarge reports whether err says the stream sent more than the reader
// accepts: a line longer than MaxLine or an event over the reader's bound.
// Adapters report both as a malformed stream.
func TooLarge(err error) bool {
	var e *EventTooLargeError
	return errors.Is(err, ErrLineTooLong) || errors.As(err, &e)
}

// Event is one dispatched event.
type Event struct {
	// Name is the event type ("message" is reported as "").
	Name string
	// Data is the event's data lines joined by "\n". It is only valid until
	// the next call to Next.
	Data []byte
	// ID is the last event id seen, if any.
	ID string
	// Other holds the event's lines that are neither a comment nor a field
	// of the format (data, event, id, retry), joined by "\n", when the
	// reader keeps them (KeepOther); otherwise it is nil. It is only valid
	// until the next call to Next.
	Other []byte
}

// Reader reads events from a stream.
type Reader struct {
	r         *bufio.Reader
	data      []byte
	other     []byte
	name      []byte
	id        string
	started   bool
	hasData   bool // the event being read has a data line
	hasOther  bool // ... or, with keepOther, another line
	keepOther bool
	maxEvent  int // 0: MaxEvent
	line      []byte
	names     []string // event names seen, so that each is allocated once
}

// SetMaxEvent bounds the size of one event (its data, and its other lines
// when kept) to n bytes; n <= 0 restores MaxEvent. Over the bound Next
// returns an *EventTooLargeError.
func (r *Reader) SetMaxEvent(n int) { r.maxEvent = max(n, 0) }

// KeepOther sets whether Next reports the lines that are not fields of the
// format in Event.Other. By default, as the format says, such lines are
// ignored. A provider that writes something else than events into the
// stream (Gemini sends an error as a bare JSON object) needs them: with
// KeepOther(true) a block of such lines ends at a blank line like an event
// and is dispatched even without data.
func (r *Reader) KeepOther(keep bool) { r.keepOther = keep }

// eventName returns the current event name as a string, reusing a string seen
// before: streams use a handful of names over and over.
func (r *Reader) eventName() string {
	if len(r.name) == 0 {
		return ""
	}
	for _, n := range r.names {
		if n == string(r.name) { // no allocation for the comparison
			return n
		}
	}
	n := string(r.name)
	if len(r.names) < 32 {
		r.names = append(r.names, n)
	}
	return n
}

// NewReader returns a reader of the events in r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 16<<10)}
}

var pool = sync.Pool{New: func() any { return &Reader{r: bufio.NewReaderSize(nil, 16<<10)} }}

// Get returns a pooled reader of the events in r: streams reuse one
// another's buffers instead of allocating 16 KiB each. Give it back with Put
// once the stream is done with it and with every Event it returned.
func Get(r io.Reader) *Reader {
	rd := pool.Get().(*Reader)
	rd.Reset(r)
	return rd
}

// Put returns a reader taken with Get to the pool, its settings back to
// the defaults. The reader must not be used again.
func Put(r *Reader) {
	r.Reset(nil)
	r.keepOther, r.maxEvent = false, 0
	if cap(r.data) > 64<<10 || cap(r.line) > 64<<10 || cap(r.other) > 64<<10 {
		return // keep outsized buffers out of the pool
	}
	pool.Put(r)
}

// Reset makes the reader read events from r afresh, keeping its buffers
// and settings, so that adapters can pool readers across streams.
func (r *Reader) Reset(rd io.Reader) {
	r.r.Reset(rd)
	r.data, r.other, r.name, r.line = r.data[:0], r.other[:0], r.name[:0], r.line[:0]
	r.id, r.started = "", false
}

// Next returns the next event. At the end of the stream it returns io.EOF;
// an event not yet terminated by a blank line when the stream ends (its
// last line may lack its line end too) is returned with
// io.ErrUnexpectedEOF, so callers can tell a cut stream.
func (r *Reader) Next() (Event, error) {
	r.data, r.other, r.name = r.data[:0], r.other[:0], r.name[:0]
	r.hasData, r.hasOther = false, false
	pending := false // a field was read since the last dispatch
	for {
		line, err := r.readLine()
		if err != nil {
			if err == io.ErrUnexpectedEOF && len(line) > 0 {
				// The last line lacks its line end: read it as any other,
				// then report the event as cut.
				if line[0] != ':' {
					if ferr := r.field(line); ferr != nil {
						return Event{}, ferr
					}
				}
				return r.event(), err
			}
			if (err == io.EOF || err == io.ErrUnexpectedEOF) && pending {
				return r.event(), io.ErrUnexpectedEOF
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if !r.hasData && !r.hasOther {
				// A blank line after only a comment or an event name
				// dispatches nothing (as the spec says).
				r.name = r.name[:0]
				pending = false
				continue
			}
			return r.event(), nil
		}
		if line[0] == ':' {
			continue // comment (keep-alive)
		}
		pending = true
		if err := r.field(line); err != nil {
			return Event{}, err
		}
	}
}

// field applies one line of the event being read (not a comment).
func (r *Reader) field(line []byte) error {
	field, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		field, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(field) {
	case "data":
		var err error
		if r.data, err = r.add(r.data, value, r.hasData); err != nil {
			return err
		}
		r.hasData = true
	case "event":
		r.name = append(r.name[:0], value...)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			r.id = string(value)
		}
	case "retry":
		// A reconnection delay: a pull reader does not reconnect.
	default:
		if !r.keepOther {
			return nil // an unknown field is ignored, as the spec says
		}
		var err error
		if r.other, err = r.add(r.other, line, r.hasOther); err != nil {
			return err
		}
		r.hasOther = true
	}
	return nil
}

// add appends v to b (one of the event's buffers), after a newline if sep,
// unless that takes the event past the reader's bound. b grows by doubling
// up to the bound, so an event near the bound costs about twice its size
// in allocations, not the five times append's gentler growth would.
func (r *Reader) add(b, v []byte, sep bool) ([]byte, error) {
	limit := r.maxEvent
	if limit == 0 {
		limit = MaxEvent
	}
	n := len(v)
	if sep {
		n++
	}
	if len(r.data)+len(r.other)+n > limit {
		return b, &EventTooLargeError{Limit: limit}
	}
	if need := len(b) + n; need > cap(b) {
		nb := make([]byte, len(b), min(max(2*cap(b), need, 512), limit))
		copy(nb, b)
		b = nb
	}
	if sep {
		b = append(b, '\n')
	}
	return append(b, v...), nil
}

// event returns the event read so far.
func (r *Reader) event() Event {
	e := Event{Name: r.eventName(), Data: r.data, ID: r.id}
	if r.hasOther {
		e.Other = r.other
	}
	return e
}

// readLine returns the next line without its terminator (LF or CRLF).
func (r *Reader) readLine() ([]byte, error) {
	r.line = r.line[:0]
	for {
		chunk, err := r.r.ReadSlice('\n')
		r.line = append(r.line, chunk...)
		if len(r.line) > MaxLine {
			return nil, ErrLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(r.line) > 0 {
				// A last line without terminator: the stream was cut
				// (or its writer did not end its last line).
				return r.trim(r.line), io.ErrUnexpectedEOF
			}
			return nil, err
		}
		break
	}
	return r.trim(r.line[:len(r.line)-1]), nil
}

// trim drops a line's CR and, on the first line, the byte order mark.
func (r *Reader) trim(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if !r.started {
		r.started = true
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	return line
}
