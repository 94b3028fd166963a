package usage

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/backend/store"
)

// A database held by another writer past the busy timeout delays the
// request log; it does not lose its rows.
func TestRecorderWaitsOutALockedDatabase(t *testing.T) {
	for _, sink := range []struct {
		name     string
		noThread bool
	}{{"pool", true}, {"writer thread", false}} {
		t.Run(sink.name, func(t *testing.T) { waitsOutALock(t, sink.noThread) })
	}
}

func waitsOutALock(t *testing.T, noThread bool) {
	path := openDB(t).Path // migrated
	// The recorder's handle gives up on a lock after 20 ms (5 s in the app).
	raw, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_busy_timeout=20&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	other, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	hold, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		time.Sleep(300 * time.Millisecond) // past the first retries
		hold.ExecContext(ctx, "COMMIT")
		hold.Close()
		close(released)
	}()

	var locked atomic.Int64
	log := slog.New(countingHandler{&locked})
	r := NewRecorder(&store.DB{DB: raw, Path: path, BusyTimeout: 20 * time.Millisecond}, log, Options{Batch: 5, Every: time.Hour})
	r.noThread = noThread
	for i := range 12 {
		r.Record(&Row{ReqID: fmt.Sprint("locked-", i), TS: time.Now().UnixMilli(), Provider: "p", Status: 200})
	}
	r.Flush()
	<-released
	r.Close()
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM request_logs WHERE req_id LIKE 'locked-%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 12 || r.Dropped() != 0 {
		t.Fatalf("%d rows written, %d dropped, want 12 and 0", n, r.Dropped())
	}
	if locked.Load() == 0 {
		t.Fatal("the writer never met the lock")
	}
}

// countingHandler counts the log's records.
type countingHandler struct{ n *atomic.Int64 }

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) Handle(_ context.Context, rec slog.Record) error {
	if strings.Contains(rec.Message, "database locked") {
		h.n.Add(1)
	}
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }
