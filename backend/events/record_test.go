package events

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"switchboard/backend/store"
)

// An event that meets a database held by another writer past the busy
// timeout is written once the lock goes, not lost.
func TestRecorderWaitsOutALockedDatabase(t *testing.T) {
	ctx := context.Background()
	migrated, err := store.Open(ctx, filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer migrated.Close()
	// The recorder's handle gives up on a lock after 20 ms (5 s in the app).
	raw, err := sql.Open("sqlite3", "file:"+migrated.Path+"?_journal_mode=WAL&_busy_timeout=20")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	hold, err := migrated.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond) // past the first retries
		hold.ExecContext(ctx, "COMMIT")
		hold.Close()
	}()
	r := NewRecorder(raw, slog.New(slog.DiscardHandler))
	r.Record(Row{TS: time.Now().UnixMilli(), Kind: string(OAuthRefreshFailed), Provider: "p"})
	r.Close() // writes what is queued
	rows, err := Recent(ctx, raw, 10)
	if err != nil || len(rows) != 1 || rows[0].Provider != "p" {
		t.Fatalf("rows %+v (%v), want the one event", rows, err)
	}
}
