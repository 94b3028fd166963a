package openai

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"switchboard/backend/ir"
)

func seed(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzDecodeRequest: no input may panic a decoder, and whatever decodes
// must encode back to valid JSON in every shape we produce.
func FuzzDecodeRequest(f *testing.F) {
	seed(f, "decode_request/*.json")
	f.Add([]byte(`{"model":"m","prompt":"x","input":["a"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		mustJSON := func(b []byte, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(b) {
				t.Fatalf("invalid JSON produced: %s", b)
			}
		}
		req, err := Codec.DecodeRequest(body)
		if err != nil {
			if _, ok := err.(*ir.Error); !ok {
				t.Fatalf("error %v is not an *ir.Error", err)
			}
		} else {
			mustJSON(Codec.EncodeRequest(req))
			mustJSON(EncodeRequestWith(req, RequestOptions{MaxCompletionTokens: true, ReasoningContent: true}))
		}
		if req, err := DecodeCompletionRequest(body); err == nil {
			mustJSON(Codec.EncodeRequest(req))
		}
		if req, err := DecodeEmbedRequest(body); err == nil {
			mustJSON(EncodeEmbedRequest(req))
		}
		if resp, err := Codec.DecodeResponse(body); err == nil {
			mustJSON(Codec.EncodeResponse(resp))
			mustJSON(EncodeCompletionResponse(resp))
		}
		if resp, err := DecodeEmbedResponse(body); err == nil {
			mustJSON(EncodeEmbedResponse(resp, "float"))
		}
		_ = DecodeError(400, body)
	})
}

// FuzzStreamDecoder: any upstream body must decode without panicking into a
// well-formed event stream, which the encoders must turn into valid frames.
func FuzzStreamDecoder(f *testing.F) {
	seed(f, "stream_decode/*.sse")
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, _, _ := decodeStream(t, body)
		checkWellFormed(t, evs)
		out := encodeStream(Codec.NewStreamEncoder(&ir.Request{Model: "m", IncludeUsage: true}), evs)
		legacy := encodeStream(NewCompletionStreamEncoder(&ir.Request{Model: "m"}), evs)
		for _, o := range [][]byte{out, legacy} {
			if len(o) > 0 {
				checkSSEFuzz(t, o)
			}
		}
	})
}

// checkSSEFuzz is checkSSE without requiring [DONE] (a cut stream ends
// without a terminal event; the gateway appends the error frame then).
func checkSSEFuzz(t *testing.T, out []byte) {
	t.Helper()
	for _, frame := range splitFrames(out) {
		if frame != "[DONE]" && !json.Valid([]byte(frame)) {
			t.Fatalf("frame is not JSON: %q", frame)
		}
	}
}

func splitFrames(out []byte) []string {
	var frames []string
	s := string(out)
	for len(s) > 0 {
		end := indexOf(s, "\n\n")
		if end < 0 {
			end = len(s)
		}
		frames = append(frames, s[len("data: "):end])
		s = s[min(end+2, len(s)):]
	}
	return frames
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
