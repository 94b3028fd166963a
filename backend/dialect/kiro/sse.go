package kiro

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"switchboard/backend/dialect/jsonw"
	"switchboard/backend/ir"
)

// The gateway reads every streamed answer as SSE (its pump, idle timeout,
// fallback-before-first-byte and stream-to-JSON paths all start from an
// sse.Reader). Rather than teach it a second framing, the provider hands it
// Kiro's event stream re-framed as SSE (SSEBody): one SSE event per message,
// named for it, the payload as data. The stream decoder then reads those
// events like any dialect's.
//
// Event names. An upstream event keeps its :event-type, with every
// character outside [A-Za-z0-9_.#-] replaced by '_', so it never holds a
// ':'. The names with a ':' are the re-framer's own:
//
//	exception:<type>  an exception message (payload as sent)
//	error:<code>      an error message ({"message": :error-message})
//	swb:end           the stream ended cleanly between messages
//	swb:broken        a message was truncated or corrupt ({"kind","message"})
//
// Kiro has no terminal event of its own, so swb:end is what tells a
// complete answer from a cut one. A failure of the connection itself is
// returned as the read error, as from any body, for the gateway to
// classify (idle timeout, client gone, network).
const (
	evEnd    = "swb:end"
	evBroken = "swb:broken"
)

// SSEBody presents body, a Kiro answer in the AWS event-stream framing, as
// SSE events (see above). Closing it closes body.
func SSEBody(body io.ReadCloser) io.ReadCloser {
	return &sseBody{rc: body, fr: newFrameReader(body)}
}

// ContentType is what an answer SSEBody wraps is labeled by the upstream.
const ContentType = "application/vnd.amazon.eventstream"

type sseBody struct {
	rc   io.ReadCloser
	fr   *frameReader
	out  []byte // encoded events not yet read
	off  int
	done bool
	err  error // returned once out is drained after done
}

func (b *sseBody) Read(p []byte) (int, error) {
	for b.off == len(b.out) {
		if b.done {
			return 0, b.err
		}
		b.out, b.off = b.out[:0], 0
		b.fill()
	}
	n := copy(p, b.out[b.off:])
	b.off += n
	return n, nil
}

func (b *sseBody) Close() error { return b.rc.Close() }

// fill encodes the next message (or the end) into out.
func (b *sseBody) fill() {
	f, err := b.fr.next()
	var fe *frameError
	switch {
	case err == nil:
		b.out = appendFrame(b.out, &f)
	case errors.Is(err, io.EOF):
		b.out = appendEvent(b.out, evEnd, nil)
		b.done, b.err = true, io.EOF
	case errors.As(err, &fe):
		kind := ir.KindUpstream5xx
		if fe.truncated {
			kind = ir.KindStreamInterrupted
		}
		data := jsonw.AppendStringField([]byte("{"), "kind", kind.String())
		data = append(jsonw.AppendStringField(data, "message", fe.msg), '}')
		b.out = appendEvent(b.out, evBroken, data)
		b.done, b.err = true, io.EOF
	default:
		b.done, b.err = true, err
	}
}

// appendFrame writes one message as an SSE event; message types other than
// event, exception and error write nothing.
func appendFrame(dst []byte, f *frame) []byte {
	switch f.messageType {
	case "event", "":
		return appendEvent(dst, eventName(f.eventType), f.payload)
	case "exception":
		return appendEvent(dst, "exception:"+eventName(f.exceptionType), f.payload)
	case "error":
		data := append(jsonw.AppendStringField([]byte("{"), "message", f.errorMessage), '}')
		return appendEvent(dst, "error:"+eventName(f.errorCode), data)
	}
	return dst
}

// appendEvent writes "event: name" and the payload as data lines. Carriage
// returns become spaces: SSE would read them as line ends, and in a JSON
// payload one can only be whitespace.
func appendEvent(dst []byte, name string, payload []byte) []byte {
	dst = append(append(append(dst, "event: "...), name...), '\n')
	for len(payload) > 0 {
		line := payload
		if i := bytes.IndexByte(payload, '\n'); i >= 0 {
			line, payload = payload[:i], payload[i+1:]
		} else {
			payload = nil
		}
		dst = append(dst, "data: "...)
		start := len(dst)
		dst = append(dst, line...)
		for i := start; i < len(dst); i++ {
			if dst[i] == '\r' {
				dst[i] = ' '
			}
		}
		dst = append(dst, '\n')
	}
	return append(dst, '\n')
}

// eventName keeps a header value to the characters an event name may hold
// (no ':', which marks the re-framer's own names), at most 128 of them.
func eventName(s string) string {
	if s == "" {
		return "unnamed"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '#', r == '-':
			return r
		}
		return '_'
	}, s[:min(len(s), 128)])
}
