package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

func seedFiles(f *testing.F, pattern string) {
	paths, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzDecodeRequest: no input may panic the decoder, every failure is a
// bad request, and whatever decodes must encode back to valid JSON.
func FuzzDecodeRequest(f *testing.F) {
	seedFiles(f, "request_decode/*.in.json")
	f.Add([]byte(`{"contents":[{"parts":[{"functionResponse":{"name":"x","response":"s"}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := Codec.DecodeRequest(body)
		if err != nil {
			var e *ir.Error
			if !errors.As(err, &e) || e.Kind != ir.KindBadRequest {
				t.Fatalf("not a bad request: %v", err)
			}
			return
		}
		out, err := Codec.EncodeRequest(req)
		if err == nil && !json.Valid(out) {
			t.Fatalf("encoded invalid JSON: %s", out)
		}
		_, _ = DecodeCountTokens(body)
	})
}

// FuzzStreamDecoder: arbitrary SSE bytes never panic the decoder, and the
// events it yields never panic the stream encoder, whose frames are JSON.
func FuzzStreamDecoder(f *testing.F) {
	seedFiles(f, "stream_decode/*.sse")
	f.Fuzz(func(t *testing.T, body []byte) {
		d := Codec.NewStreamDecoder()
		r := sse.NewReaderSize(bytes.NewReader(body), 1<<20)
		var evs []ir.Event
		for {
			ev, err := r.Next()
			if errors.Is(err, io.EOF) || err != nil {
				break
			}
			evs, _ = d.Decode(evs, ev)
		}
		evs, _ = d.End(evs)
		out := encodeStream(nil, evs)
		for _, frame := range bytes.Split(bytes.TrimSpace(out), []byte("\n\n")) {
			if len(frame) == 0 {
				continue
			}
			data, ok := bytes.CutPrefix(frame, []byte("data: "))
			if !ok || !json.Valid(data) {
				t.Fatalf("bad frame %q", frame)
			}
		}
		var acc ir.Accumulator
		for i := range evs {
			acc.Add(&evs[i])
		}
		if resp := acc.Response(); resp != nil {
			if b, err := Codec.EncodeResponse(resp); err != nil || !json.Valid(b) {
				t.Fatalf("response: %v %s", err, b)
			}
		}
	})
}
