package dialect_test

import (
	"reflect"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/dialecttest/agentbody"
	"switchboard/backend/internal/jsonscan"
)

// Every client codec decodes a body already checked (the gateway's one
// pass) exactly as it decodes it unchecked.
func TestValidDecoderAgrees(t *testing.T) {
	for _, s := range agentbody.Shapes {
		body := agentBody(t, s, 100_000)
		c := clientCodec[s]
		vd, ok := c.(dialect.ValidDecoder)
		if !ok {
			t.Fatalf("%s is not a ValidDecoder", c.Name())
		}
		want, err := c.DecodeRequest(body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := vd.DecodeValidRequest(body, nil)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: DecodeValidRequest differs (%v)", c.Name(), err)
		}
		// With the spans of the gateway's pass, from a Walker that served
		// another body before (the gateway reuses them).
		w := &jsonscan.Walker{}
		for _, b := range [][]byte{agentBody(t, s, 20_000), body} {
			if !w.Scan(b, nil, nil) {
				t.Fatalf("%s: Walker.Scan refused the body", c.Name())
			}
			if got, err = vd.DecodeValidRequest(b, w); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: DecodeValidRequest with the pass's spans differs", c.Name())
		}
	}
	for _, c := range codecs {
		if _, ok := c.(dialect.ValidDecoder); !ok {
			t.Errorf("%s is not a ValidDecoder", c.Name())
		}
	}
}
