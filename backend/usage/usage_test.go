package usage

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"switchboard/backend/store"
)

func openDB(t testing.TB) *store.DB {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestRecordBatchesAndQuery(t *testing.T) {
	db := openDB(t)
	r := NewRecorder(db, slog.New(slog.DiscardHandler), Options{Batch: 10, Every: time.Hour})
	for i := 0; i < 25; i++ {
		st := 200
		if i%5 == 0 {
			st = 429
		}
		r.Record(&Row{ReqID: fmt.Sprint(i), TS: int64(1000 + i), ClientDialect: "openai", Endpoint: "/v1/chat/completions",
			RequestedModel: "m", Provider: []string{"openai", "groq"}[i%2], Status: st, TokensIn: i})
	}
	r.Flush()
	if r.Written() != 25 || r.Dropped() != 0 {
		t.Fatalf("written %d dropped %d", r.Written(), r.Dropped())
	}
	rows, err := Query(context.Background(), db, Filter{Provider: "groq", Status: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range rows {
		if w.Provider != "groq" || w.Status != 200 {
			t.Fatalf("filter leaked %+v", w)
		}
	}
	if len(rows) != 10 || rows[0].TS < rows[1].TS {
		t.Fatalf("got %d rows, order %v", len(rows), rows[0].TS)
	}
	r.Close()
}

func TestFullQueueDropsInsteadOfBlocking(t *testing.T) {
	db := openDB(t)
	r := NewRecorder(db, slog.New(slog.DiscardHandler), Options{QueueSize: 1, Batch: 1000, Every: time.Hour})
	tx, _ := db.Begin() // hold the write lock so the writer stalls
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100; i++ {
			r.Record(&Row{ReqID: fmt.Sprint(i), Status: 200})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Record blocked")
	}
	tx.Rollback()
	r.Close()
	if r.Dropped() == 0 || r.Dropped()+r.Written() != 100 {
		t.Fatalf("dropped %d written %d", r.Dropped(), r.Written())
	}
}

// A row recorded after Close (a stream logged once its handler returned,
// racing a shutdown) is counted as dropped; it does not panic on the closed
// queue.
func TestRecordAfterCloseDrops(t *testing.T) {
	db := openDB(t)
	r := NewRecorder(db, slog.New(slog.DiscardHandler), Options{})
	r.Record(&Row{ReqID: "before", Status: 200})
	r.Close()
	r.Record(&Row{ReqID: "after", Status: 200})
	if r.Written() != 1 || r.Dropped() != 1 {
		t.Fatalf("written %d dropped %d, want 1 and 1", r.Written(), r.Dropped())
	}
}

// A partial batch is written (at once here: no request is in flight), and
// the write wakes Stored's waiters; with nothing queued the writer sleeps
// (no timer to wake for).
func TestPartialBatchWrittenAndSignalled(t *testing.T) {
	db := openDB(t)
	r := NewRecorder(db, slog.New(slog.DiscardHandler), Options{Batch: 100, Every: 20 * time.Millisecond})
	defer r.Close()
	woke, stop := r.Stored().Wait()
	defer stop()
	select {
	case <-woke:
		t.Fatal("woken with nothing written")
	case <-time.After(100 * time.Millisecond):
	}
	r.Record(&Row{ReqID: "a", TS: 1, ClientDialect: "openai", Endpoint: "/v1/chat/completions", Status: 200})
	select {
	case <-woke:
	case <-time.After(5 * time.Second):
		t.Fatal("no signal after the partial batch")
	}
	if r.Written() != 1 {
		t.Fatalf("written %d, want 1", r.Written())
	}
}

func TestMediaUnitsRoundTrip(t *testing.T) {
	db := openDB(t)
	r := NewRecorder(db, slog.New(slog.DiscardHandler), Options{})
	r.Record(&Row{ReqID: "a", TS: 1, Endpoint: "/v1/audio/transcriptions", Status: 200, Units: 12.5, UnitKind: "audio_seconds", UnitsCostUSD: 0.00125})
	r.Flush()
	rows, err := Query(context.Background(), db, Filter{})
	if err != nil || len(rows) != 1 {
		t.Fatal(rows, err)
	}
	if w := rows[0]; w.Units != 12.5 || w.UnitKind != "audio_seconds" || w.UnitsCostUSD != 0.00125 {
		t.Fatalf("row %+v", w)
	}
	r.Close()
}

// Rows from CopyRow are the recorder's: written (or dropped by a full
// queue), they are cleared for reuse. Rows made elsewhere are left as
// they were, and what was written is the copy's content.
func TestCopiedRowsAreReusedOnceWritten(t *testing.T) {
	db := openDB(t)
	r := NewRecorder(db, slog.New(slog.DiscardHandler), Options{Every: time.Hour})
	defer r.Close()
	src := Row{ReqID: "req_copied", TS: 1000, RequestedModel: "m", Provider: "p", Status: 200, TokensIn: 7}
	copied := CopyRow(&src)
	if *copied != func() Row { w := src; w.pooled = true; return w }() {
		t.Fatalf("CopyRow = %+v, want a copy of %+v", *copied, src)
	}
	own := &Row{ReqID: "req_own", TS: 1001, Status: 200}
	r.Record(copied)
	r.Record(own)
	r.Flush()
	if *copied != (Row{}) {
		t.Errorf("a written copy was not cleared for reuse: %+v", *copied)
	}
	if own.ReqID != "req_own" || own.TS != 1001 {
		t.Errorf("a caller's own row was changed: %+v", *own)
	}
	rows, err := Query(context.Background(), db, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1].ReqID != "req_copied" || rows[1].TokensIn != 7 || rows[1].Provider != "p" {
		t.Fatalf("stored %+v", rows)
	}
}

// On Linux the log is written by the writer thread (store.WriterThread);
// should the thread fail, the pool writes on and no row is lost.
func TestRecorderWritesOnItsThreadAndOutlivesIt(t *testing.T) {
	db := openDB(t)
	r := NewRecorder(db, slog.New(slog.DiscardHandler), Options{Batch: 10, Every: time.Hour})
	defer r.Close()
	recordN(r, 3)
	r.Flush()
	if runtime.GOOS == "linux" && (r.thread == nil || r.noThread) {
		t.Fatal("rows written without the writer thread")
	}
	if r.thread != nil {
		r.thread.Close() // as if it had died: the next write finds it broken
	}
	recordN(r, 4)
	r.Flush()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM request_logs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 7 || r.Written() != 7 || r.Dropped() != 0 {
		t.Fatalf("%d rows stored, %d written, %d dropped; want 7, 7, 0", n, r.Written(), r.Dropped())
	}
	if runtime.GOOS == "linux" && (r.thread != nil || !r.noThread) {
		t.Fatal("the writer kept a failed thread")
	}
}

// A large write's encoding buffer is not kept for the next: at rest the
// writer holds at most maxKeptBatch of it.
func TestWriterThreadKeepsNoLargeBuffer(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the writer thread is Linux's")
	}
	r := NewRecorder(openDB(t), slog.New(slog.DiscardHandler), Options{Batch: 1000, Hold: 1000, Every: time.Hour})
	defer r.Close()
	msg := strings.Repeat("x", 1000)
	for i := range 200 { // 200 KB of text
		r.Record(&Row{ReqID: fmt.Sprint(i), Status: 500, ErrorMessage: msg})
	}
	r.Flush()
	if r.thread == nil || r.Written() != 200 {
		t.Fatalf("thread %v, %d rows written; want the thread and 200", r.thread != nil, r.Written())
	}
	if c := r.enc.Cap(); c > maxKeptBatch {
		t.Fatalf("the writer keeps a %d-byte buffer at rest, want at most %d", c, maxKeptBatch)
	}
}
