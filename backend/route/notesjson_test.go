package route

import (
	"encoding/json"
	"reflect"
	"testing"
)

// appendNotesJSON writes what encoding/json reads back as the same notes,
// every field set or left empty, with text that needs escaping.
func TestAppendNotesJSON(t *testing.T) {
	cases := [][]Note{
		nil,
		{{Target: "openai/work/gpt-5", Result: "ok", AtMS: 3, MS: 140}},
		{{Target: "a/m", Result: "rate_limited", Status: 429, Until: "2026-12-06T14:00:00Z", Error: "slow down \"now\"\n<tag> & ✓ \x01",
			Detail: "requests per minute", AtMS: -1, MS: 12}, {Target: "b/m", Result: "skipped:quota", Detail: "weekly"}},
	}
	if s := NotesJSON(nil); s != "" {
		t.Errorf("no notes: %q, want none", s)
	}
	for _, notes := range cases {
		b := appendNotesJSON(nil, notes)
		if len(notes) > 0 && NotesJSON(notes) != string(b) {
			t.Errorf("NotesJSON %q, appendNotesJSON %s", NotesJSON(notes), b)
		}
		var got []Note
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if len(got) != len(notes) || (len(notes) > 0 && !reflect.DeepEqual(got, notes)) {
			t.Errorf("%s read back as %+v, want %+v", b, got, notes)
		}
		if len(notes) > 0 {
			want, _ := json.Marshal(notes)
			var a, w any
			json.Unmarshal(b, &a)
			json.Unmarshal(want, &w)
			if !reflect.DeepEqual(a, w) {
				t.Errorf("keys differ from encoding/json's:\n%s\n%s", b, want)
			}
		}
	}
}
