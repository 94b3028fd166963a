package anthropic

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

func seedDir(f *testing.F, pattern string) {
	paths, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzDecodeRequest: any body either decodes or fails with a bad request,
// and whatever decodes can be encoded for an upstream without panicking.
func FuzzDecodeRequest(f *testing.F) {
	seedDir(f, "decode_request/*.json")
	f.Add([]byte(`{"messages":[{"role":"system","content":"s"},{"role":"assistant","content":[{"type":"tool_use"}]},{"role":"system","content":"x"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := Codec.DecodeRequest(body)
		if err != nil {
			var e *ir.Error
			if !errors.As(err, &e) || e.Kind != ir.KindBadRequest {
				t.Fatalf("error is not a bad request: %v", err)
			}
			return
		}
		out, err := Codec.EncodeRequest(req)
		if err == nil && !json.Valid(out) {
			t.Fatalf("encoded an invalid body: %s", out)
		}
	})
}

// FuzzStreamDecoder: any upstream byte stream decodes without panicking,
// into events the client encoder turns into valid frames.
func FuzzStreamDecoder(f *testing.F) {
	seedDir(f, "decode_stream/*.sse")
	f.Add([]byte("data: {\"type\":\"content_block_delta\",\"index\":99999999,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n"))
	f.Add([]byte("data: {\"type\":\"content_block_start\",\"index\":-1,\"content_block\":{\"type\":\"text\"}}\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		d := Codec.NewStreamDecoder()
		r := sse.NewReaderSize(bytes.NewReader(body), 1<<16)
		var evs []ir.Event
		for {
			ev, err := r.Next()
			if errors.Is(err, io.EOF) || err != nil {
				break
			}
			evs, _ = d.Decode(evs, ev)
		}
		evs, _ = d.End(evs)
		enc := Codec.NewStreamEncoder(&ir.Request{Model: "m"})
		var out []byte
		for i := range evs {
			out = enc.Encode(out, &evs[i])
		}
		out = enc.Encode(out, &ir.Event{Type: ir.EvMessageStop})
		rr := sse.NewReader(bytes.NewReader(out))
		for {
			ev, err := rr.Next()
			if err != nil {
				break
			}
			if !json.Valid(ev.Data) {
				t.Fatalf("invalid frame %s: %s", ev.Name, ev.Data)
			}
		}
	})
}
