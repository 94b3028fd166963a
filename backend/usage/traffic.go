package usage

import "sync/atomic"

// The request log's writer shares the processor with the requests it logs.
// An insert is a cgo call, and a goroutine in a cgo call keeps its P until
// the runtime's monitor takes it back, which it does only after seeing the
// call in two of its rounds (up to 20 ms once the process has been busy).
// With one P (a one-core server, a gateway pinned to a core, or every P
// busy) a write's inserts and commit (about 10 µs a row) are time in which
// no request runs. Written every 256 rows at once, that slowed 0.4% of the
// requests at c=1 by 2–3 ms, enough to move the p99. So the writer picks its
// moments by the gateway's traffic:
//   - idle (no request in flight, none begun for a tick): write now;
//   - one request at a time: hold the rows (Options.Hold, at most
//     Options.Every), then write them in one transaction;
//   - requests side by side: write every Options.Batch rows.
//
// And every write but Flush's and the last at shutdown steps aside for
// requests between groups of yieldRows inserts (Recorder.yield): with the
// bench's c=1 paths taking turns, the writes every 250 ms had put 1% of
// the gateway's requests 0.7 to over 1.25 ms late.

// Traffic counts the gateway's requests, for the writer to see when it is
// idle and whether requests run side by side.
type Traffic struct {
	inflight atomic.Int64
	started  atomic.Uint64 // requests begun since the start
}

// Start marks a request in flight until Done.
func (t *Traffic) Start() {
	t.started.Add(1)
	t.inflight.Add(1)
}

// Done ends a Start.
func (t *Traffic) Done() { t.inflight.Add(-1) }

// InFlight is how many requests are in flight.
func (t *Traffic) InFlight() int64 { return t.inflight.Load() }

// concurrent says more than one request is in flight.
func (t *Traffic) concurrent() bool { return t.inflight.Load() > 1 }

// Idle says no request is in flight and none began since seen was taken;
// it returns the count to compare with next time (Idle(0) takes a first).
func (t *Traffic) Idle(seen uint64) (bool, uint64) {
	s := t.started.Load()
	return s == seen && t.inflight.Load() == 0, s
}
