package kiro

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"slices"
	"strconv"
)

// The AWS event-stream framing Kiro answers in (content type
// application/vnd.amazon.eventstream), as AWS documents it for its other
// streaming services (Transcribe, Lex: "Event stream encoding"; the CRCs
// are GZIP's CRC-32). Each message is
//
//	total length   uint32, big endian: the whole message, these 4 bytes included
//	headers length uint32
//	prelude CRC    CRC-32 (IEEE) of the 8 bytes above
//	headers        name length (1 byte), name, value type (1 byte), value
//	payload        the rest (JSON for Kiro's events)
//	message CRC    CRC-32 (IEEE) of everything before it
//
// Header values are typed: 0/1 bool true/false (no bytes), 2 byte, 3 int16,
// 4 int32, 5 int64, 6 bytes and 7 string (uint16 length first), 8
// timestamp (int64), 9 UUID (16 bytes). Kiro only sends strings.

const (
	preludeLen = 12
	crcLen     = 4
	minFrame   = preludeLen + crcLen
	// maxFrame bounds one message, and so the reader's one allocation.
	// Kiro's events are a few KiB (a tool call's input comes in pieces);
	// the format allows 16 MiB of payload, far more than Kiro ever sends.
	maxFrame = 8 << 20
	// maxHeaders is the format's own limit on the headers section.
	maxHeaders = 128 << 10
)

// frame is one message. Payload aliases the reader's buffer and is valid
// until the next call to next.
type frame struct {
	messageType   string // ":message-type": event | exception | error
	eventType     string // ":event-type"
	exceptionType string // ":exception-type"
	errorCode     string // ":error-code"
	errorMessage  string // ":error-message"
	payload       []byte
}

// frameError is a message that cannot be read: the body ended inside it
// (truncated), or it is corrupt (a CRC, a length or a header that does not
// add up).
type frameError struct {
	truncated bool
	msg       string
}

func (e *frameError) Error() string { return "kiro: event stream: " + e.msg }

func corrupt(msg string) error { return &frameError{msg: msg} }

// frameReader reads messages one at a time, holding at most one in memory.
type frameReader struct {
	r   io.Reader
	buf []byte
}

func newFrameReader(r io.Reader) *frameReader { return &frameReader{r: r} }

// next returns the next message. At a clean end between messages it
// returns io.EOF; a truncated or corrupt message is a *frameError; any
// other error is the underlying reader's (the connection's).
func (fr *frameReader) next() (frame, error) {
	var prelude [preludeLen]byte
	if _, err := io.ReadFull(fr.r, prelude[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return frame{}, &frameError{truncated: true, msg: "the stream ended inside a message's prelude"}
		}
		return frame{}, err // io.EOF: nothing more; anything else: the transport's
	}
	total := binary.BigEndian.Uint32(prelude[0:4])
	hlen := binary.BigEndian.Uint32(prelude[4:8])
	if crc32.ChecksumIEEE(prelude[:8]) != binary.BigEndian.Uint32(prelude[8:12]) {
		return frame{}, corrupt("prelude CRC mismatch")
	}
	if total < minFrame || total > maxFrame {
		return frame{}, corrupt("message length " + strconv.FormatUint(uint64(total), 10) + " is out of range")
	}
	if hlen > maxHeaders || hlen > total-minFrame {
		return frame{}, corrupt("headers length " + strconv.FormatUint(uint64(hlen), 10) + " does not fit the message")
	}
	rest := int(total) - preludeLen
	fr.buf = slices.Grow(fr.buf[:0], rest)[:rest]
	if _, err := io.ReadFull(fr.r, fr.buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return frame{}, &frameError{truncated: true, msg: "the stream ended inside a message"}
		}
		return frame{}, err
	}
	body := fr.buf[:rest-crcLen]
	crc := crc32.Update(crc32.ChecksumIEEE(prelude[:]), crc32.IEEETable, body)
	if crc != binary.BigEndian.Uint32(fr.buf[rest-crcLen:]) {
		return frame{}, corrupt("message CRC mismatch")
	}
	f := frame{payload: body[hlen:]}
	if err := parseHeaders(body[:hlen], &f); err != nil {
		return frame{}, err
	}
	return f, nil
}

// fixedSize is the value size of the fixed-width header types; -1 marks
// the length-prefixed ones (6 bytes, 7 string).
var fixedSize = [...]int{0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 6: -1, 7: -1, 8: 8, 9: 16}

// parseHeaders walks the headers section, keeping the string headers Kiro
// uses and checking the encoding of all of them.
func parseHeaders(h []byte, f *frame) error {
	for len(h) > 0 {
		nl := int(h[0])
		if nl == 0 || len(h) < 1+nl+1 {
			return corrupt("a header name runs past the headers")
		}
		name, typ := h[1:1+nl], h[1+nl]
		h = h[2+nl:]
		if int(typ) >= len(fixedSize) {
			return corrupt("unknown header value type " + strconv.Itoa(int(typ)))
		}
		size := fixedSize[typ]
		var val []byte
		if size < 0 {
			if len(h) < 2 {
				return corrupt("a header value length runs past the headers")
			}
			size = int(binary.BigEndian.Uint16(h))
			h = h[2:]
			val = h[:min(size, len(h))]
		}
		if len(h) < size {
			return corrupt("a header value runs past the headers")
		}
		h = h[size:]
		if typ == 7 {
			setHeader(f, string(name), string(val))
		}
	}
	return nil
}

func setHeader(f *frame, name, val string) {
	switch name {
	case ":message-type":
		f.messageType = val
	case ":event-type":
		f.eventType = val
	case ":exception-type":
		f.exceptionType = val
	case ":error-code":
		f.errorCode = val
	case ":error-message":
		f.errorMessage = val
	}
}
