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
	"sync"
)

// MaxLine is the longest line the reader accepts.
const MaxLine = 4 << 20

// ErrLineTooLong is returned for a line longer than MaxLine.
var ErrLineTooLong = errors.New("sse: line too long")

// Event is one dispatched event.
type Event struct {
	// Name is the event type ("message" is reported as "").
	Name string
	// Data is the event's data lines joined by "\n". It is only valid until
	// the next call to Next.
	Data []byte
	// ID is the last event id seen, if any.
	ID string
}

// Reader reads events from a stream.
type Reader struct {
	r       *bufio.Reader
	data    []byte
	name    []byte
	id      string
	started bool
	line    []byte
	names   []string // event names seen, so that each is allocated once
}

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

// Put returns a reader taken with Get to the pool. The reader must not be
// used again.
func Put(r *Reader) {
	r.Reset(nil)
	if cap(r.data) > 64<<10 || cap(r.line) > 64<<10 {
		return // keep outsized buffers out of the pool
	}
	pool.Put(r)
}

// Reset makes the reader read events from r afresh, keeping its buffers,
// so that adapters can pool readers across streams.
func (r *Reader) Reset(rd io.Reader) {
	r.r.Reset(rd)
	r.data, r.name, r.line = r.data[:0], r.name[:0], r.line[:0]
	r.id, r.started = "", false
}

// Next returns the next event. At the end of the stream it returns io.EOF;
// an event not yet terminated by a blank line when the stream ends is
// returned with io.ErrUnexpectedEOF, so callers can tell a cut stream.
func (r *Reader) Next() (Event, error) {
	r.data = r.data[:0]
	r.name = r.name[:0]
	hasData := false
	pending := false // a field was read since the last dispatch
	for {
		line, err := r.readLine()
		if err != nil {
			if err == io.EOF && pending {
				return Event{Name: r.eventName(), Data: r.data, ID: r.id}, io.ErrUnexpectedEOF
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if !hasData {
				// A blank line after only a comment or an event name
				// dispatches nothing (as the spec says).
				r.name = r.name[:0]
				pending = false
				continue
			}
			return Event{Name: r.eventName(), Data: r.data, ID: r.id}, nil
		}
		if line[0] == ':' {
			continue // comment (keep-alive)
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		pending = true
		switch string(field) {
		case "data":
			if hasData {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
			hasData = true
		case "event":
			r.name = append(r.name[:0], value...)
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				r.id = string(value)
			}
		}
	}
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
				// A last line without terminator: the stream was cut.
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		break
	}
	line := r.line[:len(r.line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if !r.started {
		r.started = true
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	return line, nil
}
