package responses

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

func addSeeds(f *testing.F, glob string, skip func(string) bool) {
	paths, _ := filepath.Glob(glob)
	for _, p := range paths {
		if skip != nil && skip(p) {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzDecodeRequest: decoding never panics, errors are bad requests, and a
// decoded request always re-encodes (as a request, a response, a stream) to
// valid JSON.
func FuzzDecodeRequest(f *testing.F) {
	addSeeds(f, "testdata/decode_request/*.json", func(p string) bool { return strings.HasSuffix(p, ".ir.json") })
	f.Add([]byte(`{"model":"m","input":[{"type":"reasoning","encrypted_content":"swb1r:x"},{"role":"user","content":"\u2028"}]}`))
	f.Add([]byte(`{"model":"m","input":[{"type":"function_call","call_id":"c","name":"a.b","arguments":"[1]"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := Codec.DecodeRequest(body)
		if err != nil {
			var e *ir.Error
			if !errors.As(err, &e) || e.Kind != ir.KindBadRequest {
				t.Fatalf("error is not a bad request: %v", err)
			}
			return
		}
		if _, err := json.Marshal(req); err != nil {
			t.Fatalf("decoded request holds invalid raw JSON: %v", err)
		}
		out, err := Codec.EncodeRequest(req)
		if err != nil || !json.Valid(out) {
			t.Fatalf("re-encode: %v\n%s", err, out)
		}
		resp := &ir.Response{ID: "r", Model: req.Model, StopReason: ir.StopEndTurn}
		for _, m := range req.Messages {
			resp.Content = append(resp.Content, m.Content...)
		}
		if out, _ = Codec.EncodeResponse(resp); !json.Valid(out) {
			t.Fatalf("response encode: %s", out)
		}
		checkFrames(t, encodeEvents(req, ir.Replay(resp, nil)))
	})
}

// FuzzStreamDecoder: any byte stream decodes without panicking into a
// well-formed hub event sequence.
func FuzzStreamDecoder(f *testing.F) {
	addSeeds(f, "testdata/decode_stream/*.sse", nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		dec := Codec.NewStreamDecoder()
		r := sse.NewReaderSize(bytes.NewReader(body), 1<<16)
		var evs []ir.Event
		for {
			ev, err := r.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, sse.ErrTooLarge) {
					t.Fatalf("reader: %v", err)
				}
				break
			}
			evs, _ = dec.Decode(evs, ev)
		}
		evs, _ = dec.End(evs)
		checkWellFormed(t, evs)
	})
}
