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

// idleWorkers waits until n workers wait for work, failing after a second.
func idleWorkers(t *testing.T, a *afterWork, n int) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); ; time.Sleep(time.Millisecond) {
		a.mu.Lock()
		idle := a.idle
		a.mu.Unlock()
		if idle == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d workers idle, want %d", idle, n)
		}
	}
}

func TestAfterWorkReusesIdleWorkers(t *testing.T) {
	var a afterWork
	ids := make(chan string, 2)
	for range 2 {
		if !a.run(func() { ids <- goroutineID() }) {
			t.Fatal("run refused before wait")
		}
		idleWorkers(t, &a, 1)
	}
	if first, second := <-ids, <-ids; first != second {
		t.Fatalf("the second work ran on goroutine %s, not on the idle worker %s", second, first)
	}
	a.wait()
}

func TestAfterWorkKeepsAFewIdle(t *testing.T) {
	base := runtime.NumGoroutine()
	var a afterWork
	release := make(chan struct{})
	var started sync.WaitGroup
	for range 3 * maxIdleAfter {
		started.Add(1)
		a.run(func() { started.Done(); <-release })
	}
	started.Wait() // every work is on a goroutine of its own: none was idle
	close(release)
	idleWorkers(t, &a, maxIdleAfter)
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > base+maxIdleAfter && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine() - base; n > maxIdleAfter {
		t.Fatalf("%d goroutines left after the work, want at most %d idle workers", n, maxIdleAfter)
	}
	a.wait()
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine() - base; n > 0 {
		t.Fatalf("%d workers still running after wait", n)
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
