package usage

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"switchboard/backend/store"
)

// A database held by another writer past the busy timeout delays the
// request log; it does not lose its rows.
func TestRecorderWaitsOutALockedDatabase(t *testing.T) {
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

	r := NewRecorder(&store.DB{DB: raw, Path: path}, slog.New(slog.DiscardHandler), Options{Batch: 5, Every: time.Hour})
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
}
