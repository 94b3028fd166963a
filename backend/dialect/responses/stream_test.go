package responses

import (
	"os"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

type streamGolden struct {
	Complete bool                    `json:"complete"`
	Events   []dialecttest.EventView `json:"events"`
}

// Golden: upstream SSE (testdata/decode_stream/X.sse) → hub events (X.events.json).
func TestStreamDecodeGolden(t *testing.T) {
	for _, name := range cases(t, "decode_stream", ".sse") {
		t.Run(name, func(t *testing.T) {
			evs, complete := decodeSSE(t, dialecttest.Read(t, path("decode_stream", name, ".sse")))
			checkWellFormed(t, evs)
			dialecttest.GoldenJSON(t, path("decode_stream", name, ".events.json"),
				streamGolden{Complete: complete, Events: dialecttest.Events(evs)})
		})
	}
}

// Golden: hub events (testdata/encode_stream/X.events.json, with the
// request in X.req.json when the case needs one) → client SSE (X.sse).
func TestStreamEncodeGolden(t *testing.T) {
	for _, name := range cases(t, "encode_stream", ".events.json") {
		t.Run(name, func(t *testing.T) {
			resetIDs()
			req := &ir.Request{Model: "client-model"}
			if p := path("encode_stream", name, ".req.json"); fileExists(p) {
				readJSON(t, p, req)
			}
			var views []dialecttest.EventView
			readJSON(t, path("encode_stream", name, ".events.json"), &views)
			out := encodeEvents(req, eventsFromViews(t, views))
			frames := checkFrames(t, out)
			last := frames[len(frames)-1]["type"]
			switch last {
			case "response.completed", "response.incomplete", "response.failed":
			default:
				t.Fatalf("stream ends with %v, not a terminal event", last)
			}
			dialecttest.Golden(t, path("encode_stream", name, ".sse"), out)
		})
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// checkWellFormed asserts the hub's stream grammar on decoder output: one
// MessageStart first, each block started once before its deltas and stopped
// once, block indices increasing, nothing after MessageStop or Error.
func checkWellFormed(t *testing.T, evs []ir.Event) {
	t.Helper()
	state := map[int]int{} // 1 open, 2 stopped
	next, ended := 0, false
	for i, ev := range evs {
		if ended {
			t.Fatalf("event %d (%v) after the end", i, ev.Type)
		}
		if (i == 0) != (ev.Type == ir.EvMessageStart) && ev.Type != ir.EvError {
			t.Fatalf("event %d: %v (MessageStart must come first, once)", i, ev.Type)
		}
		switch ev.Type {
		case ir.EvBlockStart:
			if _, seen := state[ev.Index]; seen || ev.Index != next {
				t.Fatalf("event %d: block %d started out of order (next %d)", i, ev.Index, next)
			}
			state[ev.Index] = 1
			next++
		case ir.EvTextDelta, ir.EvThinkingDelta, ir.EvSignatureDelta, ir.EvToolArgsDelta:
			if state[ev.Index] != 1 {
				t.Fatalf("event %d: delta for block %d that is not open", i, ev.Index)
			}
		case ir.EvBlockStop:
			if state[ev.Index] != 1 {
				t.Fatalf("event %d: stop for block %d that is not open", i, ev.Index)
			}
			state[ev.Index] = 2
		case ir.EvMessageStop:
			for idx, s := range state {
				if s == 1 {
					t.Fatalf("MessageStop with block %d still open", idx)
				}
			}
			ended = true
		case ir.EvError:
			ended = true
		}
	}
}

// The terminal response must carry the full output (the SDK accumulators
// read it), with ids matching the items announced earlier.
func TestStreamEncodeCompletedCarriesOutput(t *testing.T) {
	var views []dialecttest.EventView
	readJSON(t, path("encode_stream", "reasoning_tools", ".events.json"), &views)
	frames := checkFrames(t, encodeEvents(&ir.Request{Model: "m"}, eventsFromViews(t, views)))
	var added []string
	for _, f := range frames {
		if f["type"] == "response.output_item.added" {
			added = append(added, f["item"].(map[string]any)["id"].(string))
		}
	}
	resp := frames[len(frames)-1]["response"].(map[string]any)
	output := resp["output"].([]any)
	if len(output) != len(added) || len(output) != 5 {
		t.Fatalf("output has %d items, %d were announced", len(output), len(added))
	}
	for i, it := range output {
		if id := it.(map[string]any)["id"]; id != added[i] {
			t.Errorf("output[%d].id = %v, announced %v", i, id, added[i])
		}
	}
	if resp["status"] != "completed" || resp["usage"].(map[string]any)["total_tokens"].(float64) != 5300 {
		t.Errorf("status/usage wrong: %v %v", resp["status"], resp["usage"])
	}
}

// End reports completeness only when a terminal event arrived.
func TestStreamDecodeEnd(t *testing.T) {
	tests := []struct {
		name, body string
		complete   bool
	}{
		{"empty", "", false},
		{"created only", "data: {\"type\":\"response.created\",\"response\":{\"id\":\"r\"}}\n\n", false},
		{"completed", "data: {\"type\":\"response.completed\",\"response\":{\"status\":\"completed\"}}\n\n", true},
		{"failed", "data: {\"type\":\"response.failed\",\"response\":{\"error\":null}}\n\n", true},
		{"error", "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"server_error\",\"message\":\"x\"}}\n\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, complete := decodeSSE(t, []byte(tc.body)); complete != tc.complete {
				t.Fatalf("complete = %v, want %v", complete, tc.complete)
			}
		})
	}
}

func TestStreamDecodeInvalidJSON(t *testing.T) {
	dec := Codec.NewStreamDecoder()
	if _, err := dec.Decode(nil, sse.Event{Name: []byte("response.output_text.delta"), Data: []byte("{nope")}); err == nil {
		t.Fatal("want an error for an unparseable event")
	}
}

// Decoded strings must not alias the reader's buffer, which the SSE reader
// reuses for the next event.
func TestStreamDecodeCopiesData(t *testing.T) {
	dec := Codec.NewStreamDecoder()
	buf := []byte(`{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"stable"}`)
	evs, err := dec.Decode(nil, sse.Event{Data: buf})
	if err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 'x'
	}
	if got := evs[len(evs)-1].Text; got != "stable" {
		t.Fatalf("delta text changed with the buffer: %q", got)
	}
}

func TestStreamEncodeIgnoresAfterEnd(t *testing.T) {
	enc := Codec.NewStreamEncoder(&ir.Request{Model: "m"})
	out := enc.Encode(nil, &ir.Event{Type: ir.EvMessageStop, Stop: ir.StopEndTurn})
	n := len(out)
	out = enc.Encode(out, &ir.Event{Type: ir.EvTextDelta, Text: "late"})
	out = enc.Encode(out, &ir.Event{Type: ir.EvError, Err: ir.Errorf(ir.KindUpstream5xx, "late")})
	if len(out) != n || !strings.Contains(string(out), "response.completed") {
		t.Fatalf("encoder wrote after the terminal frame:\n%s", out)
	}
}
