package kiro

import (
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
)

// TestStreamGoldens decodes every case under testdata/decode_stream (a
// list of messages, built with correct CRCs, or damaged on purpose) the
// way the gateway reads Kiro, and compares the hub events with
// <case>.events. Every stream must end: with a stop, or with an error.
func TestStreamGoldens(t *testing.T) {
	for _, path := range streamCases(t) {
		name := strings.TrimSuffix(path, ".json")
		t.Run(name, func(t *testing.T) {
			evs, done := decodeAll(t, buildStream(t, readSteps(t, path)))
			if !done {
				t.Errorf("the decoder did not see the stream end")
			}
			if n := len(evs); n == 0 || (evs[n-1].Type != ir.EvMessageStop && evs[n-1].Type != ir.EvError) {
				t.Errorf("the stream does not end with a stop or an error")
			}
			dialecttest.Golden(t, name+".events", render(evs))
		})
	}
}

// A body that ends without the re-framer's end (a connection that broke
// between messages) is not complete.
func TestStreamWithoutEndIsIncomplete(t *testing.T) {
	d := newStreamDecoder()
	evs, _ := d.Decode(nil, sseEvent("assistantResponseEvent", `{"content":"hi"}`))
	if len(evs) != 3 {
		t.Fatalf("events %v", evs)
	}
	if _, done := d.End(nil); done {
		t.Errorf("complete without the end")
	}
}
