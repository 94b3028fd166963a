package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"
)

// Meta describes the bench run (written by bench.sh).
type Meta struct {
	Kind      string  `json:"kind"` // "meta"
	Commit    string  `json:"commit"`
	Runs      int     `json:"runs"`
	Duration  string  `json:"duration"`
	Warmup    string  `json:"warmup"`
	Bin       string  `json:"bin"`
	Pinned    string  `json:"pinned"`
	LoadStart string  `json:"load_start"`
	LoadEnd   string  `json:"load_end"`
	Quick     bool    `json:"quick"`
	Debug     bool    `json:"debug"`
	CPUs      int     `json:"cpus"`
	Note      string  `json:"note"`
	Upstream  string  `json:"upstream"`
	GapsPace  float64 `json:"gaps_pace_ms"`
}

type records struct {
	meta  Meta
	runs  []RunResult
	gaps  map[string]GapsResult
	holds []HoldResult
	soaks []SoakResult
	procs map[string]ProcStat
	dbg   map[string]DebugVars
}

func load(r io.Reader) (*records, error) {
	rs := &records{gaps: map[string]GapsResult{}, procs: map[string]ProcStat{}, dbg: map[string]DebugVars{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var k struct{ Kind string }
		if json.Unmarshal(line, &k) != nil {
			continue
		}
		var err error
		switch k.Kind {
		case "meta":
			err = json.Unmarshal(line, &rs.meta)
		case "run":
			var v RunResult
			if err = json.Unmarshal(line, &v); err == nil {
				rs.runs = append(rs.runs, v)
			}
		case "gaps":
			var v GapsResult
			if err = json.Unmarshal(line, &v); err == nil {
				rs.gaps[v.Path] = v
			}
		case "hold":
			var v HoldResult
			if err = json.Unmarshal(line, &v); err == nil {
				rs.holds = append(rs.holds, v)
			}
		case "soak":
			var v SoakResult
			if err = json.Unmarshal(line, &v); err == nil {
				rs.soaks = append(rs.soaks, v)
			}
		case "procstat":
			var v ProcStat
			if err = json.Unmarshal(line, &v); err == nil {
				rs.procs[v.Label] = v
			}
		case "debugvars":
			var v DebugVars
			if err = json.Unmarshal(line, &v); err == nil {
				rs.dbg[v.Label] = v
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return rs, sc.Err()
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

type scenKey struct {
	scenario string
	c        int
}

// agg is one scenario's medians over the runs.
type agg struct {
	key                       scenKey
	stream                    bool
	n                         int // paired runs
	dRPS, gRPS, ratio         float64
	dP50, gP50, addP50        float64
	dP99, gP99, addP99        float64
	dT50, gT50, addT50        float64
	dT99, gT99, addT99        float64
	cpu, util, allocs, abytes float64
	rqwait                    float64
	reads, writes             float64
	// floor: a bare net/http proxy on the same topology (scripts/bench/bareproxy)
	hasFloor                  bool
	fRPS, fRatio, fP50, fP99  float64
	fAddP50, fAddP99, fAddT50 float64
	fT50, fCPU, fRQWait       float64
	fErr                      int
	fReads, fWrites           float64
	dErr, gErr                int
	errSamples                []string
	rssPeak, fRSSPeak         int64
	// copy floor (agent pass-through rows): the least any HTTP/1.1 proxy
	// does (scripts/bench/copyfloor)
	hasCopy                bool
	cRPS, cP50, cP99, cCPU float64
	cErr                   int
	cRSSPeak               int64
	// c=1 rows: latency histograms pooled over the runs (RunResult.Hist);
	// over the floorRounds that ran direct, floor and gateway, the median
	// added means and in how many the gateway's p50 and p99 were at or
	// below the floor's.
	dHist, gHist, fHist             []int
	addMean, fAddMean               float64
	lowerP50, lowerP99, floorRounds int
	// agent-sized rows (loadgen run -body)
	bodyBytes                int
	shape, dialect, upstream string
}

var scenarioNames = map[string]string{
	"pt-json":      "pass-through JSON  openai→openai",
	"pt-sse":       "pass-through SSE   openai→openai",
	"pt-anth-json": "pass-through JSON  anthropic→anthropic",
	"pt-anth-sse":  "pass-through SSE   anthropic→anthropic",
	"pt-gem-json":  "pass-through JSON  gemini→gemini",
	"pt-gem-sse":   "pass-through SSE   gemini→gemini",
	"tr-anth-json": "translated JSON    anthropic→openai",
	"tr-anth-sse":  "translated SSE     anthropic→openai",
	"tr-gem-json":  "translated JSON    gemini→openai",
	"tr-gem-sse":   "translated SSE     gemini→openai",
	"lat50-json":   "50ms upstream JSON openai→openai",
	"lat50-sse":    "50ms upstream SSE  openai→openai",
}

// pool adds a run's latency histogram to h.
func pool(h *[]int, r *RunResult) {
	if r == nil || len(r.Hist) == 0 {
		return
	}
	if len(*h) < len(r.Hist) {
		*h = append(*h, make([]int, len(r.Hist)-len(*h))...)
	}
	for i, n := range r.Hist {
		(*h)[i] += n
	}
}

func (rs *records) aggregate() []agg {
	type pair struct{ d, g, f, c *RunResult } // direct, gateway, floor, copy floor
	byKey := map[scenKey]map[int]*pair{}
	var order []scenKey
	for i := range rs.runs {
		r := &rs.runs[i]
		k := scenKey{r.Scenario, r.C}
		if byKey[k] == nil {
			byKey[k] = map[int]*pair{}
			order = append(order, k)
		}
		p := byKey[k][r.Run]
		if p == nil {
			p = &pair{}
			byKey[k][r.Run] = p
		}
		switch r.Path {
		case "direct":
			p.d = r
		case "floor":
			p.f = r
		case "copyfloor":
			p.c = r
		default:
			p.g = r
		}
	}
	var out []agg
	for _, k := range order {
		a := agg{key: k}
		var rd, wr, fRd, fWr []float64
		var fRPS, fRatio, fP50, fP99, fAP50, fAP99, fAT50, fT50, fCPU, fRQ []float64
		var dRPS, gRPS, ratio, dP50, gP50, aP50, dP99, gP99, aP99, dT50, gT50, aT50, dT99, gT99, aT99, cpu, util, allocs, ab, rqw []float64
		var aMean, fMean, cRPS, cP50, cP99, cCPU []float64
		for _, p := range byKey[k] {
			pool(&a.dHist, p.d)
			pool(&a.gHist, p.g)
			pool(&a.fHist, p.f)
			if p.d != nil && p.g != nil && p.f != nil && p.d.Mean > 0 {
				a.floorRounds++
				aMean, fMean = append(aMean, p.g.Mean-p.d.Mean), append(fMean, p.f.Mean-p.d.Mean)
				if p.g.P50 <= p.f.P50 {
					a.lowerP50++
				}
				if p.g.P99 <= p.f.P99 {
					a.lowerP99++
				}
			}
			if p.d != nil {
				a.stream = p.d.Stream
				dRPS, dP50, dP99 = append(dRPS, p.d.RPS), append(dP50, p.d.P50), append(dP99, p.d.P99)
				dT50, dT99 = append(dT50, p.d.TTFE50), append(dT99, p.d.TTFE99)
				a.dErr += p.d.Errors
				a.errSamples = append(a.errSamples, p.d.ErrSamples...)
			}
			if p.g != nil {
				a.stream = p.g.Stream
				gRPS, gP50, gP99 = append(gRPS, p.g.RPS), append(gP50, p.g.P50), append(gP99, p.g.P99)
				gT50, gT99 = append(gT50, p.g.TTFE50), append(gT99, p.g.TTFE99)
				cpu, util, rqw = append(cpu, p.g.CPUMsPerReq), append(util, p.g.CPUUtil), append(rqw, p.g.Other)
				rd, wr = append(rd, p.g.ReadsPerReq), append(wr, p.g.WritesPerReq)
				if p.g.AllocsPerReq > 0 {
					allocs, ab = append(allocs, p.g.AllocsPerReq), append(ab, p.g.BytesPerReq)
				}
				a.gErr += p.g.Errors
				a.errSamples = append(a.errSamples, p.g.ErrSamples...)
				a.rssPeak = max(a.rssPeak, p.g.RSSPeakKiB)
				a.bodyBytes, a.shape, a.dialect, a.upstream = p.g.BodyBytes, p.g.Shape, p.g.Dialect, p.g.Upstream
			}
			if p.f != nil {
				a.hasFloor = true
				a.fErr += p.f.Errors
				a.fRSSPeak = max(a.fRSSPeak, p.f.RSSPeakKiB)
				fRPS, fP50, fP99, fT50 = append(fRPS, p.f.RPS), append(fP50, p.f.P50), append(fP99, p.f.P99), append(fT50, p.f.TTFE50)
				fCPU, fRQ = append(fCPU, p.f.CPUMsPerReq), append(fRQ, p.f.Other)
				fRd, fWr = append(fRd, p.f.ReadsPerReq), append(fWr, p.f.WritesPerReq)
				if p.d != nil {
					if p.d.RPS > 0 {
						fRatio = append(fRatio, p.f.RPS/p.d.RPS)
					}
					fAP50, fAP99, fAT50 = append(fAP50, p.f.P50-p.d.P50), append(fAP99, p.f.P99-p.d.P99), append(fAT50, p.f.TTFE50-p.d.TTFE50)
				}
			}
			if p.c != nil {
				a.hasCopy = true
				a.cErr += p.c.Errors
				a.cRSSPeak = max(a.cRSSPeak, p.c.RSSPeakKiB)
				cRPS, cP50, cP99 = append(cRPS, p.c.RPS), append(cP50, p.c.P50), append(cP99, p.c.P99)
				cCPU = append(cCPU, p.c.CPUMsPerReq)
			}
			if p.d != nil && p.g != nil {
				a.n++
				if p.d.RPS > 0 {
					ratio = append(ratio, p.g.RPS/p.d.RPS)
				}
				aP50, aP99 = append(aP50, p.g.P50-p.d.P50), append(aP99, p.g.P99-p.d.P99)
				aT50, aT99 = append(aT50, p.g.TTFE50-p.d.TTFE50), append(aT99, p.g.TTFE99-p.d.TTFE99)
			}
		}
		a.dRPS, a.gRPS, a.ratio = median(dRPS), median(gRPS), median(ratio)
		a.dP50, a.gP50, a.addP50 = median(dP50), median(gP50), median(aP50)
		a.dP99, a.gP99, a.addP99 = median(dP99), median(gP99), median(aP99)
		a.dT50, a.gT50, a.addT50 = median(dT50), median(gT50), median(aT50)
		a.dT99, a.gT99, a.addT99 = median(dT99), median(gT99), median(aT99)
		a.cpu, a.util, a.allocs, a.abytes, a.rqwait = median(cpu), median(util), median(allocs), median(ab), median(rqw)
		a.fRPS, a.fRatio, a.fP50, a.fP99 = median(fRPS), median(fRatio), median(fP50), median(fP99)
		a.fAddP50, a.fAddP99, a.fAddT50 = median(fAP50), median(fAP99), median(fAT50)
		a.fT50, a.fCPU, a.fRQWait = median(fT50), median(fCPU), median(fRQ)
		a.cRPS, a.cP50, a.cP99, a.cCPU = median(cRPS), median(cP50), median(cP99), median(cCPU)
		a.reads, a.writes, a.fReads, a.fWrites = median(rd), median(wr), median(fRd), median(fWr)
		a.addMean, a.fAddMean = median(aMean), median(fMean)
		out = append(out, a)
	}
	return out
}

func f(v float64, prec int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

// fpos is f for values where a negative means "not measured".
func fpos(v float64, prec int) string {
	if v < 0 {
		return "-"
	}
	return f(v, prec)
}

func rw(r, w float64) string {
	if math.IsNaN(r) || (r == 0 && w == 0) {
		return "-"
	}
	return fmt.Sprintf("%.1f/%.1f", r, w)
}

func signed(v float64, prec int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%+.*f", prec, v)
}

func mib(kib int64) string {
	if kib <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

func verdict(ok bool, known bool) string {
	if !known {
		return "n/a "
	}
	if ok {
		return "PASS"
	}
	return "MISS"
}

func cmdReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	in := fs.String("in", "", "results file (JSON lines)")
	failOnErrors := fs.Bool("fail-on-errors", false, "exit non-zero when any scenario had errors")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fh, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer fh.Close()
	rs, err := load(fh)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(os.Stdout)
	printReport(w, rs)
	if err := w.Flush(); err != nil {
		return err
	}
	if *failOnErrors {
		n := 0
		for _, a := range rs.aggregate() {
			n += a.dErr + a.gErr + a.fErr + a.cErr
		}
		for _, s := range rs.soaks {
			n += s.Errors
		}
		for _, h := range rs.holds {
			n += h.Errors
		}
		for _, g := range rs.gaps {
			n += g.Errors
		}
		if n > 0 {
			return fmt.Errorf("%d failed requests (see the errors column)", n)
		}
	}
	return nil
}

func printReport(w io.Writer, rs *records) {
	m := rs.meta
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("Switchboard gateway bench\n")
	p("  gateway:  %s, tree %s\n", m.Bin, m.Commit)
	p("  upstream: %s\n", m.Upstream)
	if len(rs.runs) > 0 {
		p("  runs:     %d × %s per scenario (+%s warm-up), median of runs; quick=%v\n", m.Runs, m.Duration, m.Warmup, m.Quick)
	}
	p("  pinning:  %s\n", m.Pinned)
	p("  load avg: start %s, end %s (%d CPUs; other work on this machine makes numbers noisy)\n", m.LoadStart, m.LoadEnd, m.CPUs)
	if m.Note != "" {
		p("  note:     %s\n", m.Note)
	}
	all := rs.aggregate()
	var aggs []agg // the small-request scenarios; agent-sized ones have their own table
	for _, a := range all {
		if a.bodyBytes == 0 {
			aggs = append(aggs, a)
		}
	}
	byKey := map[scenKey]agg{}
	for _, a := range aggs {
		byKey[a.key] = a
	}
	if len(aggs) > 0 {
		printSmall(w, rs, aggs, byKey)
	}
	printAgent(w, rs, all)
	totalErr := 0
	for _, a := range all {
		totalErr += a.dErr + a.gErr + a.fErr + a.cErr
	}
	for _, s := range rs.soaks {
		totalErr += s.Errors
	}
	p("  %s  %-62s %d\n", verdict(totalErr == 0, len(all)+len(rs.soaks) > 0), "errors = 0 in every scenario", totalErr)
}

// printSmall is the small-request bench: latency against direct and the
// floor, memory, held streams, chunk forwarding and their targets.
func printSmall(w io.Writer, rs *records, aggs []agg, byKey map[scenKey]agg) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("\nLatency / throughput   (ms; \"+\" = gateway − direct, paired per run, then median; ratio = gateway/direct RPS)\n")
	hdr := fmt.Sprintf("%-38s %3s │ %8s %8s %6s │ %6s %6s %7s │ %7s %7s %8s │ %6s %6s %7s │ %7s %5s %5s %7s %9s │ %s",
		"scenario", "c", "rps dir", "rps gw", "ratio", "p50 d", "p50 gw", "+p50", "p99 d", "p99 gw", "+p99",
		"1st d", "1st gw", "+1st", "cpu/req", "cores", "other", "alloc/r", "sys r/w/r", "errors d/gw")
	p("%s\n%s\n", hdr, strings.Repeat("─", len([]rune(hdr))))
	for _, a := range aggs {
		name := scenarioNames[a.key.scenario]
		if name == "" {
			name = a.key.scenario
		}
		t1, t2, t3 := "", "", ""
		if a.stream {
			t1, t2, t3 = f(a.dT50, 3), f(a.gT50, 3), signed(a.addT50, 3)
		}
		p("%-38s %3d │ %8s %8s %6s │ %6s %6s %7s │ %7s %7s %8s │ %6s %6s %7s │ %7s %5s %5s %7s %9s │ %d/%d\n",
			name, a.key.c, f(a.dRPS, 0), f(a.gRPS, 0), f(a.ratio, 3),
			f(a.dP50, 3), f(a.gP50, 3), signed(a.addP50, 3),
			f(a.dP99, 3), f(a.gP99, 3), signed(a.addP99, 3),
			t1, t2, t3, f(a.cpu, 3), f(a.util, 2), fpos(a.rqwait, 2), f(a.allocs, 0), rw(a.reads, a.writes), a.dErr, a.gErr)
		if a.hasFloor {
			t2, t3 = "", ""
			if a.stream {
				t2, t3 = f(a.fT50, 3), signed(a.fAddT50, 3)
			}
			p("%-38s %3s │ %8s %8s %6s │ %6s %6s %7s │ %7s %7s %8s │ %6s %6s %7s │ %7s %5s %5s %7s %9s │ %d\n",
				"  └ floor: bare net/http proxy", "", "", f(a.fRPS, 0), f(a.fRatio, 3), "", f(a.fP50, 3), signed(a.fAddP50, 3),
				"", f(a.fP99, 3), signed(a.fAddP99, 3), "", t2, t3, f(a.fCPU, 3), "", fpos(a.fRQWait, 2), "", rw(a.fReads, a.fWrites), a.fErr)
		}
	}
	p("  floor rows: scripts/bench/bareproxy (read body, POST upstream, copy answer) in the gateway's place, same pinning;\n")
	p("  its \"+\" columns are floor − direct: what any Go proxy pays on this machine. gateway − floor is Switchboard's own cost.\n")
	p("  cpu/req = gateway utime+stime (/proc/<pid>/stat) over the measured window ÷ requests (1000/cpu/req = one-core capacity);\n")
	p("  cores = gateway CPU-seconds per second; other = CPU-seconds per second other processes took on the gateway's\n")
	p("  pinned CPU during the window (anything well above 0 means that row's latency/RPS are distorted by other work).\n")
	p("  1st = time to first SSE event at the client. alloc/r needs the gateway's /debug/vars (\"-\" when absent).\n")
	p("  sys r/w/r = read and write system calls of the gateway per request (/proc/<pid>/io syscr/syscw).\n")
	printC1Distributions(w, aggs)
	var errLines []string
	for _, a := range aggs {
		if a.dErr+a.gErr > 0 {
			errLines = append(errLines, fmt.Sprintf("  %s c=%d: %s", a.key.scenario, a.key.c, strings.Join(uniq(a.errSamples), " | ")))
		}
	}
	if len(errLines) > 0 {
		p("  error samples:\n%s\n", strings.Join(errLines, "\n"))
	}

	// ---- memory ----
	p("\nMemory (gateway RSS)\n")
	idle, hasIdle := rs.procs["idle"]
	startup, hasStartup := rs.procs["startup"]
	after, hasAfter := rs.procs["after-load"]
	var peakRun int64
	for _, a := range aggs {
		peakRun = max(peakRun, a.rssPeak)
	}
	started := ""
	if hasStartup { // idle is then the settled server's (bench.sh)
		started = "2 s after start: " + mib(startup.RSSKiB) + "   settled "
	}
	p("  %sidle: %s   peak during load (sampled VmRSS): %s   VmHWM after load: %s   after load: %s\n",
		started, mib(idle.RSSKiB), mib(peakRun), mib(after.HWMKiB), mib(after.RSSKiB))
	for _, h := range rs.holds {
		p("  %d slow streams held %.1fs (established %d in %.1fs, errors %d): RSS before %s, peak %s (VmHWM %s), threads %d",
			h.Streams, h.HeldS, h.Established, h.OpenAllS, h.Errors, mib(h.RSSBeforeKiB), mib(h.RSSPeakKiB), mib(h.HWMKiB), h.Threads)
		if h.Goroutines > 0 {
			p(", goroutines peak %d", h.Goroutines)
		}
		p("\n")
		if len(h.ErrSamples) > 0 {
			p("    errors: %s\n", strings.Join(h.ErrSamples, " | "))
		}
	}
	if ah, ok := rs.procs["after-hold"]; ok {
		p("  after the slow streams: RSS %s\n", mib(ah.RSSKiB))
	}
	pre, hasPre := rs.dbg["preload"]
	postLabels := []string{"after-load", "after-hold"}
	if !hasPre || !pre.OK {
		p("  goroutines / heap: n/a — the gateway exposes no debug endpoint (/debug/vars, /debug/pprof);\n")
		p("    add SWITCHBOARD_DEBUG_ADDR (net/http/pprof + expvar) to check goroutines and heap return to baseline.\n")
	} else {
		p("  pre-load:   goroutines %d, live heap %.2f MiB, heap in use %.2f MiB, heap alloc %.2f MiB, stacks %.2f MiB (after forced GC: %v)\n",
			pre.Goroutines, float64(pre.HeapLive)/(1<<20), float64(pre.HeapInuse)/(1<<20), float64(pre.HeapAlloc)/(1<<20),
			float64(pre.StackInuse)/(1<<20), pre.GCForced)
		for _, l := range postLabels {
			if d, ok := rs.dbg[l]; ok && d.OK {
				p("  %-11s goroutines %d, live heap %.2f MiB (%+.1f%%), heap in use %.2f MiB, heap alloc %.2f MiB, stacks %.2f MiB\n",
					l+":", d.Goroutines, float64(d.HeapLive)/(1<<20), 100*(float64(d.HeapLive)-float64(pre.HeapLive))/float64(max(1, pre.HeapLive)),
					float64(d.HeapInuse)/(1<<20), float64(d.HeapAlloc)/(1<<20), float64(d.StackInuse)/(1<<20))
			}
		}
		p("  live heap: what the forced collection found live. Heap in use and alloc also count what the\n")
		p("  gateway allocated after it, such as the heap profile the forcing request builds (more after load).\n")
		p("  The Go runtime never frees a goroutine's record (it reuses it), so after the slow streams the live\n")
		p("  heap keeps one for each goroutine they ran: the after-hold line allows for them (peak goroutines\n")
		p("  over pre-load × the record's size, measured by loadgen built with the same toolchain).\n")
	}

	// ---- stream forwarding ----
	gd, okd := rs.gaps["direct"]
	gg, okg := rs.gaps["gateway"]
	if okd || okg {
		p("\nStream chunk forwarding (%d chunks paced %.0f ms, %d sequential streams; gaps between consecutive events at the client)\n", gg.Chunks, gg.PaceMS, gg.Streams)
		for _, g := range []GapsResult{gd, gg} {
			if g.Path == "" {
				continue
			}
			p("  %-8s events/stream %d..%d  gap mean %.2f  p50 %.2f  min %.2f  max %.2f  max|dev| %.2f  p99|dev| %.2f  coalesced %d  1st %.3f  errors %d\n",
				g.Path, g.EventsMin, g.EventsMax, g.GapMean, g.GapP50, g.GapMin, g.GapMax, g.MaxDev, g.P99Dev, g.Coalesced, g.TTFE50, g.Errors)
		}
	}

	// ---- targets ----
	p("\nTargets\n")
	line := func(v string, what, val string) { p("  %s  %-62s %s\n", v, what, val) }
	get := func(s string, c int) (agg, bool) { a, ok := byKey[scenKey{s, c}]; return a, ok && a.n > 0 }

	// Added latency at c=1 is judged against the bare net/http proxy in the
	// same seat (what any Go proxy pays on this machine), not an absolute
	// figure: Switchboard may add at most 10% over it, p50 and p99.
	// The rounds in which the gateway was at or below the floor are shown
	// beside the verdict: with medians this close, they tell a real
	// difference (most rounds one way) from a draw.
	vsFloor := func(what string, add, floor float64, lower int, a agg) {
		if !a.hasFloor {
			line("SKIP", what+" ≤ 1.1× the bare proxy's", signed(add, 3)+" ms (no floor row: BENCH_FLOOR=0)")
			return
		}
		line(verdict(add <= 1.1*floor, true), what+" ≤ 1.1× the bare proxy's",
			fmt.Sprintf("%s ms vs floor %s ms = %.2f× (%d rounds, gateway ≤ floor in %d of %d)", signed(add, 3), signed(floor, 3), add/floor, a.n, lower, a.floorRounds))
	}
	if a, ok := get("pt-json", 1); ok {
		vsFloor("added latency c=1 pass-through JSON p50", a.addP50, a.fAddP50, a.lowerP50, a)
		vsFloor("added latency c=1 pass-through JSON p99", a.addP99, a.fAddP99, a.lowerP99, a)
	}
	if a, ok := get("pt-sse", 1); ok {
		vsFloor("added latency c=1 pass-through SSE p50", a.addP50, a.fAddP50, a.lowerP50, a)
		vsFloor("added latency c=1 pass-through SSE p99", a.addP99, a.fAddP99, a.lowerP99, a)
	}
	if a, ok := get("pt-json", 32); ok {
		line(verdict(a.gRPS >= 6000 && a.gP99 <= 10, true), "one core, c=32, pass-through JSON, 0 ms upstream: ≥ 6000 RPS, p99 ≤ 10 ms",
			fmt.Sprintf("%s RPS, p99 %s ms (direct %s; one-core capacity 1/cpu ≈ %s RPS)", f(a.gRPS, 0), f(a.gP99, 2), f(a.dRPS, 0), f(1000/a.cpu, 0)))
		line(verdict(a.cpu <= 0.15, true), "CPU/request pass-through JSON (c=32) ≤ 0.15 ms", f(a.cpu, 3)+" ms")
		for _, s := range []string{"tr-anth-json", "tr-gem-json"} {
			if t, ok := get(s, 32); ok {
				line(verdict(t.cpu <= 1.5*a.cpu, true), "CPU/request "+strings.TrimSpace(scenarioNames[s])+" ≤ 1.5× pass-through",
					fmt.Sprintf("%s ms = %.2f×", f(t.cpu, 3), t.cpu/a.cpu))
			}
		}
	}
	if a, ok := get("pt-sse", 32); ok {
		line(verdict(a.cpu <= 0.15, true), "CPU/request pass-through SSE (c=32, 20 chunks) ≤ 0.15 ms", f(a.cpu, 3)+" ms")
		for _, s := range []string{"tr-anth-sse", "tr-gem-sse"} {
			if t, ok := get(s, 32); ok {
				line(verdict(t.cpu <= 1.5*a.cpu, true), "CPU/request "+strings.TrimSpace(scenarioNames[s])+" ≤ 1.5× pass-through",
					fmt.Sprintf("%s ms = %.2f×", f(t.cpu, 3), t.cpu/a.cpu))
			}
		}
	}
	if a, ok := get("pt-sse", 1); ok {
		line(verdict(a.addT50 <= 0.3, true), "stream first event c=1 ≤ +0.3 ms (p50)", signed(a.addT50, 3)+" ms (p99 "+signed(a.addT99, 3)+")")
	}
	if a, ok := get("pt-sse", 32); ok {
		line(verdict(a.addT50 <= 1, true), "stream first event c=32 ≤ +1 ms (p50)", signed(a.addT50, 3)+" ms (p99 "+signed(a.addT99, 3)+")")
		line(verdict(a.ratio >= 0.99, true), "stream throughput c=32 ≥ 99% of direct", fmt.Sprintf("%.1f%% (%s vs %s RPS; capacity 1/cpu ≈ %s RPS)", 100*a.ratio, f(a.gRPS, 0), f(a.dRPS, 0), f(1000/a.cpu, 0)))
	}
	for _, s := range []string{"lat50-json", "lat50-sse"} {
		if a, ok := get(s, 32); ok {
			kind := "JSON"
			if a.stream {
				kind = "SSE"
			}
			line(verdict(a.addP99 <= 1, true), "50 ms upstream c=32 "+kind+": p99 ≤ +1 ms", signed(a.addP99, 3)+" ms")
			line(verdict(a.ratio >= 0.99, true), "50 ms upstream c=32 "+kind+": ≥ 99% of direct throughput", fmt.Sprintf("%.1f%%", 100*a.ratio))
		}
	}
	if hasIdle {
		line(verdict(idle.RSSKiB <= 25*1024, true), "idle RSS ≤ 25 MiB (headless)", mib(idle.RSSKiB))
	}
	for _, h := range rs.holds {
		line(verdict(h.RSSPeakKiB <= 150*1024 && h.Errors == 0 && h.Established == h.Streams, true),
			fmt.Sprintf("%d slow streams held open ≤ 150 MiB RSS (all established)", h.Streams),
			fmt.Sprintf("peak %s, %d/%d established, %d errors", mib(h.RSSPeakKiB), h.Established, h.Streams, h.Errors))
	}
	if okd && okg {
		// Every chunk must reach the client as its own event at the upstream's
		// pace: same event count, median gap within 1 ms of direct, and at
		// most 2% of gaps collapsed (a starved CPU can merge a few; a
		// buffering gateway merges most).
		ok := gg.Errors == 0 && gg.EventsMin == gd.EventsMin && math.Abs(gg.GapP50-gd.GapP50) <= 1 &&
			float64(gg.Coalesced) <= 0.02*float64(max(1, gg.Gaps))
		line(verdict(ok, true), "every upstream chunk forwarded as it arrives (20 × 10 ms)",
			fmt.Sprintf("max|dev| gw %.2f vs direct %.2f ms; gap p50 %.2f vs %.2f; coalesced %d/%d",
				gg.MaxDev, gd.MaxDev, gg.GapP50, gd.GapP50, gg.Coalesced, gg.Gaps))
	}
	if hasPre && pre.OK {
		for _, l := range postLabels {
			if d, ok := rs.dbg[l]; ok && d.OK {
				line(verdict(d.Goroutines <= pre.Goroutines+2, true), "goroutines back to baseline "+l, fmt.Sprintf("%d vs %d", d.Goroutines, pre.Goroutines))
				// The runtime keeps a record of every goroutine that ran:
				// after the slow streams (about four goroutines each),
				// those records are allowed for.
				var kept float64
				if l == "after-hold" && len(rs.holds) > 0 {
					kept = float64(max(0, rs.holds[0].Goroutines-pre.Goroutines)) * d.GoroutineRecord
				}
				val := fmt.Sprintf("%.2f vs %.2f MiB", float64(d.HeapLive)/(1<<20), float64(pre.HeapLive)/(1<<20))
				if kept > 0 {
					val += fmt.Sprintf(" + %.2f MiB the runtime keeps for the %d goroutines that ran (%.0f B each)",
						kept/(1<<20), rs.holds[0].Goroutines-pre.Goroutines, d.GoroutineRecord)
				}
				line(verdict(float64(d.HeapLive) <= 1.10*float64(pre.HeapLive)+kept, d.HeapLive > 0 && pre.HeapLive > 0),
					"live heap within 10% of pre-load "+l, val)
			}
		}
	} else if hasAfter {
		line(verdict(false, false), "goroutines/heap back to baseline (needs a debug endpoint)", "RSS after load "+mib(after.RSSKiB)+" vs idle "+mib(idle.RSSKiB))
	}
}

func uniq(s []string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	if len(out) > 4 {
		out = out[:4]
	}
	return out
}

// printC1Distributions shows the c=1 rows' latencies as distributions
// pooled over the rounds, beside direct's and the floor's. On a virtual
// machine whose idle CPUs sleep, each hop may wait for a CPU to wake, and
// a request's time falls in one of two modes a few hundred microseconds
// apart; a p50 can then sit between them and move with the mix of the two,
// whatever the proxy does. The means move smoothly with the mix.
func printC1Distributions(w io.Writer, aggs []agg) {
	const step, from, cols = 2, 4, 24 // 50 µs columns from 0.10 ms (RunResult.Hist is 25 µs)
	printed := false
	for _, a := range aggs {
		if a.key.c != 1 || !a.hasFloor || len(a.gHist) == 0 || len(a.fHist) == 0 || len(a.dHist) == 0 {
			continue
		}
		if !printed {
			fmt.Fprintf(w, "\nc=1 latency distributions, pooled over the rounds (%% of requests per 50 µs, by the lower edge in ms; the first column holds all faster, the last all slower)\n")
			fmt.Fprintf(w, "%-38s %-8s", "", "")
			for i := 0; i < cols; i++ {
				fmt.Fprintf(w, " %4.2f", float64((from+i*step)*int(histBucket/time.Microsecond))/1000)
			}
			fmt.Fprintln(w)
			printed = true
		}
		name := scenarioNames[a.key.scenario]
		for _, row := range []struct {
			path string
			h    []int
		}{{"direct", a.dHist}, {"floor", a.fHist}, {"gateway", a.gHist}} {
			total := 0
			for _, n := range row.h {
				total += n
			}
			fmt.Fprintf(w, "%-38s %-8s", name, row.path)
			name = ""
			for i := 0; i < cols; i++ {
				lo, hi := from+i*step, from+(i+1)*step
				if i == 0 {
					lo = 0
				}
				if i == cols-1 {
					hi = len(row.h)
				}
				n := 0
				for j := lo; j < min(hi, len(row.h)); j++ {
					n += row.h[j]
				}
				fmt.Fprintf(w, " %4.1f", 100*float64(n)/float64(max(total, 1)))
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%-38s mean added: gateway %s ms, floor %s ms (medians of %d rounds)\n", "", signed(a.addMean, 3), signed(a.fAddMean, 3), a.floorRounds)
	}
}
