package anthropic

import (
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// inputs lists the fixture files of dir with the given suffix, goldens
// (*.golden.*) excluded, as name → path.
func inputs(t *testing.T, dir, suffix string) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*"+suffix))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range paths {
		base := filepath.Base(p)
		if strings.Contains(base, ".golden.") {
			continue
		}
		out[strings.TrimSuffix(base, suffix)] = p
	}
	if len(out) == 0 {
		t.Fatalf("no fixtures in testdata/%s", dir)
	}
	return out
}

func golden(dir, name, ext string) string {
	return filepath.Join("testdata", dir, name+".golden"+ext)
}

func TestDecodeRequestGolden(t *testing.T) {
	for name, path := range inputs(t, "decode_request", ".json") {
		t.Run(name, func(t *testing.T) {
			req, err := Codec.DecodeRequest(dialecttest.Read(t, path))
			if err != nil {
				t.Fatal(err)
			}
			dialecttest.GoldenJSON(t, golden("decode_request", name, ".json"), req)
			// The same request sent on to an Anthropic upstream.
			body, err := Codec.EncodeRequest(req)
			if err != nil {
				t.Fatal(err)
			}
			dialecttest.Golden(t, golden("reencode", name, ".json"), body)
		})
	}
}

func TestEncodeRequestGolden(t *testing.T) {
	for name, path := range inputs(t, "encode_request", ".ir.json") {
		t.Run(name, func(t *testing.T) {
			var req ir.Request
			if err := json.Unmarshal(dialecttest.Read(t, path), &req); err != nil {
				t.Fatal(err)
			}
			body, err := Codec.EncodeRequest(&req)
			if err != nil {
				t.Fatal(err)
			}
			dialecttest.Golden(t, golden("encode_request", name, ".json"), body)
		})
	}
}

func TestDecodeResponseGolden(t *testing.T) {
	for name, path := range inputs(t, "decode_response", ".json") {
		t.Run(name, func(t *testing.T) {
			resp, err := Codec.DecodeResponse(dialecttest.Read(t, path))
			if err != nil {
				t.Fatal(err)
			}
			dialecttest.GoldenJSON(t, golden("decode_response", name, ".json"), resp)
		})
	}
}

func TestEncodeResponseGolden(t *testing.T) {
	for name, path := range inputs(t, "encode_response", ".ir.json") {
		t.Run(name, func(t *testing.T) {
			var resp ir.Response
			if err := json.Unmarshal(dialecttest.Read(t, path), &resp); err != nil {
				t.Fatal(err)
			}
			body, err := Codec.EncodeResponse(&resp)
			if err != nil {
				t.Fatal(err)
			}
			dialecttest.Golden(t, golden("encode_response", name, ".json"), scrubIDs(body))
		})
	}
}

type decodedStream struct {
	Events   []dialecttest.EventView `json:"events"`
	Complete bool                    `json:"complete"`
}

// decodeStream runs an upstream SSE body through a fresh stream decoder.
func decodeStream(t testing.TB, body []byte) ([]ir.Event, bool) {
	t.Helper()
	d := Codec.NewStreamDecoder()
	r := sse.NewReader(strings.NewReader(string(body)))
	var evs []ir.Event
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if evs, err = d.Decode(evs, ev); err != nil {
			t.Fatal(err)
		}
	}
	return d.End(evs)
}

func TestDecodeStreamGolden(t *testing.T) {
	for name, path := range inputs(t, "decode_stream", ".sse") {
		t.Run(name, func(t *testing.T) {
			evs, complete := decodeStream(t, dialecttest.Read(t, path))
			checkWellFormed(t, evs)
			dialecttest.GoldenJSON(t, golden("decode_stream", name, ".json"),
				decodedStream{Events: dialecttest.Events(evs), Complete: complete})
		})
	}
}

func TestEncodeStreamGolden(t *testing.T) {
	for name, path := range inputs(t, "encode_stream", ".events.json") {
		t.Run(name, func(t *testing.T) {
			evs := readEvents(t, path)
			enc := Codec.NewStreamEncoder(&ir.Request{Model: "req-model"})
			var out []byte
			for i := range evs {
				out = enc.Encode(out, &evs[i])
			}
			checkClientStream(t, out)
			dialecttest.Golden(t, golden("encode_stream", name, ".sse"), scrubIDs(out))
		})
	}
}

var generatedID = regexp.MustCompile(`(msg_|toolu_)[0-9a-f]{24}`)

// scrubIDs replaces generated random ids so goldens are stable.
func scrubIDs(b []byte) []byte {
	return generatedID.ReplaceAll(b, []byte("${1}GENERATED"))
}

// readEvents reads a fixture of dialecttest.EventView objects back into
// hub events.
func readEvents(t *testing.T, path string) []ir.Event {
	t.Helper()
	var views []dialecttest.EventView
	if err := json.Unmarshal(dialecttest.Read(t, path), &views); err != nil {
		t.Fatal(err)
	}
	evs := make([]ir.Event, len(views))
	for i, v := range views {
		ev := ir.Event{Type: eventType(t, v.Type), Block: v.Block, Text: v.Text, ID: v.ID, Model: v.Model,
			Usage: v.Usage, Stop: ir.StopReason(v.Stop), StopSequence: v.StopSequence}
		if v.Index != nil {
			ev.Index = *v.Index
		}
		if v.Err != nil {
			ev.Err = &ir.Error{Kind: errorKind(t, v.Err.Kind), Status: v.Err.Status, Message: v.Err.Message, Type: v.Err.Type}
		}
		evs[i] = ev
	}
	return evs
}

func eventType(t *testing.T, name string) ir.EventType {
	for et := ir.EvMessageStart; et <= ir.EvError; et++ {
		if et.String() == name {
			return et
		}
	}
	t.Fatalf("unknown event type %q", name)
	return 0
}

func errorKind(t *testing.T, name string) ir.ErrorKind {
	for k := ir.KindUnknown; k <= ir.KindInternal; k++ {
		if k.String() == name {
			return k
		}
	}
	t.Fatalf("unknown error kind %q", name)
	return 0
}

// checkWellFormed asserts the hub stream grammar: one start and one stop per
// block index, deltas only inside open blocks, nothing after the end.
func checkWellFormed(t *testing.T, evs []ir.Event) {
	t.Helper()
	open := map[int]bool{}
	seen := map[int]bool{}
	ended := false
	for i, ev := range evs {
		if ended {
			t.Fatalf("event %d (%s) after the end", i, ev.Type)
		}
		switch ev.Type {
		case ir.EvBlockStart:
			if seen[ev.Index] {
				t.Fatalf("block %d started twice", ev.Index)
			}
			seen[ev.Index], open[ev.Index] = true, true
		case ir.EvTextDelta, ir.EvThinkingDelta, ir.EvSignatureDelta, ir.EvToolArgsDelta:
			if !open[ev.Index] {
				t.Fatalf("event %d: delta for block %d which is not open", i, ev.Index)
			}
		case ir.EvBlockStop:
			if !open[ev.Index] {
				t.Fatalf("event %d: stop for block %d which is not open", i, ev.Index)
			}
			open[ev.Index] = false
		case ir.EvMessageStop:
			for idx, o := range open {
				if o {
					t.Fatalf("message stop with block %d open", idx)
				}
			}
			ended = true
		case ir.EvError:
			ended = true
		}
	}
}

// checkClientStream asserts what every Anthropic SDK relies on: each frame
// has an event name equal to its data's "type", the data is JSON, and the
// stream ends with message_stop.
func checkClientStream(t *testing.T, out []byte) {
	t.Helper()
	r := sse.NewReader(strings.NewReader(string(out)))
	last := ""
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(ev.Data, &head); err != nil {
			t.Fatalf("frame %s: data is not JSON: %v\n%s", ev.Name, err, ev.Data)
		}
		if head.Type != string(ev.Name) {
			t.Fatalf("frame name %q but type %q", ev.Name, head.Type)
		}
		last = head.Type
	}
	// A stream ends with message_stop, or, when it failed, with the error
	// event (as the Messages API ends it).
	if last != "message_stop" && last != "error" && len(out) > 0 {
		t.Fatalf("stream ends with %q, want message_stop or error", last)
	}
}
