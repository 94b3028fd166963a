package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestHistogram(t *testing.T) {
	us := time.Microsecond
	mean, h := histogram([]time.Duration{10 * us, 24 * us, 25 * us, 130 * us, 5 * time.Millisecond})
	if want := (10 + 24 + 25 + 130 + 5000) / 5.0 / 1000; mean != want {
		t.Errorf("mean %v, want %v", mean, want)
	}
	if len(h) != histBuckets || h[0] != 2 || h[1] != 1 || h[5] != 1 || h[histBuckets-1] != 1 {
		t.Errorf("buckets %v", h)
	}
	if m, h := histogram(nil); m != 0 || h != nil {
		t.Errorf("empty: %v %v", m, h)
	}
}

// The c=1 rows' distributions are pooled over the rounds, each path's row
// sums to 100%, and the verdict line counts the rounds the gateway was at
// or below the floor.
func TestC1Distributions(t *testing.T) {
	us := time.Microsecond
	run := func(path string, round int, lats ...time.Duration) RunResult {
		r := RunResult{Kind: "run", Scenario: "pt-sse", Path: path, Run: round, C: 1, Stream: true, Requests: len(lats)}
		r.Mean, r.Hist = histogram(lats)
		sorted := append([]time.Duration(nil), lats...)
		r.P50, r.P99 = pct(sorted, .5), pct(sorted, .99)
		return r
	}
	rs := &records{}
	// Round 1: the gateway in the fast mode, the floor in the slow one;
	// round 2 the other way round.
	rs.runs = append(rs.runs,
		run("direct", 1, 150*us, 150*us), run("floor", 1, 500*us, 500*us), run("gateway", 1, 260*us, 260*us),
		run("direct", 2, 150*us, 150*us), run("floor", 2, 260*us, 260*us), run("gateway", 2, 510*us, 510*us),
	)
	aggs := rs.aggregate()
	if len(aggs) != 1 || aggs[0].floorRounds != 2 || aggs[0].lowerP50 != 1 {
		t.Fatalf("aggregate: %+v", aggs)
	}
	var b bytes.Buffer
	printC1Distributions(&b, aggs)
	out := b.String()
	for _, path := range []string{"direct", "floor", "gateway"} {
		i := strings.Index(out, " "+path+" ")
		if i < 0 {
			t.Fatalf("no %s row:\n%s", path, out)
		}
		line := out[i+len(path)+2:]
		line = line[:strings.IndexByte(line, '\n')]
		sum := 0.0
		for _, f := range strings.Fields(line) {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatalf("%s: %q", path, line)
			}
			sum += v
		}
		if sum < 99.5 || sum > 100.5 {
			t.Errorf("%s row sums to %.1f%%: %s", path, sum, line)
		}
	}
	// Both paths have half their requests at 0.25 ms and half at 0.50 ms.
	if !strings.Contains(out, "mean added: gateway +0.235 ms, floor +0.230 ms (medians of 2 rounds)") {
		t.Errorf("means:\n%s", out)
	}
}

// The after-load heap lines judge the live heap (what the forced
// collection found live), not heap in use, which also counts what the
// gateway allocated after it; a reading without heap_live is n/a.
func TestHeapLinesJudgeTheLiveHeap(t *testing.T) {
	const in = `{"kind":"run","scenario":"pt-json","path":"direct","run":1,"c":32,"requests":1000}
{"kind":"run","scenario":"pt-json","path":"gateway","run":1,"c":32,"requests":1000}
{"kind":"debugvars","label":"preload","ok":true,"goroutines":20,"heap_inuse":5000000,"heap_alloc":3000000,"heap_live":2000000}
{"kind":"debugvars","label":"after-load","ok":true,"goroutines":20,"heap_inuse":7000000,"heap_alloc":4000000,"heap_live":2150000}
{"kind":"debugvars","label":"after-hold","ok":true,"goroutines":21,"heap_inuse":5000000,"heap_alloc":3000000,"heap_live":2300000,"goroutine_record_bytes":500}
`
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{in, []string{"PASS  live heap within 10% of pre-load after-load", "2.05 vs 1.91 MiB",
			"MISS  live heap within 10% of pre-load after-hold", "live heap 2.05 MiB (+7.5%)"}},
		{strings.ReplaceAll(in, `,"heap_live":2150000`, ""), []string{"n/a   live heap within 10% of pre-load after-load"}},
		// After 1,000 slow streams, their 4,000 goroutines' records are allowed for.
		{in + `{"kind":"hold","streams":1000,"established":1000,"goroutines_peak":4020}` + "\n",
			[]string{"PASS  live heap within 10% of pre-load after-hold", "+ 1.91 MiB the runtime keeps for the 4000 goroutines that ran (500 B each)"}},
		{strings.Replace(in, `"heap_live":2300000,`, `"heap_live":4500000,`, 1) + `{"kind":"hold","streams":1000,"established":1000,"goroutines_peak":4020}` + "\n",
			[]string{"MISS  live heap within 10% of pre-load after-hold"}},
	} {
		rs, err := load(strings.NewReader(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		printReport(&b, rs)
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("no %q in:\n%s", w, b.String())
			}
		}
	}
}

// A pass-through row's copy floor is its own path (not counted as the
// gateway's), printed under the row, and the CPU target line says what is
// the gateway's own above it.
func TestAgentCopyFloorRow(t *testing.T) {
	row := func(path string, cpu, p50 float64) string {
		return `{"kind":"run","scenario":"agent-claude-664k-anthropic-sse","path":"` + path + `","run":1,"c":8,"requests":1000,` +
			`"stream":true,"dialect":"anthropic","upstream":"anthropic","shape":"claude","body_bytes":666576,` +
			`"cpu_ms_per_req":` + strconv.FormatFloat(cpu, 'f', 3, 64) + `,"p50_ms":` + strconv.FormatFloat(p50, 'f', 2, 64) + `}` + "\n"
	}
	rs, err := load(strings.NewReader(row("gateway", 0.526, 7.7) + row("floor", 0.724, 7.2) + row("copyfloor", 0.431, 6.9)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	printReport(&b, rs)
	out := b.String()
	for _, w := range []string{
		"└ copy floor                   │     0.0     6.90     0.00 │    0.431 │",
		"0.526 ms (0.73× the bare proxy's 0.724 ms; +0.095 ms over the copy floor's 0.431 ms in this run)",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("no %q in:\n%s", w, out)
		}
	}
	if strings.Count(out, "0.526") != 2 { // the row and the target line: the copy floor's run is not the gateway's
		t.Errorf("the gateway's CPU is shown %d times:\n%s", strings.Count(out, "0.526"), out)
	}
}

// What the runtime keeps per ended goroutine is measured, not assumed: a
// few hundred bytes (497 with Go 1.26 on amd64).
func TestGoroutineRecord(t *testing.T) {
	if b := goroutineRecord(); b < 200 || b > 4096 {
		t.Errorf("%.0f bytes kept per ended goroutine", b)
	}
}
