package openai

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// Goldens: each case is one input file; its golden sits next to it with a
// second extension (.ir.json, .body.json, .events.json, .sse).
// `go test ./backend/dialect/openai -update` rewrites the goldens.

func TestMain(m *testing.M) {
	// Stable ids and timestamps so goldens do not change between runs.
	now = func() time.Time { return time.Unix(1700000000, 0) }
	newID = func(prefix string) string { return prefix + "TEST" }
	os.Exit(m.Run())
}

// inputs lists the case files of dir with extension ext, skipping goldens.
func inputs(t *testing.T, dir, ext string) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join("testdata", dir, "*"+ext))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range all {
		base := strings.TrimSuffix(filepath.Base(p), ext)
		if !strings.Contains(base, ".") {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no cases in testdata/%s", dir)
	}
	return out
}

func golden(in, inExt, outExt string) string { return strings.TrimSuffix(in, inExt) + outExt }

func name(p string) string { return strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)) }

// errView renders a Go error the way goldens show it.
func errView(err error) any {
	if e, ok := err.(*ir.Error); ok {
		return map[string]any{"error": dialecttest.ErrorView{Kind: e.Kind.String(), Status: e.Status, Message: e.Message, Type: e.Type}}
	}
	return map[string]any{"error": err.Error()}
}

func TestDecodeRequestGolden(t *testing.T) {
	for _, in := range inputs(t, "decode_request", ".json") {
		t.Run(name(in), func(t *testing.T) {
			req, err := Codec.DecodeRequest(dialecttest.Read(t, in))
			bad := strings.HasPrefix(name(in), "bad_")
			if (err != nil) != bad {
				t.Fatalf("err = %v, want error: %v", err, bad)
			}
			if err != nil {
				if e, ok := err.(*ir.Error); !ok || e.Kind != ir.KindBadRequest {
					t.Fatalf("error %v is not a bad request *ir.Error", err)
				}
				dialecttest.GoldenJSON(t, golden(in, ".json", ".ir.json"), errView(err))
				return
			}
			dialecttest.GoldenJSON(t, golden(in, ".json", ".ir.json"), req)
		})
	}
}

func readIR[T any](t *testing.T, path string) *T {
	t.Helper()
	var v T
	if err := json.Unmarshal(dialecttest.Read(t, path), &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &v
}

func TestEncodeRequestGolden(t *testing.T) {
	for _, in := range inputs(t, "encode_request", ".ir.json") {
		t.Run(name(name(in)), func(t *testing.T) {
			body, err := Codec.EncodeRequest(readIR[ir.Request](t, in))
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(body) {
				t.Fatalf("invalid JSON: %s", body)
			}
			dialecttest.Golden(t, golden(in, ".ir.json", ".body.json"), body)
		})
	}
}

func TestDecodeResponseGolden(t *testing.T) {
	for _, in := range inputs(t, "decode_response", ".json") {
		t.Run(name(in), func(t *testing.T) {
			resp, err := Codec.DecodeResponse(dialecttest.Read(t, in))
			if err != nil {
				dialecttest.GoldenJSON(t, golden(in, ".json", ".ir.json"), errView(err))
				return
			}
			dialecttest.GoldenJSON(t, golden(in, ".json", ".ir.json"), resp)
		})
	}
}

func TestEncodeResponseGolden(t *testing.T) {
	for _, in := range inputs(t, "encode_response", ".ir.json") {
		t.Run(name(name(in)), func(t *testing.T) {
			body, err := Codec.EncodeResponse(readIR[ir.Response](t, in))
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(body) {
				t.Fatalf("invalid JSON: %s", body)
			}
			dialecttest.Golden(t, golden(in, ".ir.json", ".body.json"), body)
		})
	}
}

// decodeStream runs an SSE body through a fresh stream decoder.
func decodeStream(t testing.TB, body []byte) (evs []ir.Event, complete bool, err error) {
	r := sse.NewReader(bytes.NewReader(body))
	d := Codec.NewStreamDecoder()
	for {
		ev, rerr := r.Next()
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return evs, false, rerr
		}
		if evs, err = d.Decode(evs, ev); err != nil {
			return evs, false, err
		}
	}
	evs, complete = d.End(evs)
	return evs, complete, nil
}

type streamGolden struct {
	Complete bool                    `json:"complete"`
	Err      any                     `json:"decode_error,omitempty"`
	Events   []dialecttest.EventView `json:"events"`
}

func TestStreamDecodeGolden(t *testing.T) {
	for _, in := range inputs(t, "stream_decode", ".sse") {
		t.Run(name(in), func(t *testing.T) {
			evs, complete, err := decodeStream(t, dialecttest.Read(t, in))
			g := streamGolden{Complete: complete, Events: dialecttest.Events(evs)}
			if err != nil {
				g.Err = errView(err)
			}
			checkWellFormed(t, evs)
			dialecttest.GoldenJSON(t, golden(in, ".sse", ".events.json"), g)
		})
	}
}

// streamInput is a stream encode case: the client's request (model,
// include_usage) and the hub events to encode.
type streamInput struct {
	Legacy  bool                    `json:"legacy"` // a /v1/completions client
	Request ir.Request              `json:"request"`
	Events  []dialecttest.EventView `json:"events"`
}

func TestStreamEncodeGolden(t *testing.T) {
	for _, in := range inputs(t, "stream_encode", ".events.json") {
		t.Run(name(name(in)), func(t *testing.T) {
			si := readIR[streamInput](t, in)
			enc := Codec.NewStreamEncoder(&si.Request)
			if si.Legacy {
				enc = NewCompletionStreamEncoder(&si.Request)
			}
			out := encodeStream(enc, toEvents(t, si.Events))
			checkSSE(t, out)
			dialecttest.Golden(t, golden(in, ".events.json", ".sse"), out)
		})
	}
}

func encodeStream(enc interface {
	Encode([]byte, *ir.Event) []byte
}, evs []ir.Event) []byte {
	var out []byte
	for i := range evs {
		out = enc.Encode(out, &evs[i])
	}
	return out
}

// checkSSE verifies every frame is "data: <json>" or the final [DONE], and
// that [DONE] ends the stream exactly once.
func checkSSE(t *testing.T, out []byte) {
	t.Helper()
	frames := strings.Split(strings.TrimSuffix(string(out), "\n\n"), "\n\n")
	for i, f := range frames {
		data, ok := strings.CutPrefix(f, "data: ")
		if !ok || strings.Contains(data, "\n") {
			t.Fatalf("frame %d is not a single data line: %q", i, f)
		}
		if data == "[DONE]" {
			if i != len(frames)-1 {
				t.Fatalf("[DONE] is not the last frame")
			}
			continue
		}
		if !json.Valid([]byte(data)) {
			t.Fatalf("frame %d is not JSON: %s", i, data)
		}
	}
	if len(out) > 0 && frames[len(frames)-1] != "data: [DONE]" {
		t.Fatalf("stream does not end with [DONE]")
	}
}

var kinds = func() map[string]ir.ErrorKind {
	m := map[string]ir.ErrorKind{}
	for k := ir.KindUnknown; k <= ir.KindInternal; k++ {
		m[k.String()] = k
	}
	return m
}()

var eventTypes = func() map[string]ir.EventType {
	m := map[string]ir.EventType{}
	for t := ir.EvMessageStart; t <= ir.EvError; t++ {
		m[t.String()] = t
	}
	return m
}()

// toEvents turns golden event views back into hub events.
func toEvents(t *testing.T, views []dialecttest.EventView) []ir.Event {
	t.Helper()
	out := make([]ir.Event, 0, len(views))
	for _, v := range views {
		typ, ok := eventTypes[v.Type]
		if !ok {
			t.Fatalf("unknown event type %q", v.Type)
		}
		ev := ir.Event{Type: typ, Block: v.Block, Text: v.Text, ID: v.ID, Model: v.Model, Usage: v.Usage,
			Stop: ir.StopReason(v.Stop), StopSequence: v.StopSequence}
		if v.Index != nil {
			ev.Index = *v.Index
		}
		if v.Err != nil {
			ev.Err = &ir.Error{Kind: kinds[v.Err.Kind], Status: v.Err.Status, Message: v.Err.Message, Type: v.Err.Type}
		}
		out = append(out, ev)
	}
	return out
}

// checkWellFormed verifies the hub's stream rules on decoder output.
func checkWellFormed(t testing.TB, evs []ir.Event) {
	t.Helper()
	open := map[int]bool{}
	started := map[int]bool{}
	last, ended := -1, false
	for i, ev := range evs {
		if ended {
			t.Fatalf("event %d (%s) after the terminal event", i, ev.Type)
		}
		switch ev.Type {
		case ir.EvMessageStart:
			if i != 0 {
				t.Fatalf("message_start at %d", i)
			}
		case ir.EvBlockStart:
			if started[ev.Index] || ev.Index <= last {
				t.Fatalf("event %d: block %d started twice or out of order", i, ev.Index)
			}
			started[ev.Index], open[ev.Index], last = true, true, ev.Index
		case ir.EvTextDelta, ir.EvThinkingDelta, ir.EvToolArgsDelta, ir.EvSignatureDelta:
			if !open[ev.Index] {
				t.Fatalf("event %d: delta for block %d that is not open", i, ev.Index)
			}
		case ir.EvBlockStop:
			if !open[ev.Index] {
				t.Fatalf("event %d: stop of block %d that is not open", i, ev.Index)
			}
			delete(open, ev.Index)
		case ir.EvMessageStop:
			if len(open) > 0 {
				t.Fatalf("event %d: message_stop with open blocks", i)
			}
			ended = true
		case ir.EvError:
			ended = true
		}
	}
}
