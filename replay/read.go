package replay

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"

	"github.com/llmrouter/llmrouter"
)

// LineError is a record that could not be read, with its line in the log.
type LineError struct {
	// Line is the record's line, from 1.
	Line int
	// Err is the cause: a *llmrouter.RecordDecodeError naming the faulty
	// key, or the reader's error.
	Err error
}

// Error names the line, then the cause.
func (e *LineError) Error() string {
	return "replay: line " + strconv.Itoa(e.Line) + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// Decoder reads lineage records from a decision log: one JSON object a
// line, the form llmrouter.JSONLSink writes (Record.AppendJSON). Blank lines
// are skipped; a line longer than MaxLine is an error. A Decoder is not
// safe for concurrent use.
type Decoder struct {
	r    *bufio.Reader
	line int
}

// MaxLine bounds a record's line: 64 MiB, far above a record with content
// capture on (whose answer is cut at 1 MiB), so that a corrupt log cannot
// take all memory.
const MaxLine = 64 << 20

// NewDecoder returns a decoder reading from r.
func NewDecoder(r io.Reader) *Decoder { return &Decoder{r: bufio.NewReaderSize(r, 64<<10)} }

// Next returns the next record, io.EOF after the last, or a *LineError
// naming the line of a record it cannot read (which ends the log: the
// caller decides whether to go on).
func (d *Decoder) Next() (*llmrouter.Record, error) {
	for {
		b, err := d.readLine()
		if len(b) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, &LineError{Line: d.line + 1, Err: err}
		}
		d.line++
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		rec := new(llmrouter.Record)
		if err := rec.UnmarshalJSON(b); err != nil {
			return nil, &LineError{Line: d.line, Err: err}
		}
		return rec, nil
	}
}

// readLine reads up to and including the next newline, or to the end.
func (d *Decoder) readLine() ([]byte, error) {
	var line []byte
	for {
		chunk, err := d.r.ReadSlice('\n')
		if len(line)+len(chunk) > MaxLine {
			return nil, errors.New("line longer than " + strconv.Itoa(MaxLine>>20) + " MiB")
		}
		line = append(line, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
	}
}

// ReadAll reads every record of a decision log, stopping at the first it
// cannot read.
func ReadAll(r io.Reader) ([]*llmrouter.Record, error) {
	d := NewDecoder(r)
	var recs []*llmrouter.Record
	for {
		rec, err := d.Next()
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, rec)
	}
}
