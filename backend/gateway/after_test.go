package gateway

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
	"time"
)

// goroutineID reads the running goroutine's number from its stack header.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	f := bytes.Fields(buf)
	return string(f[1])
}

// Work queued one at a time runs on the kept workers, not on a goroutine
// of its own each.
func TestAfterWorkRunsOnKeptWorkers(t *testing.T) {
	var a afterWork
	ids := map[string]bool{}
	for range 20 {
		id := make(chan string)
		if !a.run(func() { id <- goroutineID() }) {
			t.Fatal("run refused before wait")
		}
		ids[<-id] = true
	}
	if len(ids) > afterWorkers {
		t.Fatalf("20 works ran on %d goroutines, want at most the %d workers", len(ids), afterWorkers)
	}
	a.wait()
}

// With the workers stuck and the queue full, more work still runs (on a
// goroutine of its own), and wait ends every goroutine.
func TestAfterWorkOverflowsAndEnds(t *testing.T) {
	base := runtime.NumGoroutine()
	var a afterWork
	release := make(chan struct{})
	var stuck sync.WaitGroup
	stuck.Add(afterWorkers)
	for range afterWorkers {
		a.run(func() { stuck.Done(); <-release })
	}
	stuck.Wait()
	var queued sync.WaitGroup
	queued.Add(afterQueue)
	for range afterQueue {
		a.run(queued.Done)
	}
	ran := make(chan struct{})
	go a.run(func() { close(ran) }) // a run that waited for room would never return
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("work past the full queue waited for the stuck workers")
	}
	close(release)
	queued.Wait()
	a.wait()
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine() - base; n > 0 {
		t.Fatalf("%d goroutines still running after wait", n)
	}
}

func TestAfterWorkWaitWaitsThenRefuses(t *testing.T) {
	var a afterWork
	release := make(chan struct{})
	var done sync.WaitGroup
	done.Add(1)
	a.run(func() { <-release; done.Done() })
	waited := make(chan struct{})
	go func() { a.wait(); close(waited) }()
	select {
	case <-waited:
		t.Fatal("wait returned with work running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-waited
	done.Wait()
	if a.run(func() { t.Error("work ran after wait") }) {
		t.Fatal("run accepted work after wait")
	}
	a.wait() // a second wait is harmless
}
