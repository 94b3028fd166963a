package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect/dialecttest/agentbody"
)

// -body keeps every byte of the file but the model and the stream flag.
func TestFileBody(t *testing.T) {
	f := filepath.Join(t.TempDir(), "b.json")
	const in = `{"model":"x","messages":[{"role":"user","content":"<a & b>"}],"stream":false,"z":1}`
	if err := os.WriteFile(f, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dialect string
		stream  bool
		want    string
	}{
		{"anthropic", true, `{"model":"ant/m","messages":[{"role":"user","content":"<a & b>"}],"stream":true,"z":1}`},
		{"responses", false, `{"model":"ant/m","messages":[{"role":"user","content":"<a & b>"}],"stream":false,"z":1}`},
		{"gemini", true, in},
	} {
		tg := target{dialect: c.dialect, model: "ant/m", stream: c.stream, bodyFile: f}
		if got := string(tg.fileBody()); got != c.want {
			t.Errorf("%s: %s\nwant %s", c.dialect, got, c.want)
		}
	}
}

func TestSoakSummary(t *testing.T) {
	series := func(rss func(i int) int64) []rssSample {
		var s []rssSample
		for i := range 400 { // one a second: 100 s warm-up, 300 s measured
			s = append(s, rssSample{at: time.Duration(i) * time.Second, kib: rss(i)})
		}
		return s
	}
	for _, c := range []struct {
		name string
		rss  func(i int) int64
		flat bool
	}{
		{"flat after a warm-up climb", func(i int) int64 { return 60_000 + int64(min(i, 100))*300 + int64(i%7)*100 }, true},
		{"growing", func(i int) int64 { return 60_000 + int64(i)*200 }, false},
	} {
		var r SoakResult
		summarizeRSS(&r, series(c.rss), 100*time.Second, 300*time.Second)
		if r.flat() != c.flat || r.RSSFirstKiB == 0 || r.RSSLastKiB == 0 || len(r.Series) == 0 {
			t.Errorf("%s: flat %v (first %d, last %d, slope %.2f, %d points)", c.name, r.flat(), r.RSSFirstKiB, r.RSSLastKiB, r.SlopeMiBMin, len(r.Series))
		}
	}
	if s := slope([]float64{0, 1, 2}, []float64{1, 3, 5}); s != 2 {
		t.Errorf("slope = %v, want 2", s)
	}
	if _, err := parseTarget("anthropic,ant/m", "http://127.0.0.1:1", "k"); err == nil || !strings.Contains(err.Error(), "want") {
		t.Errorf("short -target accepted: %v", err)
	}
}

// Each worker's agent body is its own conversation from the first message
// on, and each request a turn that differs from the last only in the last
// message; every body stays valid and keeps its size.
func TestTurnMarks(t *testing.T) {
	for _, c := range []struct{ shape, dialect string }{
		{"claude", "anthropic"}, {"codex", "responses"}, {"gemini", "gemini"}, {"opencode", "openai"},
	} {
		body, _, err := agentbody.Generate(agentbody.Options{Shape: agentbody.Shape(c.shape), Size: 100 << 10, Seed: 1, Model: "m"})
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "b.json")
		if err := os.WriteFile(f, body, 0o644); err != nil {
			t.Fatal(err)
		}
		tg := &target{base: "http://127.0.0.1:1", dialect: c.dialect, model: "m", bodyFile: f}
		w1, w2 := newWorker(nil, tg, tg.body(), 1), newWorker(nil, tg, tg.body(), 2)
		if w1.marks.first < 0 || w1.marks.last <= w1.marks.first {
			t.Fatalf("%s: marks at %+v", c.shape, w1.marks)
		}
		conv := gjson.GetBytes(w1.body, conversationKey(c.dialect))
		if firstEnd := conv.Index + int(conv.Array()[0].Index) + len(conv.Array()[0].Raw); w1.marks.first >= firstEnd {
			t.Errorf("%s: the conversation mark is after the first message (%d ≥ %d)", c.shape, w1.marks.first, firstEnd)
		}
		if d := firstDiff(w1.body, w2.body); d < w1.marks.first || d >= w1.marks.first+markLen {
			t.Errorf("%s: two workers' bodies part at %d, not in their mark at %d", c.shape, d, w1.marks.first)
		}
		prev := bytes.Clone(w1.body)
		w1.marks.markTurn(w1.body, 7)
		if d := firstDiff(prev, w1.body); d < w1.marks.last || d >= w1.marks.last+markLen {
			t.Errorf("%s: two turns part at %d, not in their mark at %d", c.shape, d, w1.marks.last)
		}
		if len(w1.body) != len(tg.fileBody()) || !json.Valid(w1.body) {
			t.Errorf("%s: a marked body is %d bytes (valid %v), the file %d", c.shape, len(w1.body), json.Valid(w1.body), len(tg.fileBody()))
		}
	}
	// A small body (not -body) is never marked.
	tg := &target{base: "http://127.0.0.1:1", dialect: "anthropic", model: "m"}
	if w := newWorker(nil, tg, tg.body(), 3); w.marks != (turnMarks{-1, -1}) || !bytes.Equal(w.body, tg.body()) {
		t.Errorf("a small body was marked: %+v", w.marks)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// The agent targets judge the 664 KB Claude rows; a CPU line says how it
// compares with the bare proxy measured in the same run, when there is one.
func TestAgentTargetsShowTheFloor(t *testing.T) {
	row := func(upstream string, stream, floor bool, cpu, fcpu float64) agg {
		return agg{key: scenKey{"agent-claude-664k-" + upstream, 8}, stream: stream, cpu: cpu, hasFloor: floor, fCPU: fcpu,
			rssPeak: 70 << 10, abytes: 30_000, bodyBytes: 664_000, shape: "claude", dialect: "anthropic", upstream: upstream}
	}
	var out bytes.Buffer
	printAgent(&out, &records{}, []agg{
		row("anthropic", false, true, 0.45, 0.9),
		row("anthropic", true, true, 0.6, 1.0),
		row("openai", false, false, 1.6, 0),
	})
	got := out.String()
	for _, want := range []string{
		"PASS  pass-through anthropic → anthropic JSON: CPU/request ≤ 0.5 ms  0.450 ms (0.50× the bare proxy's 0.900 ms in this run)",
		"MISS  pass-through anthropic → anthropic SSE: CPU/request ≤ 0.5 ms   0.600 ms (0.60× the bare proxy's 1.000 ms in this run)",
		"PASS  translated anthropic → openai JSON: CPU/request ≤ 2.5 ms       1.600 ms\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the report lacks %q:\n%s", want, got)
		}
	}
}
