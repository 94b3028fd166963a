package kiro

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"switchboard/backend/dialect/anthropic"
	"switchboard/backend/dialect/kiro/kirotest"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// seedStreams adds every stream case's bytes, and a few damaged ones.
func seedStreams(f *testing.F) {
	for _, path := range streamCases(f) {
		f.Add(buildStream(f, readSteps(f, path)))
	}
	f.Add(withPrelude(kirotest.Text("x"), maxFrame, 0)) // a huge message announced, nothing sent
	f.Add(withHeaders([]byte{1, 'a', 7, 0xff, 0xff}))
	f.Add([]byte{0, 0, 0})
}

// FuzzFrameReader: any bytes end in io.EOF or a frame error, after at most
// one message per 16 bytes, and no message is larger than the limit.
func FuzzFrameReader(f *testing.F) {
	seedStreams(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := newFrameReader(bytes.NewReader(data))
		for n := 0; ; n++ {
			if n > len(data)/minFrame {
				t.Fatalf("%d messages from %d bytes", n, len(data))
			}
			fm, err := fr.next()
			var fe *frameError
			switch {
			case errors.Is(err, io.EOF), errors.As(err, &fe):
				return
			case err != nil:
				t.Fatalf("unexpected error %T: %v", err, err)
			}
			if len(fm.payload) > maxFrame || cap(fr.buf) > maxFrame {
				t.Fatalf("message of %d bytes (buffer %d)", len(fm.payload), cap(fr.buf))
			}
		}
	})
}

// FuzzStreamDecoder: any body, read the way the gateway reads Kiro, ends
// with a stop or an error, and the events make a stream an Anthropic client
// encoder turns into valid frames.
func FuzzStreamDecoder(f *testing.F) {
	seedStreams(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := sse.NewReaderSize(SSEBody(io.NopCloser(bytes.NewReader(data))), 1<<20)
		d := newStreamDecoder()
		enc := anthropic.Codec.NewStreamEncoder(&ir.Request{Model: "m"})
		var last ir.Event
		emit := func(evs []ir.Event) {
			for i := range evs {
				out := enc.Encode(nil, &evs[i])
				for _, line := range bytes.Split(out, []byte("\n")) {
					if d, ok := bytes.CutPrefix(line, []byte("data: ")); ok && !json.Valid(d) {
						t.Fatalf("invalid frame %q", line)
					}
				}
				last = evs[i]
			}
		}
		for {
			ev, err := rd.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("reading the re-framed body: %v", err)
				}
				break
			}
			evs, err := d.Decode(nil, ev)
			if err != nil {
				var e *ir.Error
				if !errors.As(err, &e) {
					t.Fatalf("decode error %T", err)
				}
				return // the gateway ends the stream with it
			}
			emit(evs)
		}
		evs, done := d.End(nil)
		emit(evs)
		if !done || (last.Type != ir.EvMessageStop && last.Type != ir.EvError) {
			t.Fatalf("the stream did not end (done %v, last %v)", done, last.Type)
		}
	})
}
