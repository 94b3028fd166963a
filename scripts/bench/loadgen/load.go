package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// target is one kind of request: a client dialect, a model, JSON or SSE.
type target struct {
	base    string // http://127.0.0.1:port
	dialect string // openai | responses | anthropic | gemini
	model   string
	stream  bool
	key     string
	// bodyFile is a request body of the client's dialect (an agent-sized
	// conversation); its model and stream flag are set from the flags.
	bodyFile string
}

func (t *target) flags(fs *flag.FlagSet) {
	fs.StringVar(&t.base, "url", "", "base URL (loopback), e.g. http://127.0.0.1:20128")
	fs.StringVar(&t.dialect, "dialect", "openai", "client dialect: openai | responses | anthropic | gemini")
	fs.StringVar(&t.model, "model", "d0-n20-p0", "model name (the fake upstream reads its behaviour from it)")
	fs.BoolVar(&t.stream, "stream", false, "stream (SSE)")
	fs.StringVar(&t.key, "key", "", "API key")
	fs.StringVar(&t.bodyFile, "body", "", "JSON request body file in the client's dialect (default: a ~1 KB conversation)")
}

func (t *target) check() error {
	switch t.dialect {
	case "openai", "anthropic", "gemini":
	case "responses":
		if t.bodyFile == "" {
			return fmt.Errorf("-dialect responses needs -body (a Responses request body)")
		}
	default:
		return fmt.Errorf("unknown dialect %q", t.dialect)
	}
	return loopbackOnly(t.base)
}

func (t *target) url() string {
	switch t.dialect {
	case "anthropic":
		return t.base + "/v1/messages"
	case "responses":
		return t.base + "/v1/responses"
	case "gemini":
		if t.stream {
			return t.base + "/v1beta/models/" + t.model + ":streamGenerateContent?alt=sse"
		}
		return t.base + "/v1beta/models/" + t.model + ":generateContent"
	}
	return t.base + "/v1/chat/completions"
}

// A small but realistic conversation (~1 KB body).
const (
	sysPrompt = "You are a concise senior Go engineer. Answer with working code and a short explanation; prefer the standard library; mention trade-offs when they matter."
	user1     = "I have an HTTP handler that proxies requests to an upstream service and streams the response back. What should I watch out for regarding flushing, timeouts and client disconnects?"
	asst1     = "Flush after every chunk you forward, propagate the request context to the upstream call so a client disconnect cancels it, and bound idle time with a timer you reset on each chunk."
	user2     = "Show me a minimal version with an idle timeout and proper cancellation, please."
)

func (t *target) body() []byte {
	if t.bodyFile != "" {
		return t.fileBody()
	}
	var v any
	switch t.dialect {
	case "anthropic":
		m := map[string]any{"model": t.model, "max_tokens": 1024, "system": sysPrompt, "temperature": 0.2,
			"messages": []map[string]any{{"role": "user", "content": user1}, {"role": "assistant", "content": asst1}, {"role": "user", "content": user2}}}
		if t.stream {
			m["stream"] = true
		}
		v = m
	case "gemini":
		part := func(s string) []map[string]string { return []map[string]string{{"text": s}} }
		v = map[string]any{"systemInstruction": map[string]any{"parts": part(sysPrompt)},
			"contents":         []map[string]any{{"role": "user", "parts": part(user1)}, {"role": "model", "parts": part(asst1)}, {"role": "user", "parts": part(user2)}},
			"generationConfig": map[string]any{"maxOutputTokens": 1024, "temperature": 0.2}}
	default:
		m := map[string]any{"model": t.model, "max_tokens": 1024, "temperature": 0.2,
			"messages": []map[string]any{{"role": "system", "content": sysPrompt}, {"role": "user", "content": user1},
				{"role": "assistant", "content": asst1}, {"role": "user", "content": user2}}}
		if t.stream {
			m["stream"] = true
			m["stream_options"] = map[string]any{"include_usage": true}
		}
		v = m
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// fileBody is -body with the model and stream flag of the flags (Gemini
// carries both in the URL). Only those two values change: every other
// byte, key order included, is the file's.
func (t *target) fileBody() []byte {
	b, err := os.ReadFile(t.bodyFile)
	if err != nil {
		panic(err)
	}
	if !gjson.ValidBytes(b) || !gjson.ParseBytes(b).IsObject() {
		panic(fmt.Sprintf("-body %s: not a JSON object", t.bodyFile))
	}
	if t.dialect == "gemini" {
		return b
	}
	if b, err = sjson.SetBytes(b, "model", t.model); err == nil {
		b, err = sjson.SetBytes(b, "stream", t.stream)
	}
	if err != nil {
		panic(fmt.Sprintf("-body %s: %v", t.bodyFile, err))
	}
	return b
}

func (t *target) header() http.Header {
	h := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"switchboard-bench-loadgen"}}
	if t.stream {
		h.Set("Accept", "text/event-stream")
	}
	switch t.dialect {
	case "anthropic":
		h.Set("x-api-key", t.key)
		h.Set("anthropic-version", "2023-06-01")
	case "gemini":
		h.Set("x-goog-api-key", t.key)
	default: // openai, responses
		h.Set("Authorization", "Bearer "+t.key)
	}
	return h
}

// terminal reports the dialect's end-of-stream frame.
func (t *target) terminal(line []byte) bool {
	switch t.dialect {
	case "anthropic":
		return string(line) == "event: message_stop"
	case "responses":
		return string(line) == "event: response.completed"
	case "gemini":
		return bytes.HasPrefix(line, []byte("data:")) && bytes.Contains(line, []byte(`"finishReason"`))
	}
	return string(line) == "data: [DONE]"
}

var errObj = []byte(`"error":{`)

func errorFrame(line []byte) bool {
	return string(line) == "event: error" || (bytes.HasPrefix(line, []byte("data:")) && bytes.Contains(line, errObj))
}

// jsonOK is a cheap validity check of a non-streamed answer.
func (t *target) jsonOK(b []byte) bool {
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	switch t.dialect {
	case "anthropic":
		return bytes.Contains(b, []byte(`"content"`)) && bytes.Contains(b, []byte(`"usage"`))
	case "responses":
		return bytes.Contains(b, []byte(`"output"`)) && bytes.Contains(b, []byte(`"usage"`))
	case "gemini":
		return bytes.Contains(b, []byte(`"candidates"`)) && bytes.Contains(b, []byte(`"usageMetadata"`))
	}
	return bytes.Contains(b, []byte(`"choices"`)) && bytes.Contains(b, []byte(`"usage"`))
}

func newClient(conns int) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		WriteBufferSize:     16 << 10,
		ReadBufferSize:      16 << 10,
	}, Timeout: 2 * time.Minute}
}

// worker holds per-goroutine reusable state.
type worker struct {
	c      *http.Client
	t      *target
	body   []byte
	hdr    http.Header
	url    *url.URL
	br     *bufio.Reader
	buf    bytes.Buffer
	events []time.Duration // arrival of each SSE event, when recorded
	// marks: an agent body (-body) is worker id's own conversation, and
	// each request a turn of it (turns.go).
	marks turnMarks
	turn  int
}

func newWorker(c *http.Client, t *target, body []byte, id int) *worker {
	u, err := url.Parse(t.url())
	if err != nil {
		panic(err)
	}
	w := &worker{c: c, t: t, body: body, hdr: t.header(), url: u, br: bufio.NewReaderSize(nil, 32<<10), marks: turnMarks{-1, -1}}
	if t.bodyFile != "" {
		w.body = bytes.Clone(body)
		w.marks = findTurnMarks(w.body, t.dialect)
		w.marks.markConversation(w.body, id)
	}
	return w
}

type outcome struct {
	lat, ttfe time.Duration
	err       string
}

// do sends one request and reads the whole answer. With keepEvents, the
// arrival time of every SSE event is kept in w.events.
func (w *worker) do(ctx context.Context, keepEvents bool) outcome {
	w.turn++
	w.marks.markTurn(w.body, w.turn) // the last request has been sent whole: its answer was read
	req := (&http.Request{Method: http.MethodPost, URL: w.url, Header: w.hdr, Host: w.url.Host,
		Body: io.NopCloser(bytes.NewReader(w.body)), ContentLength: int64(len(w.body))}).WithContext(ctx)
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(w.body)), nil }
	start := time.Now()
	resp, err := w.c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return outcome{err: "canceled"}
		}
		return outcome{err: "transport: " + shortErr(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return outcome{err: fmt.Sprintf("status %d: %s", resp.StatusCode, oneLine(b))}
	}
	if !w.t.stream {
		w.buf.Reset()
		if _, err := w.buf.ReadFrom(resp.Body); err != nil {
			return outcome{err: "read: " + shortErr(err)}
		}
		lat := time.Since(start)
		if !w.t.jsonOK(w.buf.Bytes()) {
			return outcome{err: "malformed JSON answer: " + oneLine(w.buf.Bytes()[:min(200, w.buf.Len())])}
		}
		return outcome{lat: lat, ttfe: lat}
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return outcome{err: "stream answered with Content-Type " + resp.Header.Get("Content-Type")}
	}
	w.br.Reset(resp.Body)
	if keepEvents {
		w.events = w.events[:0]
	}
	var ttfe time.Duration
	var events int
	var inEvent, terminal, errFrame, partial bool
	for {
		line, err := w.br.ReadSlice('\n')
		if len(line) > 0 {
			full := !partial
			partial = errors.Is(err, bufio.ErrBufferFull)
			l := bytes.TrimRight(line, "\r\n")
			switch {
			case len(l) == 0 && full:
				if inEvent {
					inEvent = false
					events++
					el := time.Since(start)
					if events == 1 {
						ttfe = el
					}
					if keepEvents {
						w.events = append(w.events, el)
					}
				}
			default:
				inEvent = true
				if full {
					if w.t.terminal(l) {
						terminal = true
					}
					if errorFrame(l) {
						errFrame = true
					}
				}
			}
		}
		if err == nil || errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF {
			break
		}
		if ctx.Err() != nil {
			return outcome{err: "canceled"}
		}
		return outcome{err: "stream read: " + shortErr(err)}
	}
	lat := time.Since(start)
	if inEvent { // a last event without its blank line
		events++
		if events == 1 {
			ttfe = lat
		}
		if keepEvents {
			w.events = append(w.events, lat)
		}
	}
	switch {
	case errFrame:
		return outcome{err: "error frame in stream"}
	case events == 0:
		return outcome{err: "empty stream"}
	case !terminal:
		return outcome{err: "missing terminal frame"}
	}
	return outcome{lat: lat, ttfe: ttfe}
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 160 {
		s = s[:160]
	}
	return s
}

func oneLine(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// errCounter counts errors and keeps a few distinct samples.
type errCounter struct {
	mu      sync.Mutex
	n       int
	samples []string
}

func (e *errCounter) add(s string) {
	e.mu.Lock()
	e.n++
	if len(e.samples) < 5 && !slices.Contains(e.samples, s) {
		e.samples = append(e.samples, s)
	}
	e.mu.Unlock()
}

// RunResult is one fixed-duration measurement.
type RunResult struct {
	Kind       string   `json:"kind"` // "run"
	Scenario   string   `json:"scenario"`
	Path       string   `json:"path"` // direct | gateway
	Run        int      `json:"run"`
	C          int      `json:"c"`
	Dialect    string   `json:"dialect"`
	Model      string   `json:"model"`
	Stream     bool     `json:"stream"`
	Requests   int      `json:"requests"`
	Errors     int      `json:"errors"`
	ErrSamples []string `json:"err_samples,omitempty"`
	ElapsedS   float64  `json:"elapsed_s"`
	RPS        float64  `json:"rps"`
	P50        float64  `json:"p50_ms"`
	P90        float64  `json:"p90_ms"`
	P99        float64  `json:"p99_ms"`
	Max        float64  `json:"max_ms"`
	TTFE50     float64  `json:"ttfe_p50_ms,omitempty"`
	TTFE99     float64  `json:"ttfe_p99_ms,omitempty"`
	// c=1 only: the mean, and how many requests took each histBucket of
	// time (the last bucket counts the rest). A median can fall between
	// two modes of the distribution; these show whether it did.
	Mean float64 `json:"mean_ms,omitempty"`
	Hist []int   `json:"hist,omitempty"`
	// Measured on -pid (the gateway) over the measured window.
	CPUMsPerReq float64 `json:"cpu_ms_per_req,omitempty"`
	SysMsPerReq float64 `json:"cpu_sys_ms_per_req,omitempty"` // the kernel's part of it
	CPUUtil     float64 `json:"cpu_util,omitempty"`           // cores busy
	// Time the gateway's threads were runnable but waited for a CPU (taken
	// by other processes or by its own other threads), per second.
	RQWait float64 `json:"rq_wait,omitempty"`
	// CPU-seconds per second that other processes used on the gateway's
	// CPU (-cpu) during the window: how much the row was disturbed.
	Other float64 `json:"other_on_cpu"` // -1: not measured
	// read/write system calls of -pid per request (/proc/<pid>/io)
	ReadsPerReq  float64 `json:"reads_per_req,omitempty"`
	WritesPerReq float64 `json:"writes_per_req,omitempty"`
	RSSPeakKiB   int64   `json:"rss_peak_kib,omitempty"`
	RSSEndKiB    int64   `json:"rss_end_kib,omitempty"`
	// From -debug (/debug/vars memstats), when the gateway exposes it.
	AllocsPerReq float64 `json:"allocs_per_req,omitempty"`
	BytesPerReq  float64 `json:"alloc_bytes_per_req,omitempty"`
	GCs          int64   `json:"gcs,omitempty"`
	Warmup       float64 `json:"warmup_s"`
	// Agent-sized scenarios (-body): the body's size and labels for the
	// report (the client's shape, the upstream's dialect).
	BodyBytes int    `json:"body_bytes,omitempty"`
	Shape     string `json:"shape,omitempty"`
	Upstream  string `json:"upstream,omitempty"`
}

// histBucket and histBuckets shape RunResult.Hist: 0–2 ms in 25 µs steps.
const (
	histBucket  = 25 * time.Microsecond
	histBuckets = 81
)

// histogram is the mean (ms) of lats and their counts per histBucket.
func histogram(lats []time.Duration) (float64, []int) {
	if len(lats) == 0 {
		return 0, nil
	}
	h := make([]int, histBuckets)
	var sum time.Duration
	for _, l := range lats {
		sum += l
		h[min(int(l/histBucket), histBuckets-1)]++
	}
	return float64(sum) / float64(len(lats)) / 1e6, h
}

func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / 1e6
}

func cmdRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var t target
	t.flags(fs)
	c := fs.Int("c", 1, "concurrency (workers)")
	dur := fs.Duration("d", 5*time.Second, "measured duration")
	warm := fs.Duration("warmup", time.Second, "warm-up duration (not measured)")
	pid := fs.Int("pid", 0, "process to measure CPU time and RSS of (the gateway)")
	pinned := fs.Int("cpu", -1, "the CPU -pid is pinned to (reports other processes' use of it)")
	debug := fs.String("debug", "", "host:port of the gateway's /debug/vars, for allocations per request")
	scenario := fs.String("scenario", "", "scenario label")
	path := fs.String("path", "", "direct | gateway")
	run := fs.Int("run", 1, "run index")
	shape := fs.String("shape", "", "label: the client shape of -body (claude, codex, gemini, opencode)")
	upstream := fs.String("upstream", "", "label: the upstream's dialect")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := t.check(); err != nil {
		return err
	}
	if *c < 1 || *c > 4096 || *dur <= 0 || *dur > 10*time.Minute {
		return fmt.Errorf("bounded load only: 1 ≤ c ≤ 4096, 0 < d ≤ 10m")
	}
	if *debug != "" {
		if err := loopbackAddr(*debug); err != nil {
			return err
		}
	}
	client := newClient(*c)
	body := t.body()
	workers := make([]*worker, *c)
	for i := range workers {
		workers[i] = newWorker(client, &t, body, i)
	}
	ctx := context.Background()

	// phase runs every worker until the deadline; rec collects outcomes.
	phase := func(d time.Duration, errs *errCounter, rec func(i int, o outcome)) time.Duration {
		start := time.Now()
		end := start.Add(d)
		var wg sync.WaitGroup
		for i, w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(end) {
					o := w.do(ctx, false)
					if o.err != "" {
						errs.add(o.err)
						continue
					}
					rec(i, o)
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	var warmErrs errCounter
	if *warm > 0 {
		phase(*warm, &warmErrs, func(int, outcome) {})
	}

	lats := make([][]time.Duration, *c)
	ttfes := make([][]time.Duration, *c)
	var errs errCounter
	var cpu0, cpu1, sys0, sys1 int64
	var mem0, mem1 memStats
	var haveMem bool
	var sampler *rssSampler
	if *pid > 0 {
		if *debug != "" {
			mem0, haveMem = readMemStats(*debug)
		}
		sampler = startRSSSampler(*pid, 50*time.Millisecond)
		var u0 int64
		u0, sys0, _ = cpuSplit(*pid)
		cpu0 = u0 + sys0
	}
	_, wait0 := schedTotals(*pid)
	busy0, haveBusy := cpuBusy(*pinned)
	r0, w0, haveIO := ioCounts(*pid)
	ioDelta := [2]int64{-1, -1}
	elapsed := phase(*dur, &errs, func(i int, o outcome) {
		lats[i] = append(lats[i], o.lat)
		if t.stream {
			ttfes[i] = append(ttfes[i], o.ttfe)
		}
	})
	res := RunResult{Kind: "run", Other: -1, Scenario: *scenario, Path: *path, Run: *run, C: *c, Dialect: t.dialect, Model: t.model,
		Stream: t.stream, ElapsedS: elapsed.Seconds(), Warmup: warm.Seconds(), Shape: *shape, Upstream: *upstream}
	if t.bodyFile != "" {
		res.BodyBytes = len(body)
	}
	if *pid > 0 {
		u1, s1, _ := cpuSplit(*pid)
		cpu1, sys1 = u1+s1, s1
		_, wait1 := schedTotals(*pid)
		res.RQWait = float64(wait1-wait0) / float64(elapsed)
		if r1, w1, ok := ioCounts(*pid); ok && haveIO {
			ioDelta = [2]int64{r1 - r0, w1 - w0}
		}
		if busy1, ok := cpuBusy(*pinned); ok && haveBusy && *pinned >= 0 {
			res.Other = max(0, float64((busy1-busy0)-(cpu1-cpu0))/clkTck/elapsed.Seconds())
		}
		res.RSSPeakKiB = sampler.stop()
		if st, err := procStatus(*pid); err == nil {
			res.RSSEndKiB = st.rss
		}
		if haveMem {
			mem1, haveMem = readMemStats(*debug)
		}
	}
	all := slices.Concat(lats...)
	res.Requests, res.Errors, res.ErrSamples = len(all), errs.n, errs.samples
	res.RPS = float64(len(all)) / elapsed.Seconds()
	var tt []time.Duration
	if t.stream {
		tt = slices.Concat(ttfes...)
	}
	res.setLatencies(all, tt, *c == 1)
	if *pid > 0 && len(all)+errs.n > 0 {
		n := float64(len(all) + errs.n)
		res.setCost(n, cpu1-cpu0, sys1-sys0, elapsed, mem0, mem1, haveMem)
		if ioDelta[0] >= 0 {
			res.ReadsPerReq, res.WritesPerReq = float64(ioDelta[0])/n, float64(ioDelta[1])/n
		}
	}
	emit(res)
	return nil
}

// setLatencies fills the percentiles and maximum of lats (sorted in place),
// the histogram with hist (c=1 records), and the time to first event from
// ttfe when it is a stream's (nil otherwise).
func (res *RunResult) setLatencies(lats, ttfe []time.Duration, hist bool) {
	slices.Sort(lats)
	res.P50, res.P90, res.P99 = pct(lats, .50), pct(lats, .90), pct(lats, .99)
	if hist {
		res.Mean, res.Hist = histogram(lats)
	}
	if len(lats) > 0 {
		res.Max = float64(lats[len(lats)-1]) / 1e6
	}
	if ttfe != nil {
		slices.Sort(ttfe)
		res.TTFE50, res.TTFE99 = pct(ttfe, .50), pct(ttfe, .99)
	}
}

// setCost fills the measured process's cost per request from n requests
// and its CPU ticks (all, and the kernel's) over elapsed; allocations from
// the two memstats reads when haveMem.
func (res *RunResult) setCost(n float64, cpuTicks, sysTicks int64, elapsed time.Duration, mem0, mem1 memStats, haveMem bool) {
	ms := float64(cpuTicks) * 1000 / clkTck
	res.CPUMsPerReq = ms / n
	res.SysMsPerReq = float64(sysTicks) * 1000 / clkTck / n
	res.CPUUtil = ms / 1000 / elapsed.Seconds()
	if haveMem {
		res.AllocsPerReq = float64(mem1.Mallocs-mem0.Mallocs) / n
		res.BytesPerReq = float64(mem1.TotalAlloc-mem0.TotalAlloc) / n
		res.GCs = int64(mem1.NumGC - mem0.NumGC)
	}
}

// GapsResult is the chunk-forwarding check: paced upstream chunks, measured
// at the client.
type GapsResult struct {
	Kind       string   `json:"kind"` // "gaps"
	Path       string   `json:"path"`
	Streams    int      `json:"streams"`
	Errors     int      `json:"errors"`
	ErrSamples []string `json:"err_samples,omitempty"`
	Chunks     int      `json:"chunks"`
	PaceMS     float64  `json:"pace_ms"`
	EventsMin  int      `json:"events_min"`
	EventsMax  int      `json:"events_max"`
	Gaps       int      `json:"gaps"`
	GapMean    float64  `json:"gap_mean_ms"`
	GapMin     float64  `json:"gap_min_ms"`
	GapP50     float64  `json:"gap_p50_ms"`
	GapMax     float64  `json:"gap_max_ms"`
	MaxDev     float64  `json:"max_dev_ms"` // max |gap − pace|
	P99Dev     float64  `json:"p99_dev_ms"`
	Coalesced  int      `json:"coalesced"` // gaps < pace/2: chunks that arrived together
	TTFE50     float64  `json:"ttfe_p50_ms"`
}

func cmdGaps(args []string) error {
	fs := flag.NewFlagSet("gaps", flag.ContinueOnError)
	var t target
	t.flags(fs)
	n := fs.Int("n", 20, "streams, one after another")
	chunks := fs.Int("chunks", 20, "paced content chunks per stream (the model's n)")
	pace := fs.Duration("pace", 10*time.Millisecond, "upstream pacing (the model's p)")
	path := fs.String("path", "", "direct | gateway")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t.stream = true
	if err := t.check(); err != nil {
		return err
	}
	if *n < 1 || *n > 1000 {
		return fmt.Errorf("1 ≤ n ≤ 1000")
	}
	w := newWorker(newClient(1), &t, t.body(), 0)
	res := GapsResult{Kind: "gaps", Path: *path, Streams: *n, Chunks: *chunks, PaceMS: float64(*pace) / 1e6, EventsMin: math.MaxInt}
	var errs errCounter
	var gaps, devs, ttfes []time.Duration
	w.do(context.Background(), false) // connection warm-up
	for range *n {
		o := w.do(context.Background(), true)
		if o.err != "" {
			errs.add(o.err)
			continue
		}
		ttfes = append(ttfes, o.ttfe)
		ev := w.events
		res.EventsMin, res.EventsMax = min(res.EventsMin, len(ev)), max(res.EventsMax, len(ev))
		for i := 1; i < min(len(ev), *chunks); i++ {
			g := ev[i] - ev[i-1]
			gaps = append(gaps, g)
			d := g - *pace
			if d < 0 {
				d = -d
			}
			devs = append(devs, d)
			if g < *pace/2 {
				res.Coalesced++
			}
		}
	}
	res.Errors, res.ErrSamples = errs.n, errs.samples
	if res.EventsMin == math.MaxInt {
		res.EventsMin = 0
	}
	slices.Sort(gaps)
	slices.Sort(devs)
	slices.Sort(ttfes)
	res.Gaps = len(gaps)
	if len(gaps) > 0 {
		var sum time.Duration
		for _, g := range gaps {
			sum += g
		}
		res.GapMean = float64(sum) / float64(len(gaps)) / 1e6
		res.GapMin, res.GapMax = float64(gaps[0])/1e6, float64(gaps[len(gaps)-1])/1e6
		res.GapP50 = pct(gaps, .5)
		res.MaxDev, res.P99Dev = float64(devs[len(devs)-1])/1e6, pct(devs, .99)
	}
	res.TTFE50 = pct(ttfes, .5)
	emit(res)
	return nil
}

// HoldResult is the many-slow-streams check.
type HoldResult struct {
	Kind         string   `json:"kind"` // "hold"
	Streams      int      `json:"streams"`
	Established  int      `json:"established"`
	Errors       int      `json:"errors"`
	ErrSamples   []string `json:"err_samples,omitempty"`
	OpenAllS     float64  `json:"open_all_s"`
	HeldS        float64  `json:"held_s"`
	RSSBeforeKiB int64    `json:"rss_before_kib"`
	RSSPeakKiB   int64    `json:"rss_peak_kib"` // sampled VmRSS max
	HWMKiB       int64    `json:"hwm_kib"`      // VmHWM at the end (process lifetime)
	Threads      int64    `json:"threads_peak"`
	Goroutines   int64    `json:"goroutines_peak,omitempty"`
}

func cmdHold(args []string) error {
	fs := flag.NewFlagSet("hold", flag.ContinueOnError)
	var t target
	t.flags(fs)
	n := fs.Int("n", 1000, "concurrent streams")
	hold := fs.Duration("hold", 5*time.Second, "how long to hold them all open")
	openTimeout := fs.Duration("open-timeout", 20*time.Second, "max time for all streams to deliver their first event")
	pid := fs.Int("pid", 0, "gateway pid (RSS sampling)")
	debug := fs.String("debug", "", "host:port of the gateway's debug endpoint (goroutines)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t.stream = true
	if err := t.check(); err != nil {
		return err
	}
	if *n < 1 || *n > 5000 || *hold > 2*time.Minute {
		return fmt.Errorf("bounded load only: 1 ≤ n ≤ 5000, hold ≤ 2m")
	}
	res := HoldResult{Kind: "hold", Streams: *n}
	if *pid > 0 {
		if st, err := procStatus(*pid); err == nil {
			res.RSSBeforeKiB = st.rss
		}
	}
	var sampler *rssSampler
	if *pid > 0 {
		sampler = startRSSSampler(*pid, 50*time.Millisecond)
	}
	client := newClient(*n)
	body := t.body()
	u, _ := url.Parse(t.url())
	hdr := t.header()
	ctx, cancel := context.WithCancel(context.Background())
	var established atomic.Int64
	var errs errCounter
	allOpen := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	for i := range *n {
		if i > 0 && i%100 == 0 {
			time.Sleep(50 * time.Millisecond) // ramp: 100 new streams every 50 ms
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := (&http.Request{Method: http.MethodPost, URL: u, Header: hdr, Host: u.Host,
				Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}).WithContext(ctx)
			resp, err := client.Do(req)
			if err != nil {
				if ctx.Err() == nil {
					errs.add("transport: " + shortErr(err))
				}
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs.add(fmt.Sprintf("status %d", resp.StatusCode))
				return
			}
			br := bufio.NewReaderSize(resp.Body, 4<<10)
			first := false
			for {
				line, err := br.ReadSlice('\n')
				if !first && len(bytes.TrimRight(line, "\r\n")) == 0 && err == nil {
					first = true
					if established.Add(1) == int64(*n) {
						close(allOpen)
					}
				}
				if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
					if ctx.Err() == nil {
						errs.add("stream ended before the hold was over: " + shortErr(err))
					}
					return
				}
			}
		}()
	}
	var gmax int64
	pollG := func() {
		if *debug != "" {
			if g, ok := goroutines(*debug); ok {
				gmax = max(gmax, g)
			}
		}
	}
	select {
	case <-allOpen:
	case <-time.After(*openTimeout):
	}
	res.OpenAllS = time.Since(start).Seconds()
	res.Established = int(established.Load())
	holdStart := time.Now()
	for time.Since(holdStart) < *hold {
		pollG()
		if *pid > 0 {
			if st, err := procStatus(*pid); err == nil {
				res.Threads = max(res.Threads, st.threads)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	res.HeldS = time.Since(holdStart).Seconds()
	cancel()
	wg.Wait()
	client.CloseIdleConnections()
	res.Errors, res.ErrSamples = errs.n, errs.samples
	if *n != res.Established && res.Errors == 0 {
		res.Errors = *n - res.Established
		res.ErrSamples = append(res.ErrSamples, "streams that never delivered a first event")
	}
	if sampler != nil {
		res.RSSPeakKiB = sampler.stop()
		if st, err := procStatus(*pid); err == nil {
			res.HWMKiB = st.hwm
		}
	}
	res.Goroutines = gmax
	emit(res)
	return nil
}

// ---- small helpers used by bench.sh ----

func cmdFreeport(args []string) error {
	fs := flag.NewFlagSet("freeport", flag.ContinueOnError)
	n := fs.Int("n", 1, "how many")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var ls []net.Listener
	var ports []string
	for range *n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		ls = append(ls, l)
		ports = append(ports, fmt.Sprint(l.Addr().(*net.TCPAddr).Port))
	}
	for _, l := range ls {
		l.Close()
	}
	fmt.Println(strings.Join(ports, " "))
	return nil
}

func cmdWait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ContinueOnError)
	u := fs.String("url", "", "URL to poll (any HTTP answer counts)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loopbackOnly(*u); err != nil {
		return err
	}
	c := &http.Client{Timeout: time.Second}
	end := time.Now().Add(*timeout)
	for time.Now().Before(end) {
		resp, err := c.Get(*u)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer within %s", *u, *timeout)
}

func cmdHTTP(args []string) error {
	fs := flag.NewFlagSet("http", flag.ContinueOnError)
	method := fs.String("method", "GET", "method")
	u := fs.String("url", "", "loopback URL")
	body := fs.String("body", "", "request body")
	var hdrs multiFlag
	fs.Var(&hdrs, "H", "header 'Name: value' (repeatable)")
	out := fs.String("o", "", "write the body to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loopbackOnly(*u); err != nil {
		return err
	}
	req, err := http.NewRequest(*method, *u, strings.NewReader(*body))
	if err != nil {
		return err
	}
	for _, h := range hdrs {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var dst io.Writer = io.Discard
	if *out == "-" || *out == "" {
		dst = stdout{}
	} else {
		f, err := createFile(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		dst = f
	}
	if _, err := io.Copy(dst, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
