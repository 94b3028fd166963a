package usage

import (
	"fmt"
	"log/slog"
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
			if r.Written() != 3 {
				t.Fatalf("written %d of 3 rows with no request in flight", r.Written())
			}
		})
	})
	t.Run("one request at a time: held until Hold rows", func(t *testing.T) {
		withRecorder(t, opts, func(t *testing.T, r *Recorder) {
			tr := r.Traffic()
			tr.Start()
			recordN(r, 10) // more than Batch, fewer than Hold
			settle(time.Minute)
			if r.Written() != 0 {
				t.Fatalf("written %d rows while one request ran and fewer than Hold waited", r.Written())
			}
			recordN(r, 6) // Hold reached
			settle(time.Millisecond)
			if r.Written() != 16 {
				t.Fatalf("written %d, want the 16 held rows once Hold was reached", r.Written())
			}
			recordN(r, 2)
			tr.Done() // the gateway goes idle
			settle(3 * idleTick)
			if r.Written() != 18 {
				t.Fatalf("written %d, want 18 once the gateway was idle", r.Written())
			}
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
			if r.Written() != 0 {
				t.Fatalf("written %d rows while requests kept coming", r.Written())
			}
			settle(5 * idleTick)
			if r.Written() != 1 {
				t.Fatalf("written %d, want 1 once they stopped", r.Written())
			}
		})
	})
	t.Run("requests side by side: written every Batch rows", func(t *testing.T) {
		withRecorder(t, opts, func(t *testing.T, r *Recorder) {
			tr := r.Traffic()
			tr.Start()
			tr.Start()
			recordN(r, 3)
			settle(time.Minute)
			if r.Written() != 0 {
				t.Fatalf("written %d rows before Batch waited", r.Written())
			}
			recordN(r, 1)
			settle(time.Millisecond)
			if r.Written() != 4 {
				t.Fatalf("written %d, want the batch of 4", r.Written())
			}
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
			if r.Written() != 0 {
				t.Fatalf("written %d before Every", r.Written())
			}
			settle(2 * time.Second)
			if r.Written() != 2 {
				t.Fatalf("written %d, want 2 after Every", r.Written())
			}
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
			if r.Written() != 2 {
				t.Fatalf("written %d, want the 2 rows holding %d bytes of bodies", r.Written(), maxHeldBytes)
			}
		})
	})
}

// Flush writes what waits even with requests in flight (tests and the
// shutdown path rely on it).
func TestFlushIgnoresTraffic(t *testing.T) {
	r := NewRecorder(openDB(t), slog.New(slog.DiscardHandler), Options{Every: time.Hour})
	defer r.Close()
	r.Traffic().Start()
	recordN(r, 5)
	r.Flush()
	if r.Written() != 5 {
		t.Fatalf("written %d after Flush, want 5", r.Written())
	}
}
