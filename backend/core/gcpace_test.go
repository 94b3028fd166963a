package core

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"
)

func TestGCPercentFor(t *testing.T) {
	const MiB = 1 << 20
	for _, c := range []struct {
		name        string
		live, roots uint64
		busy        bool
		want        int
	}{
		{"idle", 2 * MiB, MiB / 4, false, 400},
		{"busy, small heap: the 4 MiB minimum scaled to 64", 2 * MiB, MiB / 4, true, 1600},
		{"busy, 7 MiB live: the goal is the percent of what is scanned", 7 * MiB, MiB, true, 57 * 100 / 8},
		{"busy, a large request's heap", 9 * MiB, MiB, true, 400},
		{"busy, never below the default", 7*MiB + MiB/2, 8 * MiB, true, 400},
	} {
		if got := gcPercentFor(c.live, c.roots, 64*MiB, 400, c.busy); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// The pacer raises the goal while requests come fast and gives it up when
// they stop or come slowly; the runtime's goal follows.
func TestGCPacerFollowsTraffic(t *testing.T) {
	stopPacing()
	pct, limit := debug.SetGCPercent(defaultGCPercent), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(pct); debug.SetMemoryLimit(limit) })
	var requests atomic.Int64
	now := time.Unix(1000, 0)
	goal := testGoal()
	p := newGCPacer(requests.Load, func() time.Time { return now }, defaultGCPercent, goal)
	step := func(d time.Duration, reqs int64) int {
		now = now.Add(d)
		requests.Add(reqs)
		pct, _ := p.collected()
		return pct
	}
	if got := step(time.Second, 0); got != defaultGCPercent {
		t.Errorf("no requests: %d, want %d", got, defaultGCPercent)
	}
	runtime.GC() // the pacer reads what this collection found
	if got := step(time.Second, 500); got <= defaultGCPercent || gogc() != got {
		t.Errorf("requests a second after the last collection: %d (runtime %d), want above %d", got, gogc(), defaultGCPercent)
	}
	if g := heapGoal(); g < goal*95/100 || g > goal*105/100 {
		t.Errorf("busy: heap goal %.1f MiB, want %d", float64(g)/(1<<20), goal>>20)
	}
	runtime.GC()
	if got := step(busyGap+time.Second, 500); got != defaultGCPercent {
		t.Errorf("requests, collections %v apart: %d, want %d", busyGap+time.Second, got, defaultGCPercent)
	}
	if g, want := heapGoal(), defaultGoal(); g < want*95/100 || g > want*105/100 {
		t.Errorf("idle: heap goal %.1f MiB, want the default's %.1f", float64(g)/(1<<20), float64(want)/(1<<20))
	}
}

// defaultGoal is the runtime's goal at defaultGCPercent for the heap the
// last collection found.
func defaultGoal() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}
	metrics.Read(s)
	live, roots := s[0].Value.Uint64(), s[1].Value.Uint64()+s[2].Value.Uint64()
	return max(runtimeHeapMinimum*defaultGCPercent/100, live+(live+roots)*defaultGCPercent/100)
}

// Started, the pacer runs after every collection until stopped; with GOGC
// set by the user it never starts.
func TestGCPacerRunsAfterCollections(t *testing.T) {
	stopPacing()
	pct := debug.SetGCPercent(defaultGCPercent)
	t.Cleanup(func() { debug.SetGCPercent(pct) })
	var requests atomic.Int64
	stop := newGCPacer(requests.Load, time.Now, defaultGCPercent, testGoal()).start()
	if !waitGOGC(t, &requests, func(v int) bool { return v > defaultGCPercent }) {
		t.Fatalf("after collections with requests: GOGC %d, want above %d", gogc(), defaultGCPercent)
	}
	stop()
	if v := gogc(); v != defaultGCPercent {
		t.Errorf("stopped: GOGC %d, want %d", v, defaultGCPercent)
	}
	requests.Add(1)
	runtime.GC()
	runtime.GC()
	if v := gogc(); v != defaultGCPercent {
		t.Errorf("a stopped pacer changed GOGC to %d", v)
	}

	stop = startGCPacer(requests.Load, func(k string) string { return map[string]string{"GOGC": "100"}[k] })
	defer stop()
	if p := pacing.Load(); p != nil && !p.stopped {
		t.Error("GOGC set by the user: a pacer started")
	}
	stop = startGCPacer(requests.Load, func(string) string { return "" })
	defer stop()
	if p := pacing.Load(); p == nil || p.stopped || p.goal != busyHeapGoal || p.base != defaultGCPercent {
		t.Error("GOGC unset: the default pacer did not start")
	}
}

// testGoal is a busy goal the pacer applies to this test process's heap,
// however much earlier tests left live: the default's 64 MiB, or 16 times
// the live heap.
func testGoal() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return max(busyHeapGoal, 16*s[0].Value.Uint64())
}

// waitGOGC serves a request and collects until ok(GOGC), or 2 s pass
// (cleanups run after a collection, on their own goroutine).
func waitGOGC(t *testing.T, requests *atomic.Int64, ok func(int) bool) bool {
	t.Helper()
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
		requests.Add(1)
		runtime.GC()
		if ok(gogc()) {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

func heapGoal() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// stopPacing stops the pacer an instance of an earlier test left running:
// the GC percent is the process's.
func stopPacing() {
	if p := pacing.Swap(nil); p != nil {
		p.stop()
	}
}
