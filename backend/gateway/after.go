package gateway

import "sync"

// afterWork runs what a finished stream still has to do (its log row) off
// the handler, so the stream's end leaves without waiting for it. The work
// goes to a kept goroutine when one is idle: a fresh goroutine's small
// stack grows, and copying it cost about 4 µs a stream
// (BenchmarkSmallRoundTrip's profile: runtime.copystack under the row's
// pricing), about a tenth of what the gateway adds to a small stream.
type afterWork struct {
	wg sync.WaitGroup // work handed out and not done
	// mu orders run and wait: once wait began, run refuses (the caller then
	// does the work itself; a handler can outlive a shutdown that timed
	// out), so no work is handed to q after wait closed it.
	mu      sync.Mutex
	stopped bool
	q       chan func() // to an idle worker; unbuffered
	idle    int         // workers waiting on q (under mu)
}

// maxIdleAfter bounds the workers kept waiting: a few streams end at once
// at most moments; more start a goroutine each, as before.
const maxIdleAfter = 4

// run runs f on a worker counted by wait; false (f not run) once wait began.
func (a *afterWork) run(f func()) bool {
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return false
	}
	a.wg.Add(1)
	if a.q == nil {
		a.q = make(chan func())
	}
	handed := false
	if a.idle > 0 {
		a.idle--
		handed = true
	}
	a.mu.Unlock()
	if handed {
		a.q <- f // the idle worker counted above takes it
		return true
	}
	go a.work(f)
	return true
}

// work runs f, then waits for more while fewer than maxIdleAfter wait.
func (a *afterWork) work(f func()) {
	for {
		f()
		a.wg.Done()
		a.mu.Lock()
		if a.stopped || a.idle >= maxIdleAfter {
			a.mu.Unlock()
			return
		}
		a.idle++
		q := a.q
		a.mu.Unlock()
		var ok bool
		if f, ok = <-q; !ok {
			return
		}
	}
}

// wait stops handing out work, waits for what was handed out, and lets
// the idle workers end.
func (a *afterWork) wait() {
	a.mu.Lock()
	first := !a.stopped
	a.stopped = true
	a.mu.Unlock()
	a.wg.Wait()
	if first && a.q != nil {
		close(a.q) // every send happened before its work's Done
	}
}
