package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clkTck is USER_HZ, the unit of utime/stime in /proc/<pid>/stat (100 on
// every mainstream Linux build).
const clkTck = 100

// cpuTicks is utime+stime of pid (all threads), in clock ticks.
func cpuTicks(pid int) (int64, error) {
	u, s, err := cpuSplit(pid)
	return u + s, err
}

// cpuSplit is utime and stime of pid (all threads), in clock ticks: the
// kernel's share (socket copies, TCP on loopback) apart from ours.
func cpuSplit(pid int) (user, sys int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("bad /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// After "pid (comm)": state is field 3, utime 14, stime 15 (1-based).
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("short /proc stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("bad utime/stime")
	}
	return u, s, nil
}

// schedTotals sums /proc/<pid>/task/*/schedstat: nanoseconds on a CPU and
// nanoseconds runnable but waiting for one (contention from other work).
func schedTotals(pid int) (run, wait int64) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0
	}
	for _, e := range ents {
		b, err := os.ReadFile(dir + "/" + e.Name() + "/schedstat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue
		}
		r, _ := strconv.ParseInt(f[0], 10, 64)
		w, _ := strconv.ParseInt(f[1], 10, 64)
		run, wait = run+r, wait+w
	}
	return run, wait
}

// cpuBusy is the busy time of one CPU from /proc/stat (user, nice, system,
// irq, softirq, steal), in clock ticks.
func cpuBusy(cpu int) (int64, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	prefix := fmt.Sprintf("cpu%d ", cpu)
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 9 {
			return 0, false
		}
		var sum int64
		for _, i := range []int{1, 2, 3, 6, 7, 8} {
			n, _ := strconv.ParseInt(f[i], 10, 64)
			sum += n
		}
		return sum, true
	}
	return 0, false
}

// ioCounts reads syscr/syscw (read and write system calls, all threads)
// from /proc/<pid>/io.
func ioCounts(pid int) (r, w int64, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		switch k {
		case "syscr":
			r = n
		case "syscw":
			w = n
		}
	}
	return r, w, true
}

type status struct {
	rss, hwm, threads int64
}

// procStatus reads VmRSS, VmHWM (KiB) and Threads from /proc/<pid>/status.
func procStatus(pid int) (status, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return status{}, err
	}
	var st status
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			st.rss = n
		case "VmHWM":
			st.hwm = n
		case "Threads":
			st.threads = n
		}
	}
	return st, nil
}

// rssSampler records the largest VmRSS seen.
type rssSampler struct {
	stopc chan struct{}
	wg    sync.WaitGroup
	peak  int64
}

func startRSSSampler(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{stopc: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if st, err := procStatus(pid); err == nil {
				s.peak = max(s.peak, st.rss)
			}
			select {
			case <-s.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) stop() int64 {
	close(s.stopc)
	s.wg.Wait()
	return s.peak
}

// ProcStat is a point-in-time reading of a process.
type ProcStat struct {
	Kind     string `json:"kind"` // "procstat"
	Label    string `json:"label"`
	PID      int    `json:"pid"`
	RSSKiB   int64  `json:"rss_kib"`
	HWMKiB   int64  `json:"hwm_kib"`
	Threads  int64  `json:"threads"`
	CPUTicks int64  `json:"cpu_ticks"`
}

func cmdProcstat(args []string) error {
	fs := flag.NewFlagSet("procstat", flag.ContinueOnError)
	pid := fs.Int("pid", 0, "process id")
	label := fs.String("label", "", "label")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := procStatus(*pid)
	if err != nil {
		return err
	}
	t, _ := cpuTicks(*pid)
	emit(ProcStat{Kind: "procstat", Label: *label, PID: *pid, RSSKiB: st.rss, HWMKiB: st.hwm, Threads: st.threads, CPUTicks: t})
	return nil
}

type memStats struct {
	Mallocs, Frees, TotalAlloc, HeapInuse, HeapAlloc, HeapObjects, Sys, StackInuse uint64
	NumGC                                                                          uint32
	live                                                                           uint64 // expvar heap_live, beside memstats
}

var debugClient = &http.Client{Timeout: 5 * time.Second}

// readMemStats reads memstats from http://addr/debug/vars (expvar).
func readMemStats(addr string) (memStats, bool) {
	var v struct {
		Memstats *memStats `json:"memstats"`
		HeapLive uint64    `json:"heap_live"`
	}
	resp, err := debugClient.Get("http://" + addr + "/debug/vars")
	if err != nil {
		return memStats{}, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&v) != nil || v.Memstats == nil {
		return memStats{}, false
	}
	m := *v.Memstats
	m.live = v.HeapLive
	return m, true
}

// goroutines reads the goroutine count: expvar "goroutines" if published,
// else the total line of /debug/pprof/goroutine?debug=1.
func goroutines(addr string) (int64, bool) {
	if resp, err := debugClient.Get("http://" + addr + "/debug/vars"); err == nil {
		var v map[string]json.RawMessage
		err := json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		if err == nil {
			for _, k := range []string{"goroutines", "Goroutines", "num_goroutine", "NumGoroutine"} {
				if raw, ok := v[k]; ok {
					if n, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64); err == nil {
						return n, true
					}
				}
			}
		}
	}
	resp, err := debugClient.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	line, _, _ := strings.Cut(string(b), "\n")
	if rest, ok := strings.CutPrefix(line, "goroutine profile: total "); ok {
		if n, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64); err == nil {
			return n, true
		}
	}
	return 0, false
}

// DebugVars is a reading of the gateway's debug endpoint.
type DebugVars struct {
	Kind       string `json:"kind"` // "debugvars"
	Label      string `json:"label"`
	OK         bool   `json:"ok"`
	Goroutines int64  `json:"goroutines,omitempty"`
	HeapInuse  uint64 `json:"heap_inuse,omitempty"`
	HeapAlloc  uint64 `json:"heap_alloc,omitempty"`
	HeapObj    uint64 `json:"heap_objects,omitempty"`
	// HeapLive is what the last collection found live (expvar heap_live,
	// runtime/metrics /gc/heap/live:bytes): HeapAlloc and HeapInuse also
	// count what was allocated since, such as the heap profile that -gc
	// makes the gateway build after its collection.
	HeapLive uint64 `json:"heap_live,omitempty"`
	// GoroutineRecord is the live heap the Go runtime keeps for each
	// goroutine that has run and ended (its records are reused, never
	// freed), measured in this process, built by the same toolchain.
	GoroutineRecord float64 `json:"goroutine_record_bytes,omitempty"`
	Sys             uint64  `json:"sys,omitempty"`
	StackInuse      uint64  `json:"stack_inuse,omitempty"`
	GCForced        bool    `json:"gc_forced"`
}

func cmdDebugVars(args []string) error {
	fs := flag.NewFlagSet("debugvars", flag.ContinueOnError)
	addr := fs.String("addr", "", "host:port of the debug endpoint")
	label := fs.String("label", "", "label")
	gc := fs.Bool("gc", false, "force two GCs first (GET /debug/pprof/heap?gc=1; twice so sync.Pool victims go too)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loopbackAddr(*addr); err != nil {
		return err
	}
	out := DebugVars{Kind: "debugvars", Label: *label}
	for i := 0; *gc && i < 2; i++ {
		if resp, err := debugClient.Get("http://" + *addr + "/debug/pprof/heap?gc=1"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			out.GCForced = resp.StatusCode == http.StatusOK
		}
	}
	if m, ok := readMemStats(*addr); ok {
		out.OK = true
		out.HeapInuse, out.HeapAlloc, out.HeapObj, out.Sys, out.StackInuse = m.HeapInuse, m.HeapAlloc, m.HeapObjects, m.Sys, m.StackInuse
		out.HeapLive = m.live
	}
	if g, ok := goroutines(*addr); ok {
		out.OK = true
		out.Goroutines = g
	}
	out.GoroutineRecord = goroutineRecord()
	emit(out)
	return nil
}

type stdout struct{}

func (stdout) Write(p []byte) (int, error) { return os.Stdout.Write(p) }

func createFile(p string) (*os.File, error) { return os.Create(p) }

// goroutineRecord measures what the runtime keeps live for each goroutine
// that has ended: it starts n, lets them end, and reads the live heap
// before and after (in a fresh loadgen process, none of them reuses an
// earlier goroutine's record).
func goroutineRecord() float64 {
	const n = 2000
	live := func() float64 {
		runtime.GC()
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(s)
		return float64(s[0].Value.Uint64())
	}
	before := live()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); <-start }()
	}
	close(start)
	wg.Wait()
	return max(0, live()-before) / n
}
