package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
