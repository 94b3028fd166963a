package kiro

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/dialect/kiro/kirotest"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// step is one item of a stream case under testdata/decode_stream: a
// message to send, or damage to the bytes so far.
type step struct {
	Event     string          `json:"event"`     // an event message of this type
	Exception string          `json:"exception"` // an exception message of this type
	Error     string          `json:"error"`     // an error message with this code
	Message   string          `json:"message"`   // the error message's text
	Payload   json.RawMessage `json:"payload"`   // a JSON string is sent as its text
	Cut       int             `json:"cut"`       // drop this many bytes from the end
	Corrupt   bool            `json:"corrupt"`   // flip the last byte before the final CRC
}

// buildStream turns a case's steps into the bytes Kiro would send.
func buildStream(t testing.TB, steps []step) []byte {
	t.Helper()
	var out []byte
	for _, s := range steps {
		payload := string(s.Payload)
		var raw string // a payload written as a JSON string is sent as that text, valid JSON or not
		if json.Unmarshal(s.Payload, &raw) == nil {
			payload = raw
		}
		var m []byte
		switch {
		case s.Event != "":
			m = kirotest.Event(s.Event, payload)
		case s.Exception != "":
			m = kirotest.Exception(s.Exception, payload)
		case s.Error != "":
			m = kirotest.Frame([]kirotest.Header{{Name: ":message-type", Value: "error"}, {Name: ":error-code", Value: s.Error},
				{Name: ":error-message", Value: s.Message}}, "")
		case s.Cut > 0:
			out = out[:len(out)-s.Cut]
			continue
		case s.Corrupt:
			out[len(out)-5] ^= 0xff
			continue
		default:
			t.Fatalf("empty step %+v", s)
		}
		out = append(out, m...)
	}
	return out
}

// decodeAll reads body as the gateway does (re-framed, as SSE) and returns
// the hub events and whether the decoder saw the stream complete.
func decodeAll(t testing.TB, body []byte) ([]ir.Event, bool) {
	t.Helper()
	rd := sse.NewReader(SSEBody(io.NopCloser(bytes.NewReader(body))))
	d := newStreamDecoder()
	var all []ir.Event
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading the re-framed stream: %v", err)
		}
		var evs []ir.Event
		evs, err = d.Decode(evs, ev)
		if err != nil { // the gateway ends the stream with it, as an upstream error
			var e *ir.Error
			if !errors.As(err, &e) {
				t.Fatalf("decode error of type %T: %v", err, err)
			}
			return append(all, ir.Event{Type: ir.EvError, Err: e}), true
		}
		all = append(all, evs...)
	}
	all, done := d.End(all)
	return all, done
}

// render writes events one a line for a golden file (message ids vary).
func render(evs []ir.Event) []byte {
	var b strings.Builder
	for _, ev := range evs {
		b.WriteString(ev.Type.String())
		switch ev.Type {
		case ir.EvBlockStart:
			fmt.Fprintf(&b, " %d %s", ev.Index, ev.Block.Type)
			if ev.Block.Type == ir.BlockToolUse {
				fmt.Fprintf(&b, " id=%s name=%s", ev.Block.ToolCallID, ev.Block.ToolName)
			}
		case ir.EvTextDelta, ir.EvToolArgsDelta:
			fmt.Fprintf(&b, " %d %q", ev.Index, ev.Text)
		case ir.EvBlockStop:
			fmt.Fprintf(&b, " %d", ev.Index)
		case ir.EvUsage:
			fmt.Fprintf(&b, " in=%d out=%d", ev.Usage.InputTokens, ev.Usage.OutputTokens)
		case ir.EvMessageStop:
			fmt.Fprintf(&b, " %s", ev.Stop)
		case ir.EvError:
			fmt.Fprintf(&b, " kind=%s status=%d type=%s %q", ev.Err.Kind, ev.Err.HTTPStatus(), ev.Err.Type, ev.Err.Message)
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

func readSteps(t testing.TB, path string) []step {
	t.Helper()
	var steps []step
	if err := json.Unmarshal(dialecttest.Read(t, path), &steps); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return steps
}

func streamCases(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "decode_stream", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no stream cases: %v", err)
	}
	return paths
}

func sseEvent(name, data string) sse.Event { return sse.Event{Name: []byte(name), Data: []byte(data)} }
