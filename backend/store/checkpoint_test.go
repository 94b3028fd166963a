package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// Commits leave the WAL alone up to WALAutoCheckpoint pages (on every
// connection of the pool), so that checkpoints happen when Checkpoint is
// called: the request log's writer calls it while the gateway is idle.
// Once copied, the WAL's file is cut back to WALSizeLimit.
func TestCheckpointIsOursToTime(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sb.db")
	db := openAt(t, path)
	conns := make([]interface{ Close() error }, 0, maxOpenConns)
	for range maxOpenConns { // every connection the pool can hold
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var pages int
		if err := c.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil || pages != WALAutoCheckpoint {
			t.Fatalf("connection %d: wal_autocheckpoint %d (%v), want %d", len(conns), pages, err, WALAutoCheckpoint)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	fill(t, db.DB, 1) // the scratch table
	if _, _, err := db.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	fill(t, db.DB, 1800) // about 1,800 pages, past SQLite's default of 1,000
	if got := size(); got != before {
		t.Fatalf("the database file changed from %d to %d bytes: a commit checkpointed", before, got)
	}
	frames, copied, err := db.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if frames < 1000 || copied != frames {
		t.Fatalf("checkpoint: %d frames, %d copied; want over 1,000, all copied", frames, copied)
	}
	if got := size(); got < before+600*6000 {
		t.Fatalf("after the checkpoint the file is %d bytes, want at least %d", got, before+600*6000)
	}
	// The next commit starts the WAL over and cuts its file back.
	wal := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	if got := wal(); got < 600*6000 {
		t.Fatalf("the WAL is %d bytes before it starts over, want at least %d", got, 600*6000)
	}
	fill(t, db.DB, 1)
	if got := wal(); got > WALSizeLimit {
		t.Fatalf("the WAL stayed at %d bytes once it started over, want at most %d", got, WALSizeLimit)
	}
}
