package core

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// While requests come fast, the collector waits for the heap to reach
// busyHeapGoal, not only defaultGCPercent over the live heap.
//
// Why: with small requests the gateway's live heap is 2–3 MiB, so at
// GOGC=400 it collected at the runtime's 16 MiB minimum goal: about six
// times a second at c=1 (13 KB of garbage a request, 5,500 requests a
// second on one core). A collection marks the heap on the core the
// requests run on, and the requests that meet it wait: at c=1 that was
// the p99 of scripts/bench.sh (alternated 3-second rounds, median of ten:
// added p99 1.20× the bare proxy's, and 0.89× with a 64 MiB goal). The
// same garbage with a larger goal means fewer collections, and less GC
// CPU; it costs memory only while garbage comes fast, and is given up
// once it stops.
//
// Large requests (an agent's turns: hundreds of KB to MBs) keep a live
// heap above busyHeapGoal/8, whose goal stays defaultGCPercent's, bounded
// by defaultMemoryLimit (scripts/bench.sh --agent).
const (
	busyHeapGoal = 64 << 20
	// busyGap: collections further apart than this are not fast traffic
	// (an agent's turn every few seconds collects every few minutes).
	busyGap = 10 * time.Second
)

// gcPacer sets the GC percent after each collection: busyHeapGoal's when
// the live heap is small and requests came since the last collection,
// under busyGap ago; defaultGCPercent otherwise. The runtime collects at
// least every two minutes, so a gateway gone idle is back on
// defaultGCPercent (and the scavenger hands the pages back) within two
// minutes of its last request.
type gcPacer struct {
	requests func() int64 // requests served so far
	now      func() time.Time
	base     int    // GC percent otherwise
	goal     uint64 // busyHeapGoal
	seen     int64  // requests() at the last collection
	last     time.Time
	scan     []metrics.Sample // live heap, stacks, globals
	// mu orders collected and stop: once stop returns, this pacer
	// changes the GC percent no more.
	mu      sync.Mutex
	stopped bool
}

// startGCPacer runs a pacer until the returned stop is called, unless the
// user set GOGC (their setting wins). The GC percent is the process's: a
// pacer started stops the one before (instances started one after the
// other in one process, as tests do, leave one pacing).
func startGCPacer(requests func() int64, getenv func(string) string) (stop func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	return newGCPacer(requests, time.Now, defaultGCPercent, busyHeapGoal).start()
}

// start makes p the process's pacer.
func (p *gcPacer) start() (stop func()) {
	if old := pacing.Swap(p); old != nil {
		old.stop()
	}
	p.arm()
	return p.stop
}

// pacing is the pacer running, if any.
var pacing atomic.Pointer[gcPacer]

func newGCPacer(requests func() int64, now func() time.Time, base int, goal uint64) *gcPacer {
	return &gcPacer{requests: requests, now: now, base: base, goal: goal, seen: requests(), last: now(),
		scan: []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}}
}

// gcSentinel is garbage the moment it is made: its cleanup runs after the
// collection that finds it, which is the next one.
type gcSentinel struct{ _ [16]byte } // not tiny: tiny objects share a block and may never be collected alone

// arm waits for the next collection.
func (p *gcPacer) arm() {
	runtime.AddCleanup(new(gcSentinel), func(p *gcPacer) {
		if _, ok := p.collected(); ok {
			p.arm()
		}
	}, p)
}

// collected sets the percent for the next cycle, unless stopped; it runs
// after each collection, on the runtime's cleanup goroutine.
func (p *gcPacer) collected() (pct int, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return 0, false
	}
	n, t := p.requests(), p.now()
	busy := n != p.seen && t.Sub(p.last) < busyGap
	p.seen, p.last = n, t
	metrics.Read(p.scan)
	pct = gcPercentFor(p.scan[0].Value.Uint64(), p.scan[1].Value.Uint64()+p.scan[2].Value.Uint64(), p.goal, p.base, busy)
	debug.SetGCPercent(pct)
	return pct, true
}

// stop leaves the GC percent at base and the pacer unarmed.
func (p *gcPacer) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		p.stopped = true
		debug.SetGCPercent(p.base)
	}
}

// gcPercentFor is the GC percent that puts the next goal at goal bytes
// when busy with a small live heap (at most goal/8), else base; never
// below base. The runtime's goal is the larger of the live heap plus the
// percent of what the collector scans (the live heap, the goroutine stacks
// and the globals: roots), and the percent of a 4 MiB minimum
// (runtime.defaultHeapMinimum), which is what sets it for a live heap of
// a few MiB.
func gcPercentFor(live, roots, goal uint64, base int, busy bool) int {
	if !busy || live > goal/8 {
		return base
	}
	return max(base, int(min(goal*100/runtimeHeapMinimum, (goal-live)*100/(live+roots))))
}

// runtimeHeapMinimum is the Go runtime's defaultHeapMinimum: at GOGC=100
// the heap goal is never below it.
const runtimeHeapMinimum = 4 << 20
