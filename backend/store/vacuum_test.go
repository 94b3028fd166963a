package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openAt opens the database at path for the rest of the test.
func openAt(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// fill adds n rows of about 4 KB to a scratch table.
func fill(t *testing.T, db *sql.DB, n int) {
	t.Helper()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS scratch (id INTEGER PRIMARY KEY, body TEXT)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := tx.Exec(`INSERT INTO scratch(body) VALUES (?)`, strings.Repeat("x", 4000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// A new database gives freed pages back in steps; the rows left are intact.
func TestReclaimGivesFreedSpaceBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sb.db")
	db := openAt(t, path)
	if ok, err := db.Incremental(ctx); err != nil || !ok {
		t.Fatalf("a new database is not in incremental vacuum: %v %v", ok, err)
	}
	fill(t, db.DB, 5000) // ~20 MB
	if err := db.truncateWAL(ctx); err != nil {
		t.Fatal(err)
	}
	full := fileSize(path)
	if _, err := db.Exec(`DELETE FROM scratch WHERE id > 500`); err != nil {
		t.Fatal(err)
	}
	pageSize, _, free, _ := db.Pages(ctx)
	// Less free space than asked for: kept for the next rows.
	if n, err := db.Reclaim(ctx, free*pageSize+1, 256, nil); n != 0 || err != nil {
		t.Fatalf("gave back %d bytes (%v) below the threshold", n, err)
	}
	pauses := 0
	n, err := db.Reclaim(ctx, 0, 256, func(time.Duration) error { pauses++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	_, _, left, _ := db.Pages(ctx)
	after := fileSize(path)
	t.Logf("file %d → %d bytes, %d free pages given back in %d pauses", full, after, free, pauses)
	if left != 0 || n != free*pageSize {
		t.Fatalf("gave back %d bytes of %d free pages; %d left", n, free, left)
	}
	// Steps of 256 pages, not one page per statement.
	if want := int(free / 256); pauses > want+1 || pauses < want-1 {
		t.Fatalf("%d pauses for %d free pages in steps of 256", pauses, free)
	}
	if after > full/8 {
		t.Fatalf("file %d bytes after giving back, %d before", after, full)
	}
	var rows int
	if err := db.QueryRow(`SELECT count(*) FROM scratch WHERE length(body) = 4000`).Scan(&rows); err != nil || rows != 500 {
		t.Fatalf("%d rows intact, want 500 (%v)", rows, err)
	}
}

// oldDatabase creates a database the way versions before incremental
// vacuum did, with free space in it.
func oldDatabase(t *testing.T, path string, rows, keep int) {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	fill(t, raw, rows)
	if _, err := raw.Exec(`DELETE FROM scratch WHERE id > ?`, keep); err != nil {
		t.Fatal(err)
	}
	var mode int
	if err := raw.QueryRow(`PRAGMA auto_vacuum`).Scan(&mode); err != nil || mode != 0 {
		t.Fatalf("setup: auto_vacuum %d %v", mode, err)
	}
	raw.Close()
}

// A database from before is switched at open (one VACUUM) when small, and
// shrinks; from then on it gives space back in steps.
func TestOpenSwitchesAnOlderDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	oldDatabase(t, path, 3000, 100)
	before := fileSize(path)
	db := openAt(t, path)
	if ok, err := db.Incremental(ctx); err != nil || !ok {
		t.Fatalf("not switched: %v %v", ok, err)
	}
	// (Converted[0] also counts what the migrations wrote before the switch.)
	if db.Converted[0] < before || db.Converted[1] > before/4 || fileSize(path) != db.Converted[1] {
		t.Fatalf("converted %v, file %d before and %d now", db.Converted, before, fileSize(path))
	}
	var rows int
	if err := db.QueryRow(`SELECT count(*) FROM scratch`).Scan(&rows); err != nil || rows != 100 {
		t.Fatalf("%d rows after the switch, want 100 (%v)", rows, err)
	}
}

// A large older database is left as it is unless a quarter of it is free:
// a start is not made slower for little.
func TestOpenLeavesALargeFullDatabase(t *testing.T) {
	saved := convertSmallBytes
	convertSmallBytes = 1 << 20
	defer func() { convertSmallBytes = saved }()
	ctx := context.Background()
	dir := t.TempDir()

	full := filepath.Join(dir, "full.db")
	oldDatabase(t, full, 1000, 900) // ~4 MB, a tenth free
	db := openAt(t, full)
	ok, _ := db.Incremental(ctx)
	if ok || db.Converted[0] != 0 {
		t.Fatalf("a large database with little free space was rewritten at open (%v)", db.Converted)
	}

	sparse := filepath.Join(dir, "sparse.db")
	oldDatabase(t, sparse, 1000, 500) // half free
	db = openAt(t, sparse)
	if ok, _ := db.Incremental(ctx); !ok || db.Converted[0] == 0 {
		t.Fatal("a large database half free was not switched")
	}
}
