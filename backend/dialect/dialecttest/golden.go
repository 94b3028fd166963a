// Package dialecttest holds the golden-file helpers the dialect tests share.
// Goldens are data files under each package's testdata/, one file per case;
// `go test ./backend/dialect/... -update` rewrites them for review.
package dialecttest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"switchboard/backend/ir"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Updating reports whether -update was given.
func Updating() bool { return *update }

// Read returns a testdata file's bytes or fails the test.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return b
}

// Golden compares got with the file at path (JSON is compared after
// indenting both, so goldens stay reviewable). With -update it writes got.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if json.Valid(got) {
		var buf bytes.Buffer
		if err := json.Indent(&buf, got, "", "  "); err == nil {
			buf.WriteByte('\n')
			got = buf.Bytes()
		}
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s missing (run with -update): %v", path, err)
	}
	if json.Valid(want) {
		var buf bytes.Buffer
		if err := json.Indent(&buf, want, "", "  "); err == nil {
			buf.WriteByte('\n')
			want = buf.Bytes()
		}
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Errorf("golden mismatch %s\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// GoldenJSON marshals v and compares it with the golden file.
func GoldenJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	Golden(t, path, b)
}

// EventView is a readable, stable JSON rendering of an ir.Event.
type EventView struct {
	Type         string     `json:"type"`
	Index        *int       `json:"index,omitempty"`
	Block        *ir.Block  `json:"block,omitempty"`
	Text         string     `json:"text,omitempty"`
	ID           string     `json:"id,omitempty"`
	Model        string     `json:"model,omitempty"`
	Usage        *ir.Usage  `json:"usage,omitempty"`
	Stop         string     `json:"stop,omitempty"`
	StopSequence string     `json:"stop_sequence,omitempty"`
	Err          *ErrorView `json:"error,omitempty"`
}

// ErrorView renders an ir.Error.
type ErrorView struct {
	Kind    string `json:"kind"`
	Status  int    `json:"status,omitempty"`
	Message string `json:"message"`
	Type    string `json:"type,omitempty"`
}

// Events renders events for a golden file.
func Events(evs []ir.Event) []EventView {
	out := make([]EventView, 0, len(evs))
	for i := range evs {
		e := &evs[i]
		v := EventView{Type: e.Type.String(), Block: e.Block, Text: e.Text, ID: e.ID, Model: e.Model,
			Usage: e.Usage, Stop: string(e.Stop), StopSequence: e.StopSequence}
		switch e.Type {
		case ir.EvBlockStart, ir.EvTextDelta, ir.EvThinkingDelta, ir.EvSignatureDelta, ir.EvToolArgsDelta, ir.EvBlockStop:
			idx := e.Index
			v.Index = &idx
		}
		if e.Err != nil {
			v.Err = &ErrorView{Kind: e.Err.Kind.String(), Status: e.Err.Status, Message: e.Err.Message, Type: e.Err.Type}
		}
		out = append(out, v)
	}
	return out
}
