package dialect_test

import (
	"bytes"
	"testing"
	"unsafe"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/anthropic"
	"switchboard/backend/dialect/dialecttest/agentbody"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/dialect/openai"
	"switchboard/backend/dialect/responses"
)

// Every request encoder writes into the buffer the gateway lends
// (ir.Request.Scratch) when it has room, and the bytes are the same as
// without it.
func TestEncodersWriteIntoScratch(t *testing.T) {
	for _, s := range agentbody.Shapes {
		req, err := clientCodec[s].DecodeRequest(agentBody(t, s, 100_000))
		if err != nil {
			t.Fatalf("%s: decode: %v", s, err)
		}
		for _, up := range []dialect.Codec{openai.Codec, responses.Codec, anthropic.Codec, gemini.Codec} {
			r := *req
			want, err := up.EncodeRequest(&r)
			if err != nil {
				t.Fatalf("%s → %s: %v", s, up.Name(), err)
			}
			scratch := make([]byte, 7, 2*len(want)) // stale bytes in front must not matter
			r.Scratch = scratch
			got, err := up.EncodeRequest(&r)
			if err != nil {
				t.Fatalf("%s → %s with scratch: %v", s, up.Name(), err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s → %s: the encoding differs with a scratch buffer", s, up.Name())
			}
			if unsafe.SliceData(got) != unsafe.SliceData(scratch) {
				t.Errorf("%s → %s: the encoder did not write into the scratch buffer", s, up.Name())
			}
		}
	}
}
