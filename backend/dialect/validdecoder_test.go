package dialect_test

import (
	"reflect"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/dialecttest/agentbody"
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
		got, err := vd.DecodeValidRequest(body)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: DecodeValidRequest differs (%v)", c.Name(), err)
		}
	}
	for _, c := range codecs {
		if _, ok := c.(dialect.ValidDecoder); !ok {
			t.Errorf("%s is not a ValidDecoder", c.Name())
		}
	}
}
