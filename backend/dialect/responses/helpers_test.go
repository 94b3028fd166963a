package responses

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

var idCounter atomic.Int64

func TestMain(m *testing.M) {
	newID = func(prefix string) string {
		return prefix + "test" + strconv.FormatInt(idCounter.Add(1), 10)
	}
	nowUnix = func() int64 { return 1767225600 }
	os.Exit(m.Run())
}

// resetIDs makes generated ids start again, so each golden is stable on its own.
func resetIDs() { idCounter.Store(0) }

// cases lists the testdata files of dir ending in suffix, as case names.
func cases(t *testing.T, dir, suffix string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*"+suffix))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), suffix)
		if !strings.Contains(name, ".") {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		t.Fatalf("no fixtures in testdata/%s/*%s", dir, suffix)
	}
	return names
}

func path(dir, name, suffix string) string { return filepath.Join("testdata", dir, name+suffix) }

// readJSON unmarshals a testdata file.
func readJSON(t testing.TB, p string, v any) {
	t.Helper()
	if err := json.Unmarshal(dialecttest.Read(t, p), v); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
}

// eventsFromViews turns the golden rendering of events back into events,
// so stream-encoder inputs are written in the same shape decoders produce.
func eventsFromViews(t testing.TB, views []dialecttest.EventView) []ir.Event {
	t.Helper()
	byName := map[string]ir.EventType{}
	for et := ir.EvMessageStart; et <= ir.EvError; et++ {
		byName[et.String()] = et
	}
	out := make([]ir.Event, 0, len(views))
	for _, v := range views {
		et, ok := byName[v.Type]
		if !ok {
			t.Fatalf("unknown event type %q", v.Type)
		}
		ev := ir.Event{Type: et, Block: v.Block, Text: v.Text, ID: v.ID, Model: v.Model, Usage: v.Usage,
			Stop: ir.StopReason(v.Stop), StopSequence: v.StopSequence}
		if v.Index != nil {
			ev.Index = *v.Index
		}
		if v.Err != nil {
			ev.Err = &ir.Error{Kind: kindByName(t, v.Err.Kind), Status: v.Err.Status, Message: v.Err.Message, Type: v.Err.Type}
		}
		out = append(out, ev)
	}
	return out
}

func kindByName(t testing.TB, name string) ir.ErrorKind {
	for k := ir.KindUnknown; k <= ir.KindInternal; k++ {
		if k.String() == name {
			return k
		}
	}
	t.Fatalf("unknown error kind %q", name)
	return 0
}

// decodeSSE runs a whole SSE body through a fresh stream decoder.
func decodeSSE(t testing.TB, body []byte) ([]ir.Event, bool) {
	t.Helper()
	dec := Codec.NewStreamDecoder()
	r := sse.NewReader(bytes.NewReader(body))
	var evs []ir.Event
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("sse: %v", err)
		}
		if evs, err = dec.Decode(evs, ev); err != nil {
			t.Fatalf("decode %s: %v", ev.Data, err)
		}
	}
	return dec.End(evs)
}

// encodeEvents runs events through a fresh stream encoder.
func encodeEvents(req *ir.Request, evs []ir.Event) []byte {
	enc := Codec.NewStreamEncoder(req)
	var out []byte
	for i := range evs {
		out = enc.Encode(out, &evs[i])
	}
	return out
}

// checkFrames verifies the stream-encoder output frame by frame: each is
// "event: T" + one data line holding valid JSON whose type is T, with
// sequence numbers counting up from 0. It returns the parsed data objects.
func checkFrames(t testing.TB, out []byte) []map[string]any {
	t.Helper()
	var frames []map[string]any
	for i, f := range strings.Split(strings.TrimSuffix(string(out), "\n\n"), "\n\n") {
		lines := strings.Split(f, "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "event: ") || !strings.HasPrefix(lines[1], "data: ") {
			t.Fatalf("frame %d malformed: %q", i, f)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[1], "data: ")), &m); err != nil {
			t.Fatalf("frame %d: invalid JSON: %v\n%s", i, err, lines[1])
		}
		if m["type"] != strings.TrimPrefix(lines[0], "event: ") {
			t.Fatalf("frame %d: type %v under event %q", i, m["type"], lines[0])
		}
		if seq, _ := m["sequence_number"].(float64); int(seq) != i {
			t.Fatalf("frame %d: sequence_number %v", i, m["sequence_number"])
		}
		frames = append(frames, m)
	}
	return frames
}
