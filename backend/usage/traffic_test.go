package usage

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// recordN records n rows and lets the writer act on them.
func recordN(r *Recorder, n int) {
	for i := range n {
		r.Record(&Row{ReqID: fmt.Sprint(i), TS: int64(i), ClientDialect: "openai", Endpoint: "/v1/chat/completions", Status: 200})
	}
}

// settle lets the writer run for d of the bubble's fake time.
func settle(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// wantWritten fails t unless n rows are written; when says at what point.
func wantWritten(t *testing.T, r *Recorder, n int64, when string) {
	t.Helper()
	if got := r.Written(); got != n {
		t.Fatalf("written %d rows %s, want %d", got, when, n)
	}
}

// fileSize is the size of the file at path: the database file grows only
// when a checkpoint copies the WAL into it.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// withRecorder runs f in a synctest bubble with a recorder made with o.
func withRecorder(t *testing.T, o Options, f func(t *testing.T, r *Recorder)) {
	synctest.Test(t, func(t *testing.T) {
		r := NewRecorder(openDB(t), slog.New(slog.DiscardHandler), o)
		defer r.Close()
		f(t, r)
	})
}

// The writer picks its moments by the gateway's traffic (traffic.go). The
// tests run in a synctest bubble: its clock moves only when every goroutine
// waits, so "not written yet" is a fact, not a race with a timer.
func TestWriterPicksItsMoments(t *testing.T) {
	opts := Options{Batch: 4, Hold: 16, Every: time.Hour}
	t.Run("idle: written at once", func(t *testing.T) {
		withRecorder(t, opts, func(t *testing.T, r *Recorder) {
			recordN(r, 3)
			settle(3 * idleTick)
			wantWritten(t, r, 3, "with no request in flight")
		})
	})
	t.Run("one request at a time: held until Hold rows", func(t *testing.T) {
		withRecorder(t, opts, func(t *testing.T, r *Recorder) {
			tr := r.Traffic()
			tr.Start()
			recordN(r, 10) // more than Batch, fewer than Hold
			settle(time.Minute)
			wantWritten(t, r, 0, "while one request ran and fewer than Hold waited")
			recordN(r, 6) // Hold reached
			settle(time.Millisecond)
			// The write steps aside for the request in flight between its
			// groups of rows, up to maxStepAside each.
			wantWritten(t, r, 0, "a millisecond after Hold was reached, a request still in flight")
			settle(16 / min(yieldRows, threadYieldRows) * maxStepAside)
			wantWritten(t, r, 16, "once Hold was reached")
			recordN(r, 2)
			tr.Done() // the gateway goes idle
			settle(3 * idleTick)
			wantWritten(t, r, 18, "once the gateway was idle")
		})
	})
	t.Run("a request begun since the last look is not idle", func(t *testing.T) {
		withRecorder(t, opts, func(t *testing.T, r *Recorder) {
			tr := r.Traffic()
			recordN(r, 1)
			// Requests come and go between the writer's looks: never one
			// in flight when it looks, yet never idle.
			for range 20 {
				tr.Start()
				tr.Done()
				settle(idleTick / 2)
			}
			wantWritten(t, r, 0, "while requests kept coming")
			settle(5 * idleTick)
			wantWritten(t, r, 1, "once they stopped")
		})
	})
	t.Run("requests side by side: written every Batch rows", func(t *testing.T) {
		withRecorder(t, opts, func(t *testing.T, r *Recorder) {
			tr := r.Traffic()
			tr.Start()
			tr.Start()
			recordN(r, 3)
			settle(time.Minute)
			wantWritten(t, r, 0, "before Batch waited")
			recordN(r, 1)
			settle(time.Millisecond)
			wantWritten(t, r, 4, "once Batch waited")
			tr.Done()
			tr.Done()
		})
	})
	t.Run("never held longer than Every", func(t *testing.T) {
		o := opts
		o.Every = 5 * time.Second
		withRecorder(t, o, func(t *testing.T, r *Recorder) {
			tr := r.Traffic()
			tr.Start() // a request that never ends
			recordN(r, 2)
			settle(4 * time.Second)
			wantWritten(t, r, 0, "before Every")
			settle(2 * time.Second)
			wantWritten(t, r, 2, "after Every")
		})
	})
	t.Run("bodies: written when their text reaches the bound", func(t *testing.T) {
		withRecorder(t, opts, func(t *testing.T, r *Recorder) {
			r.Traffic().Start()
			body := string(make([]byte, maxHeldBytes/2))
			for i := range 2 {
				r.Record(&Row{ReqID: fmt.Sprint(i), Status: 200, RequestBody: body})
			}
			settle(time.Millisecond)
			wantWritten(t, r, 2, "once the bodies reached the bound")
		})
	})
}

// Flush writes what waits even with requests in flight (the tests that read
// the log after a request rely on it).
func TestFlushIgnoresTraffic(t *testing.T) {
	r := NewRecorder(openDB(t), slog.New(slog.DiscardHandler), Options{Every: time.Hour})
	defer r.Close()
	r.Traffic().Start()
	recordN(r, 5)
	r.Flush()
	wantWritten(t, r, 5, "after Flush")
}

// The writer checkpoints the WAL when it writes while the gateway is idle
// and CheckpointRows were written since the last time; never under load
// (store.WALAutoCheckpoint). A checkpoint is seen as the database file
// growing: rows reach it only through one.
func TestWriterCheckpointsWhenIdle(t *testing.T) {
	o := Options{Batch: 4, Hold: 16, Every: 5 * time.Second, CheckpointRows: 8}
	withRecorder(t, o, func(t *testing.T, r *Recorder) {
		size := func() int64 { return fileSize(t, r.db.Path) }
		// Rows of a few KB: each would take the file a page further.
		record := func(n int) {
			for i := range n {
				r.Record(&Row{ReqID: fmt.Sprint(i), Status: 500, ErrorMessage: strings.Repeat("x", 5000)})
			}
		}
		tr := r.Traffic()
		start := size()
		tr.Start()
		tr.Start()
		record(4) // a batch written side by side
		settle(time.Millisecond)
		tr.Done()
		record(4) // written after Every, one request in flight
		settle(6 * time.Second)
		wantWritten(t, r, 8, "under load")
		if got := size(); got != start {
			t.Fatalf("checkpointed under load: the file went from %d to %d bytes", start, got)
		}
		tr.Done()
		record(1)
		settle(3 * idleTick)
		wantWritten(t, r, 9, "once idle")
		afterIdle := size()
		if afterIdle < start+8*5000 {
			t.Fatalf("no checkpoint once idle with 9 rows fresh: the file went from %d to %d bytes", start, afterIdle)
		}
		record(2) // fewer than CheckpointRows since
		settle(3 * idleTick)
		wantWritten(t, r, 11, "idle again")
		if got := size(); got != afterIdle {
			t.Fatalf("checkpointed with 2 rows fresh: the file went from %d to %d bytes", afterIdle, got)
		}
	})
}

// Rows written by Flush count toward the next checkpoint like any others.
func TestFlushedRowsCountTowardCheckpoint(t *testing.T) {
	o := Options{Batch: 16, Hold: 16, Every: 5 * time.Second, CheckpointRows: 8}
	withRecorder(t, o, func(t *testing.T, r *Recorder) {
		size := func() int64 { return fileSize(t, r.db.Path) }
		tr := r.Traffic()
		start := size()
		tr.Start() // rows wait while a request is in flight
		for i := range 8 {
			r.Record(&Row{ReqID: fmt.Sprint(i), Status: 500, ErrorMessage: strings.Repeat("x", 5000)})
		}
		r.Flush()
		wantWritten(t, r, 8, "after Flush")
		tr.Done()
		r.Record(&Row{ReqID: "9", Status: 200})
		settle(3 * idleTick)
		wantWritten(t, r, 9, "once idle")
		if got := size(); got < start+8*5000 {
			t.Fatalf("no checkpoint once idle with 8 flushed rows and 1 more: the file went from %d to %d bytes", start, got)
		}
	})
}

// A paced write steps aside for the gateway's requests between groups of
// yieldRows inserts: it parks (so the scheduler polls the network), stays
// parked while one request is in flight (up to maxStepAside a group),
// parks once when requests run side by side, and writes straight through
// when its queue is over half full or for Flush.
func TestWritesStepAsideForRequests(t *testing.T) {
	for _, sink := range []struct {
		name     string
		noThread bool
		every    int // rows between two yields
	}{
		{"pool", true, yieldRows},
		{"writer thread", false, threadYieldRows},
	} {
		rows := 4 * sink.every // yields before rows every, 2×every and 3×every
		for _, tc := range []struct {
			name     string
			inFlight int
			late     int // rows recorded while the first park blocks
			check    func(parks int64) bool
			want     string
		}{
			{"a lone request: parked until it is done", 1, 0, func(n int64) bool { return n > 3*2 }, "more than twice per yield"},
			// Side by side, the pool writes (threadMoment).
			{"requests side by side: one park a yield", 2, 0, func(n int64) bool { return n == 3 }, "3"},
			{"a queue over half full: straight through", 1, rows/2 + 1, func(n int64) bool { return n == 1 }, "1 (the blocked one)"},
		} {
			if !sink.noThread && (tc.inFlight > 1 || runtime.GOOS != "linux") {
				continue // the thread writes for a lone request, on Linux
			}
			t.Run(sink.name+": "+tc.name, func(t *testing.T) {
				r := NewRecorder(openDB(t), slog.New(slog.DiscardHandler), Options{QueueSize: rows, Batch: rows, Hold: rows, Every: time.Hour})
				defer r.Close()
				var parks atomic.Int64
				entered, release := make(chan struct{}), make(chan struct{})
				// Set before the first Record: the queue orders them before
				// the writer's reads.
				r.noThread = sink.noThread
				r.park = func() {
					if parks.Add(1) == 1 {
						close(entered)
						<-release
					}
				}
				for range tc.inFlight { // requests in flight: the writer holds rows for Hold
					r.Traffic().Start()
				}
				for i := range rows {
					r.Record(&Row{ReqID: fmt.Sprint(i), Status: 200})
				}
				select { // the paced write parks after its first rows
				case <-entered:
				case <-time.After(10 * time.Second):
					t.Fatal("a write made while requests were in flight never stepped aside")
				}
				for i := range tc.late {
					r.Record(&Row{ReqID: fmt.Sprint("late", i), Status: 200})
				}
				close(release)
				waitWritten(t, r, int64(rows))
				got := parks.Load()
				r.Flush() // the late rows: no pacing
				if parks.Load() != got {
					t.Errorf("Flush parked %d times", parks.Load()-got)
				}
				if !tc.check(got) {
					t.Errorf("%d parks, want %s", got, tc.want)
				}
				if want := int64(rows + tc.late); r.Written() != want || r.Dropped() != 0 {
					t.Errorf("written %d dropped %d, want %d and 0", r.Written(), r.Dropped(), want)
				}
				if onThread := r.thread != nil; onThread == sink.noThread {
					t.Errorf("written on the thread: %v, want %v", onThread, !sink.noThread)
				}
				for range tc.inFlight {
					r.Traffic().Done()
				}
			})
		}
	}
}

// waitWritten waits until the writer has written n rows.
func waitWritten(t *testing.T, r *Recorder, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); r.Written() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d rows written, want %d", r.Written(), n)
		}
	}
}

// The writer thread writes only while requests do not run side by side
// (threadMoment): with requests side by side the pool does, and the thread
// is not even started.
func TestWriterThreadOnlyBetweenRequests(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the writer thread is Linux's")
	}
	withRecorder(t, Options{Batch: 4, Hold: 16, Every: time.Hour}, func(t *testing.T, r *Recorder) {
		tr := r.Traffic()
		tr.Start()
		tr.Start()
		recordN(r, 4) // Batch, side by side
		settle(time.Millisecond)
		r.Flush()
		wantWritten(t, r, 4, "side by side")
		if r.thread != nil {
			t.Fatal("rows written side by side started the writer thread")
		}
		tr.Done()
		tr.Done()
		wantOnThread(t, r, 2, 6, "once idle")
	})
}

// wantOnThread records n rows while the gateway is idle and fails t unless
// written rows are then written, on the writer thread.
func wantOnThread(t *testing.T, r *Recorder, n int, written int64, when string) {
	t.Helper()
	recordN(r, n)
	settle(3 * idleTick)
	r.Flush() // orders the writer's fields before the read below
	wantWritten(t, r, written, when)
	if r.thread == nil {
		t.Fatalf("rows written %s, not on the writer thread", when)
	}
}

// The writer thread ends once the log had no row for threadRest, and the
// next row starts it again.
func TestWriterThreadRestsWhenTheLogIsQuiet(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the writer thread is Linux's")
	}
	withRecorder(t, Options{Batch: 4, Hold: 16, Every: time.Hour}, func(t *testing.T, r *Recorder) {
		recordN(r, 2)
		settle(3 * idleTick)
		r.Flush() // orders the writer's fields before the reads below
		if r.thread == nil {
			t.Fatal("no writer thread after a write")
		}
		// Seen by the kernel from here: the writer may end it any time.
		task := "/proc/self/task/" + fmt.Sprint(r.thread.TID)
		r.Flush() // orders the reads above before the writer's next moves
		settle(threadRest - time.Second)
		if _, err := os.Stat(task); err != nil {
			t.Fatalf("the writer thread ended before threadRest: %v", err)
		}
		settle(2 * time.Second)
		r.Flush()
		if r.thread != nil {
			t.Fatal("the writer thread still runs threadRest after the last write")
		}
		for deadline := time.Now().Add(5 * time.Second); ; runtime.Gosched() {
			if _, err := os.Stat(task); os.IsNotExist(err) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the thread's task is still there after it was ended")
			}
		}
		wantOnThread(t, r, 1, 3, "after the rest")
	})
}
