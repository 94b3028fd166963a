package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

var genIDs int

// TestMain makes generated call ids deterministic so goldens are stable;
// each golden case calls resetIDs so its ids do not depend on test order.
func TestMain(m *testing.M) {
	newCallID = func() string {
		genIDs++
		return "call_gen" + strconv.Itoa(genIDs)
	}
	os.Exit(m.Run())
}

func resetIDs() { genIDs = 0 }

// cases lists the inputs of a golden directory: files ending in suffix,
// returned as paths with the suffix cut off.
func cases(t testing.TB, dir, suffix string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*"+suffix))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no cases in testdata/%s", dir)
	}
	sort.Strings(paths)
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = strings.TrimSuffix(p, suffix)
	}
	return out
}

func readIRRequest(t testing.TB, path string) *ir.Request {
	t.Helper()
	var req ir.Request
	if err := json.Unmarshal(dialecttest.Read(t, path), &req); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &req
}

func readIRResponse(t testing.TB, path string) *ir.Response {
	t.Helper()
	var resp ir.Response
	if err := json.Unmarshal(dialecttest.Read(t, path), &resp); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &resp
}

// decodeStream runs an SSE body through a fresh stream decoder.
func decodeStream(t testing.TB, body []byte) (evs []ir.Event, complete bool, err error) {
	d := Codec.NewStreamDecoder()
	r := sse.NewReader(bytes.NewReader(body))
	for {
		ev, rerr := r.Next()
		if errors.Is(rerr, io.EOF) {
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

// eventsFromJSON reads events written in dialecttest.EventView form, so
// stream-encoder fixtures are as readable as stream-decoder goldens.
func eventsFromJSON(t testing.TB, path string) []ir.Event {
	t.Helper()
	var views []dialecttest.EventView
	if err := json.Unmarshal(dialecttest.Read(t, path), &views); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := make([]ir.Event, 0, len(views))
	for _, v := range views {
		ev := ir.Event{Type: eventType(t, v.Type), Block: v.Block, Text: v.Text, ID: v.ID,
			Model: v.Model, Usage: v.Usage, Stop: ir.StopReason(v.Stop), StopSequence: v.StopSequence}
		if v.Index != nil {
			ev.Index = *v.Index
		}
		if v.Err != nil {
			ev.Err = &ir.Error{Kind: errorKindNamed(v.Err.Kind), Status: v.Err.Status, Message: v.Err.Message, Type: v.Err.Type}
		}
		out = append(out, ev)
	}
	return out
}

func eventType(t testing.TB, name string) ir.EventType {
	for et := ir.EvMessageStart; et <= ir.EvError; et++ {
		if et.String() == name {
			return et
		}
	}
	t.Fatalf("unknown event type %q", name)
	return 0
}

func errorKindNamed(name string) ir.ErrorKind {
	for k := ir.KindUnknown; k <= ir.KindInternal; k++ {
		if k.String() == name {
			return k
		}
	}
	return ir.KindUnknown
}

func encodeStream(req *ir.Request, evs []ir.Event) []byte {
	enc := Codec.NewStreamEncoder(req)
	var out []byte
	for i := range evs {
		out = enc.Encode(out, &evs[i])
	}
	return out
}

// errorView renders an *ir.Error for goldens.
func errorView(err error) *dialecttest.ErrorView {
	var e *ir.Error
	if !errors.As(err, &e) {
		return &dialecttest.ErrorView{Kind: "not an ir.Error", Message: err.Error()}
	}
	return &dialecttest.ErrorView{Kind: e.Kind.String(), Status: e.Status, Message: e.Message, Type: e.Type}
}
