package gateway

import "sync"

// afterWork runs what a finished answer still has to do (its log row) off
// the handler, so the answer's end leaves and the connection reads the next
// request without waiting for it. The work is queued to kept workers: a
// fresh goroutine's small stack grows under the row's pricing, and copying
// it cost about 4 µs an answer (BenchmarkSmallRoundTrip's profile:
// runtime.copystack); under load the queue lets a worker take many rows in
// a row instead of a goroutine starting for each.
type afterWork struct {
	wg sync.WaitGroup // work queued and not done
	// mu orders run and wait: once wait began, run refuses (the caller then
	// does the work itself; a handler can outlive a shutdown that timed
	// out), so nothing is queued after wait closed q.
	mu      sync.Mutex
	stopped bool
	q       chan func() // started with the first work
}

const (
	// afterWorkers take the queue's work: one is enough for the rows of
	// one core's requests; the second keeps rows moving while one waits
	// for a lock (the recorder's queue, an observer).
	afterWorkers = 2
	// afterQueue bounds the work waiting; more starts a goroutine each.
	afterQueue = 256
)

// run queues f for a worker, counted by wait; false (f not run) once wait
// began.
func (a *afterWork) run(f func()) bool {
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return false
	}
	a.wg.Add(1)
	if a.q == nil {
		a.q = make(chan func(), afterQueue)
		for range afterWorkers {
			go a.work(a.q)
		}
	}
	q := a.q
	a.mu.Unlock()
	select {
	case q <- f:
	default: // the workers are far behind: this one runs on its own
		go func() {
			defer a.wg.Done()
			f()
		}()
	}
	return true
}

func (a *afterWork) work(q <-chan func()) {
	for f := range q {
		f()
		a.wg.Done()
	}
}

// wait stops taking work, waits for what was taken, and ends the workers.
func (a *afterWork) wait() {
	a.mu.Lock()
	first := !a.stopped
	a.stopped = true
	q := a.q
	a.mu.Unlock()
	a.wg.Wait()
	if first && q != nil {
		close(q) // every send happened before its work's Done
	}
}
