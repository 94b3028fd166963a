package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/backend/dialect/dialecttest/agentbody"
)

// ---- loadgen body: an agent-sized request body ----

// BodyStats is what `loadgen body` wrote.
type BodyStats struct {
	Kind  string `json:"kind"` // "body"
	Shape string `json:"shape"`
	Size  string `json:"size"`
	Seed  uint64 `json:"seed"`
	File  string `json:"file"`
	agentbody.Stats
}

func cmdBody(args []string) error {
	fs := flag.NewFlagSet("body", flag.ContinueOnError)
	shape := fs.String("shape", "claude", "client shape: claude (Anthropic Messages) | codex (Responses) | gemini | opencode (Chat Completions)")
	size := fs.String("size", "100k", "body size: 100k, 664k, 1m or bytes")
	seed := fs.Uint64("seed", 1, "content seed (same seed, same bytes)")
	model := fs.String("model", "d0-n20-p0", "the body's model (loadgen run -model replaces it)")
	stream := fs.Bool("stream", false, "the body's stream flag (loadgen run -stream replaces it)")
	out := fs.String("o", "-", "output file (- = stdout; the stats then go to stderr)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	n, err := agentbody.ParseSize(*size)
	if err != nil {
		return err
	}
	body, st, err := agentbody.Generate(agentbody.Options{Shape: agentbody.Shape(*shape), Size: n, Seed: *seed, Model: *model, Stream: *stream})
	if err != nil {
		return err
	}
	rec := BodyStats{Kind: "body", Shape: *shape, Size: *size, Seed: *seed, File: *out, Stats: st}
	if *out == "-" {
		if _, err := os.Stdout.Write(body); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%s %s: %d bytes, %d tools, %d messages, %d tool calls\n", *shape, *size, st.Bytes, st.Tools, st.Messages, st.Calls)
		return nil
	}
	if err := os.WriteFile(*out, body, 0o644); err != nil {
		return err
	}
	emit(rec)
	return nil
}

// ---- loadgen soak: a long run of large requests, RSS sampled ----

// SoakResult is a long run's memory over time.
type SoakResult struct {
	Kind       string   `json:"kind"` // "soak"
	Label      string   `json:"label"`
	C          int      `json:"c"`
	Targets    []string `json:"targets"`
	WarmupS    float64  `json:"warmup_s"`
	DurationS  float64  `json:"duration_s"`
	Requests   int64    `json:"requests"`
	Errors     int      `json:"errors"`
	ErrSamples []string `json:"err_samples,omitempty"`
	RPS        float64  `json:"rps"`
	CPUMsPerRq float64  `json:"cpu_ms_per_req,omitempty"`
	// RSS (KiB): the largest during the warm-up, in the first and the last
	// third of the measured time, over all of it; the least-squares slope
	// over the measured time; one sample every SeriesS seconds.
	RSSWarmKiB  int64 `json:"rss_warmup_kib"`
	RSSFirstKiB int64 `json:"rss_first_third_kib"`
	RSSLastKiB  int64 `json:"rss_last_third_kib"`
	RSSPeakKiB  int64 `json:"rss_peak_kib"`
	// RSS QuietS seconds after the load ended (-quiet): what the gateway
	// hands back once large requests are over.
	QuietS      float64 `json:"quiet_s,omitempty"`
	RSSQuietKiB int64   `json:"rss_quiet_kib,omitempty"`
	SlopeMiBMin float64 `json:"rss_slope_mib_per_min"`
	SeriesS     float64 `json:"series_every_s"`
	Series      []int64 `json:"rss_series_kib"`
	BodyBytes   []int   `json:"body_bytes"`
}

// flat says whether RSS stopped growing after the warm-up: the last third
// peaks within 5% (at least 2 MiB) of the first third.
func (s SoakResult) flat() bool {
	return s.RSSLastKiB <= s.RSSFirstKiB+max(2048, s.RSSFirstKiB/20)
}

type multiTarget []string

func (m *multiTarget) String() string     { return strings.Join(*m, " ") }
func (m *multiTarget) Set(v string) error { *m = append(*m, v); return nil }

// parseTarget reads dialect,model,bodyfile[,sse].
func parseTarget(spec, base, key string) (*target, error) {
	f := strings.Split(spec, ",")
	if len(f) < 3 || len(f) > 4 {
		return nil, fmt.Errorf("-target %q: want dialect,model,bodyfile[,sse]", spec)
	}
	t := &target{base: base, key: key, dialect: f[0], model: f[1], bodyFile: f[2], stream: len(f) == 4 && f[3] == "sse"}
	return t, t.check()
}

func cmdSoak(args []string) error {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	base := fs.String("url", "", "gateway base URL (loopback)")
	key := fs.String("key", "", "API key")
	var specs multiTarget
	fs.Var(&specs, "target", "dialect,model,bodyfile[,sse] (repeatable; workers take the targets in turn)")
	c := fs.Int("c", 8, "concurrency (workers)")
	dur := fs.Duration("d", 5*time.Minute, "measured duration")
	warm := fs.Duration("warmup", time.Minute, "warm-up before the measured time")
	every := fs.Duration("every", time.Second, "RSS sampling interval")
	pid := fs.Int("pid", 0, "the gateway's pid")
	label := fs.String("label", "soak", "label")
	quiet := fs.Duration("quiet", 0, "after the load, wait this long and read RSS again (0: don't)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(specs) == 0 || *pid <= 0 {
		return fmt.Errorf("soak needs -pid and at least one -target")
	}
	if *quiet < 0 || *quiet > 5*time.Minute {
		return fmt.Errorf("bounded wait only: 0 ≤ quiet ≤ 5m")
	}
	if *c < 1 || *c > 256 || *dur <= 0 || *dur+*warm > 30*time.Minute || *every < 100*time.Millisecond {
		return fmt.Errorf("bounded load only: 1 ≤ c ≤ 256, warm-up + d ≤ 30m, every ≥ 100ms")
	}
	client := newClient(*c)
	res := SoakResult{Kind: "soak", Label: *label, C: *c, Targets: specs, WarmupS: warm.Seconds(), DurationS: dur.Seconds()}
	var workers []*worker
	for i := range *c {
		t, err := parseTarget(specs[i%len(specs)], *base, *key)
		if err != nil {
			return err
		}
		w := newWorker(client, t, t.body(), i)
		if i < len(specs) {
			res.BodyBytes = append(res.BodyBytes, len(w.body))
		}
		workers = append(workers, w)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *warm+*dur)
	defer cancel()
	var reqs atomic.Int64
	var errs errCounter
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				o := w.do(ctx, false)
				switch {
				case o.err == "canceled" && ctx.Err() != nil:
				case o.err != "":
					errs.add(o.err)
				default:
					reqs.Add(1)
				}
			}
		}()
	}
	// Sample RSS until the end; the measured window starts after the warm-up.
	start := time.Now()
	var samples []rssSample
	var cpu0, req0 int64
	tick := time.NewTicker(*every)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
		}
		at := time.Since(start)
		if st, err := procStatus(*pid); err == nil {
			samples = append(samples, rssSample{at: at, kib: st.rss})
		}
		if cpu0 == 0 && at >= *warm {
			cpu0, _ = cpuTicks(*pid)
			req0 = reqs.Load()
		}
	}
	tick.Stop()
	cpu1, _ := cpuTicks(*pid)
	wg.Wait()
	n := reqs.Load() - req0
	res.Requests, res.Errors, res.ErrSamples = reqs.Load(), errs.n, errs.samples
	res.RPS = float64(n) / dur.Seconds()
	if n > 0 && cpu0 > 0 {
		res.CPUMsPerRq = float64(cpu1-cpu0) * 1000 / clkTck / float64(n)
	}
	summarizeRSS(&res, samples, *warm, *dur)
	if *quiet > 0 {
		time.Sleep(*quiet)
		if st, err := procStatus(*pid); err == nil {
			res.QuietS, res.RSSQuietKiB = quiet.Seconds(), st.rss
		}
	}
	emit(res)
	return nil
}

type rssSample struct {
	at  time.Duration
	kib int64
}

// summarizeRSS fills the RSS fields of res from the samples.
func summarizeRSS(res *SoakResult, samples []rssSample, warm, dur time.Duration) {
	third := dur / 3
	var xs, ys []float64
	stride := max(1, len(samples)/60) // about 60 points in the series
	res.SeriesS = 0
	if len(samples) > 1 {
		res.SeriesS = (samples[len(samples)-1].at - samples[0].at).Seconds() / float64(len(samples)-1) * float64(stride)
	}
	for i, s := range samples {
		res.RSSPeakKiB = max(res.RSSPeakKiB, s.kib)
		if i%stride == 0 {
			res.Series = append(res.Series, s.kib)
		}
		switch m := s.at - warm; {
		case m < 0:
			res.RSSWarmKiB = max(res.RSSWarmKiB, s.kib)
			continue
		case m < third:
			res.RSSFirstKiB = max(res.RSSFirstKiB, s.kib)
		case m >= dur-third:
			res.RSSLastKiB = max(res.RSSLastKiB, s.kib)
		}
		xs, ys = append(xs, (s.at-warm).Minutes()), append(ys, float64(s.kib)/1024)
	}
	res.SlopeMiBMin = slope(xs, ys)
}

// slope is the least-squares slope of ys over xs.
func slope(xs, ys []float64) float64 {
	n := float64(len(xs))
	if n < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx, sy, sxx, sxy = sx+xs[i], sy+ys[i], sxx+xs[i]*xs[i], sxy+xs[i]*ys[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

// ---- the agent part of the report ----

// Targets of issue 19 for the 664 KB-class Claude Code request at c=8.
const (
	agentTargetMinBody = 500_000
	agentTargetMaxBody = 800_000
	agentTargetC       = 8
)

type agentGoal struct {
	cpuMs  float64 // CPU per request
	rssMiB float64 // peak RSS
	xbody  float64 // bytes allocated per request ÷ body
}

var (
	goalPassThrough = agentGoal{cpuMs: 0.5, rssMiB: 100, xbody: 1.5}
	goalTranslated  = agentGoal{cpuMs: 2.5, rssMiB: 150, xbody: 4}
)

func printAgent(w io.Writer, rs *records, aggs []agg) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	var rows []agg
	for _, a := range aggs {
		if a.bodyBytes > 0 {
			rows = append(rows, a)
		}
	}
	if len(rows) == 0 && len(rs.soaks) == 0 {
		return
	}
	slices.SortStableFunc(rows, func(a, b agg) int {
		if c := strings.Compare(a.shape, b.shape); c != 0 {
			return c
		}
		if a.bodyBytes != b.bodyBytes {
			return a.bodyBytes - b.bodyBytes
		}
		if a.dialect+a.upstream != b.dialect+b.upstream {
			return strings.Compare(a.dialect+">"+a.upstream, b.dialect+">"+b.upstream)
		}
		if a.stream != b.stream {
			return map[bool]int{false: -1, true: 1}[a.stream]
		}
		return a.key.c - b.key.c
	})
	p("\nAgent-sized requests   (generated bodies: scripts/bench/loadgen body; gateway only, fresh process per row unless BENCH_AGENT_FRESH=0)\n")
	hdr := fmt.Sprintf("%-7s %7s %-24s %-4s %2s │ %7s %8s %8s │ %8s │ %9s │ %9s %6s %7s │ %s",
		"shape", "body", "client → upstream", "mode", "c", "rps", "p50 ms", "p99 ms", "cpu/req", "peak RSS", "alloc/req", "×body", "allocs", "errors")
	p("%s\n%s\n", hdr, strings.Repeat("─", len([]rune(hdr))))
	for _, a := range rows {
		mode := "json"
		if a.stream {
			mode = "sse"
		}
		path := a.dialect + " → " + a.upstream
		if a.dialect == a.upstream {
			path += " (pt)"
		}
		p("%-7s %7s %-24s %-4s %2d │ %7s %8s %8s │ %8s │ %9s │ %9s %6s %7s │ %d\n",
			a.shape, kb(a.bodyBytes), path, mode, a.key.c, f(a.gRPS, 1), f(a.gP50, 2), f(a.gP99, 2), f(a.cpu, 3),
			mib(a.rssPeak), mbytes(a.abytes), xbody(a.abytes, a.bodyBytes), f(a.allocs, 0), a.gErr)
		if a.hasFloor {
			p("%-7s %7s %-24s %-4s %2s │ %7s %8s %8s │ %8s │ %9s │ %9s %6s %7s │ %d\n",
				"", "", "  └ floor: bare proxy", "", "", f(a.fRPS, 1), f(a.fP50, 2), f(a.fP99, 2), f(a.fCPU, 3), mib(a.fRSSPeak), "", "", "", a.fErr)
		}
		if a.hasCopy {
			p("%-7s %7s %-24s %-4s %2s │ %7s %8s %8s │ %8s │ %9s │ %9s %6s %7s │ %d\n",
				"", "", "  └ copy floor", "", "", f(a.cRPS, 1), f(a.cP50, 2), f(a.cP99, 2), f(a.cCPU, 3), mib(a.cRSSPeak), "", "", "", a.cErr)
		}
	}
	for _, a := range rows {
		if a.gErr+a.fErr > 0 {
			p("  errors %s %s %s→%s c=%d: %s\n", a.shape, kb(a.bodyBytes), a.dialect, a.upstream, a.key.c, strings.Join(uniq(a.errSamples), " | "))
		}
	}
	p("  cpu/req in ms; peak RSS sampled every 50 ms during the row; alloc/req = the gateway's memstats TotalAlloc per request\n")
	p("  (needs /debug/vars); ×body = alloc/req ÷ the request body. (pt) = pass-through (same dialect both sides).\n")
	p("  copy floor: scripts/bench/copyfloor, the least any HTTP/1.1 proxy does (buffers kept, head and body in one\n")
	p("  write, the answer copied as it comes): its CPU is what a pass-through costs here before any work of the\n")
	p("  gateway's own (mostly the kernel's loopback TCP: two copies of the body).\n")

	p("\nAgent targets   (issue 19: the 664 KB-class Claude Code request, c=%d, default settings)\n", agentTargetC)
	line := func(ok, known bool, what, val string) { p("  %s  %-62s %s\n", verdict(ok, known), what, val) }
	found := false
	for _, a := range rows {
		if a.shape != "claude" || a.key.c != agentTargetC || a.bodyBytes < agentTargetMinBody || a.bodyBytes > agentTargetMaxBody {
			continue
		}
		found = true
		g, kind := goalTranslated, "translated"
		if a.dialect == a.upstream {
			g, kind = goalPassThrough, "pass-through"
		}
		mode := "JSON"
		if a.stream {
			mode = "SSE"
		}
		name := fmt.Sprintf("%s %s → %s %s", kind, a.dialect, a.upstream, mode)
		cpu := f(a.cpu, 3) + " ms"
		var beside []string
		if a.hasFloor && a.fCPU > 0 && !math.IsNaN(a.cpu) {
			// This machine's speed moves by a third during a day: the
			// bare proxy's CPU in the same run says how fast it was.
			beside = append(beside, fmt.Sprintf("%.2f× the bare proxy's %.3f ms", a.cpu/a.fCPU, a.fCPU))
		}
		if a.hasCopy && a.cCPU > 0 && !math.IsNaN(a.cpu) {
			// What the copies alone cost at this minute: the gateway's
			// own work is what it takes above them.
			beside = append(beside, fmt.Sprintf("%+.3f ms over the copy floor's %.3f ms", a.cpu-a.cCPU, a.cCPU))
		}
		if len(beside) > 0 {
			cpu += " (" + strings.Join(beside, "; ") + " in this run)"
		}
		line(a.cpu <= g.cpuMs, !math.IsNaN(a.cpu), fmt.Sprintf("%s: CPU/request ≤ %.1f ms", name, g.cpuMs), cpu)
		line(float64(a.rssPeak) <= g.rssMiB*1024, a.rssPeak > 0, fmt.Sprintf("%s: peak RSS ≤ %.0f MiB", name, g.rssMiB), mib(a.rssPeak))
		x := a.abytes / float64(a.bodyBytes)
		line(x <= g.xbody, !math.IsNaN(x) && a.abytes > 0, fmt.Sprintf("%s: allocated/request ≤ %.1f× body", name, g.xbody),
			fmt.Sprintf("%s = %s× of %s", mbytes(a.abytes), f(x, 2), kb(a.bodyBytes)))
	}
	if !found {
		p("  (no 664 KB-class Claude row at c=%d in this run: BENCH_AGENT_TARGET=1 adds them)\n", agentTargetC)
	}
	for _, s := range rs.soaks {
		line(s.flat() && s.Errors == 0, s.RSSFirstKiB > 0,
			fmt.Sprintf("RSS flat over %s of large requests (c=%d, after %s warm-up)", dur(s.DurationS), s.C, dur(s.WarmupS)),
			fmt.Sprintf("first third peak %s, last third %s, slope %+.2f MiB/min, peak %s, %d requests, %d errors",
				mib(s.RSSFirstKiB), mib(s.RSSLastKiB), s.SlopeMiBMin, mib(s.RSSPeakKiB), s.Requests, s.Errors))
	}
	for _, s := range rs.soaks {
		p("  soak %s: %.1f RPS, cpu/req %.3f ms; targets %s\n    RSS every %.0f s (MiB):", s.Label, s.RPS, s.CPUMsPerRq, strings.Join(s.Targets, " "), s.SeriesS)
		for _, k := range s.Series {
			p(" %.0f", float64(k)/1024)
		}
		p("\n")
		if s.RSSQuietKiB > 0 {
			p("    RSS %.0f s after the load: %s (peak %s)\n", s.QuietS, mib(s.RSSQuietKiB), mib(s.RSSPeakKiB))
		}
		if len(s.ErrSamples) > 0 {
			p("    errors: %s\n", strings.Join(s.ErrSamples, " | "))
		}
	}
}

func kb(n int) string {
	if n >= 1_000_000 {
		return fmt.Sprintf("%.2f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%d KB", n/1000)
}

func mbytes(v float64) string {
	if math.IsNaN(v) || v <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f MB", v/1e6)
}

func xbody(v float64, body int) string {
	if math.IsNaN(v) || v <= 0 || body <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v/float64(body))
}

func dur(s float64) string { return (time.Duration(s) * time.Second).String() }
