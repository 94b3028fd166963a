// Package sse reads and writes Server-Sent Events as the AI vendors use them:
// optional "event:" lines, one or more "data:" lines, a blank line between
// events. The reader is bounded (a hostile or broken upstream cannot make it
// buffer without limit) and hands out slices of its own buffer, so reading a
// stream allocates nothing per event.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"sync"
)

// MaxEventSize bounds one event (all its data lines together). Vendors'
// largest single events (a whole tool call's arguments from Gemini) stay far
// below it.
const MaxEventSize = 8 << 20

// ErrTooLarge is returned when an event exceeds the reader's limit.
var ErrTooLarge = errors.New("sse: event too large")

// Event is one parsed event. Name is empty when the event had no "event:"
// line. Both slices are only valid until the next call to Reader.Next.
type Event struct {
	Name []byte
	Data []byte
}

// NameIs reports whether the event's name equals s, without allocating.
func (e Event) NameIs(s string) bool { return string(e.Name) == s }

// IsDone reports the OpenAI terminal sentinel "data: [DONE]".
func (e Event) IsDone() bool { return string(e.Data) == "[DONE]" }

// Reader parses events from a stream.
type Reader struct {
	br    *bufio.Reader
	limit int
	name  []byte
	data  []byte
	raw   int // bytes consumed so far, for metrics
}

// NewReader returns a Reader with the default event size limit.
func NewReader(r io.Reader) *Reader { return NewReaderSize(r, MaxEventSize) }

// NewReaderSize returns a Reader that refuses events larger than limit.
func NewReaderSize(r io.Reader, limit int) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, readBufSize), limit: limit}
}

// readBufSize: 4 KiB holds a typical burst of deltas; longer lines still
// work (see readLine) and 1,000 open streams cost 12 MiB less than with
// 16 KiB.
const readBufSize = 4 << 10

// readers keeps Readers between streams: a gateway relays thousands of short
// streams a second, and a fresh Reader's 4 KiB buffer was an eighth of the
// bytes a small pass-through stream allocated (scripts/bench.sh: the
// collector's pace, which shows in the p99).
var readers = sync.Pool{New: func() any { return &Reader{br: bufio.NewReaderSize(nil, readBufSize)} }}

// maxKeptData: a Reader goes back to the pool without a data buffer grown
// past this (one huge event must not stay pinned).
const maxKeptData = 64 << 10

// Borrow is NewReader from a pool. Give it back with Release.
func Borrow(r io.Reader) *Reader {
	rd := readers.Get().(*Reader)
	rd.br.Reset(r)
	rd.limit, rd.raw = MaxEventSize, 0
	return rd
}

// Release gives a Borrowed Reader back. Neither it nor any Event it
// returned may be used after.
func (r *Reader) Release() {
	r.br.Reset(nil) // Next empties name and data
	if cap(r.data) > maxKeptData {
		r.data = nil
	}
	if cap(r.name) > maxKeptData {
		r.name = nil
	}
	readers.Put(r)
}

// BytesRead is how many bytes of the underlying stream have been consumed.
func (r *Reader) BytesRead() int { return r.raw }

// Next returns the next event with data or a name. Comment lines and events
// with neither are skipped. At the end of the stream it returns io.EOF; an
// incomplete final event (no blank line before EOF) is still returned first,
// since several upstreams end their last event without one.
func (r *Reader) Next() (Event, error) {
	r.name = r.name[:0]
	r.data = r.data[:0]
	hasData, hasName := false, false
	for {
		line, err := r.readLine()
		if err != nil {
			if (err == io.EOF || err == io.ErrUnexpectedEOF) && (hasData || hasName) {
				return Event{Name: r.name, Data: r.data}, nil
			}
			return Event{}, err
		}
		if len(line) == 0 { // blank line: dispatch
			if hasData || hasName {
				return Event{Name: r.name, Data: r.data}, nil
			}
			continue
		}
		if line[0] == ':' { // comment / heartbeat
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if hasData {
				r.data = append(r.data, '\n')
			}
			if len(r.data)+len(value) > r.limit {
				return Event{}, ErrTooLarge
			}
			r.data = append(r.data, value...)
			hasData = true
		case "event":
			r.name = append(r.name[:0], value...)
			hasName = true
		}
		// "id", "retry" and unknown fields are ignored.
	}
}

// readLine returns one line without its terminator (\n, \r\n or \r). The
// slice aliases the bufio buffer unless the line is longer than it.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		buf := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			if len(buf) > r.limit {
				return nil, ErrTooLarge
			}
			line, err = r.br.ReadSlice('\n')
			buf = append(buf, line...)
		}
		line = buf
	}
	r.raw += len(line)
	if err != nil {
		if len(line) == 0 {
			return nil, err
		}
		// Last line without a newline: treat it as a line, report EOF next.
		return trimEOL(line), nil
	}
	return trimEOL(line), nil
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// CompleteEventBuffered reports whether a whole further event has already
// been received (a blank line is buffered). Writers use it to coalesce a
// burst of events into one write without holding back an event whose
// successor is still on its way.
func (r *Reader) CompleteEventBuffered() bool {
	n := r.br.Buffered()
	if n == 0 {
		return false
	}
	b, _ := r.br.Peek(n)
	return bytes.Contains(b, []byte("\n\n")) || bytes.Contains(b, []byte("\r\r")) || bytes.Contains(b, []byte("\r\n\r\n"))
}
