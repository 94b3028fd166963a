//go:build linux

package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
)

// openThreadDB opens a migrated database with a table t of every column
// type and a writer thread that inserts into it.
func openThreadDB(t *testing.T) (*DB, *WriterThread) {
	t.Helper()
	db := openTableDB(t, `CREATE TABLE t(id INTEGER PRIMARY KEY, n, f, b, s TEXT NOT NULL, x)`)
	return db, startThread(t, db, `INSERT INTO t(id, n, f, b, s, x) VALUES (?,?,?,?,?,?)`)
}

// openTableDB opens a migrated database (closed when t ends) and runs
// schema in it.
func openTableDB(t *testing.T, schema string) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(schema); err != nil {
		t.Fatal(err)
	}
	return db
}

// startThread starts db's writer thread for stmt (closed when t ends).
func startThread(t *testing.T, db *DB, stmt string) *WriterThread {
	t.Helper()
	w, err := db.StartWriterThread(stmt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// What the thread stores reads back through the pool as go-sqlite3 would
// have stored it: each value with its type.
func TestWriterThreadStoresEveryValueType(t *testing.T) {
	db, w := openThreadDB(t)
	text := "naïve\x00tail " + strings.Repeat("é", 40000) // a NUL inside, longer than a pipe's buffer
	var b Batch
	b.Reset()
	for _, row := range [][]any{
		{int64(1), int64(-1 << 62), 2.5, true, text, nil},
		{int64(2), int64(0), -0.125, false, "", []byte("raw")},
	} {
		if err := b.Row(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Insert(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT id, typeof(n), n, typeof(f), f, typeof(b), b, typeof(s), s, typeof(x), coalesce(x, '') FROM t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id int
		var tn, tf, tb, ts, tx, s, x string
		var n int64
		var f float64
		var bv int
		if err := rows.Scan(&id, &tn, &n, &tf, &f, &tb, &bv, &ts, &s, &tx, &x); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{tn, strconv.FormatInt(n, 10), tf, strconv.FormatFloat(f, 'g', -1, 64), tb, strconv.Itoa(bv), ts, strconv.Itoa(len(s)), tx, x}, " "))
		if id == 1 && s != text {
			t.Errorf("row 1's text came back %d bytes, want the %d sent", len(s), len(text))
		}
	}
	want := []string{
		"integer -4611686018427387904 real 2.5 integer 1 text " + strconv.Itoa(len(text)) + " null ",
		"integer 0 real -0.125 integer 0 text 0 text raw",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("read back:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A batch is one transaction: a row SQLite refuses leaves none of its
// batch, comes back with SQLite's code and message, and the thread goes on.
func TestWriterThreadBatchIsAllOrNothing(t *testing.T) {
	db, w := openThreadDB(t)
	var b Batch
	b.Reset()
	b.Row([]any{int64(1), nil, nil, nil, "a", nil})
	b.Row([]any{int64(2), nil, nil, nil, nil, nil}) // s is NOT NULL
	b.Row([]any{int64(3), nil, nil, nil, "c", nil})
	err := w.Insert(&b)
	var se sqlite3.Error
	if !errors.As(err, &se) || se.Code != sqlite3.ErrConstraint || !strings.Contains(err.Error(), "NOT NULL constraint failed: t.s") {
		t.Fatalf("a NOT NULL violation: %v, want SQLite's constraint error and message", err)
	}
	count := func() (n int) {
		t.Helper()
		if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("%d rows of the failed batch stored, want 0", n)
	}
	b.Reset()
	b.Row([]any{int64(4), nil, nil, nil, "d", nil})
	if err := w.Insert(&b); err != nil {
		t.Fatalf("the batch after a failed one: %v", err)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d rows stored, want 1", n)
	}
	// A value the thread cannot store is refused before it is sent.
	if err := b.Row([]any{int64(5), time.Now(), nil, nil, "e", nil}); err == nil || b.Rows() != 1 {
		t.Fatalf("a time.Time value: %v with %d rows in the batch, want an error and 1", err, b.Rows())
	}
	// So is a row with the wrong number of values, by the thread.
	b.Reset()
	b.Row([]any{int64(6), nil, nil, nil, "f"})
	if err := w.Insert(&b); err == nil || !strings.Contains(err.Error(), "the batch ends inside a row") {
		t.Fatalf("a row one value short: %v", err)
	}
}

// A write lock held past the busy timeout comes back as Locked, so the
// caller's RetryLocked waits it out; once released, the same batch goes in.
func TestWriterThreadReportsALockedDatabase(t *testing.T) {
	db := openTableDB(t, `CREATE TABLE t(s TEXT)`)
	db.BusyTimeout = 30 * time.Millisecond
	w := startThread(t, db, `INSERT INTO t(s) VALUES (?)`)
	other, err := sql.Open("sqlite3", "file:"+db.Path+"?_journal_mode=WAL")
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
	var b Batch
	b.Reset()
	b.Row([]any{"held"})
	if err := w.Insert(&b); !Locked(err) {
		t.Fatalf("insert under another's write lock: %v, want locked", err)
	}
	hold.ExecContext(ctx, "COMMIT")
	hold.Close()
	if err := w.Insert(&b); err != nil {
		t.Fatalf("insert after the lock was released: %v", err)
	}
}

// The thread runs at the lowest priority the OS grants without privileges
// (SCHED_IDLE, else nice 19), as the kernel reports it.
func TestWriterThreadRunsAtIdlePriority(t *testing.T) {
	_, w := openThreadDB(t)
	stat, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(w.TID) + "/stat")
	if err != nil {
		t.Fatalf("the thread's stat: %v", err)
	}
	// Fields after the command's closing parenthesis: state is field 3.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	nice, policy := f[19-3], f[41-3]
	switch {
	case w.Policy == 5 && policy == "5":
	case w.Policy == 0 && policy == "0" && nice == "19":
		t.Logf("SCHED_IDLE refused here; nice 19")
	default:
		t.Fatalf("thread %d: policy %s nice %s, reported policy %d; want SCHED_IDLE (5), or 0 at nice 19", w.TID, policy, nice, w.Policy)
	}
}

// Checkpoint copies the WAL into the database file from the thread.
func TestWriterThreadCheckpoints(t *testing.T) {
	db, w := openThreadDB(t)
	size := func() int64 {
		fi, err := os.Stat(db.Path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	var b Batch
	b.Reset()
	for i := range 50 {
		b.Row([]any{int64(i), nil, nil, nil, strings.Repeat("x", 4000), nil})
	}
	if err := w.Insert(&b); err != nil {
		t.Fatal(err)
	}
	before := size()
	if err := w.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if after := size(); after < before+50*4000 {
		t.Fatalf("the database file went from %d to %d bytes: the WAL was not copied", before, after)
	}
}

// Close ends the thread and closes its connection: the thread is gone,
// further calls fail, and closing the database leaves no WAL behind (the
// last connection closed removes it).
func TestWriterThreadCloseEndsIt(t *testing.T) {
	db := openTableDB(t, `CREATE TABLE t(s TEXT)`)
	w := startThread(t, db, `INSERT INTO t(s) VALUES (?)`)
	var b Batch
	b.Reset()
	b.Row([]any{"one"})
	if err := w.Insert(&b); err != nil {
		t.Fatal(err)
	}
	task := "/proc/self/task/" + strconv.Itoa(w.TID)
	if _, err := os.Stat(task); err != nil {
		t.Fatalf("the running thread: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(task); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d still there after Close", w.TID)
		}
	}
	if err := w.Insert(&b); err == nil {
		t.Fatal("Insert after Close succeeded")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db.Path + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("a WAL left after every connection closed: %v", err)
	}
}

// A thread whose statement SQLite cannot prepare is not started.
func TestWriterThreadRefusesABadStatement(t *testing.T) {
	db := openTableDB(t, `CREATE TABLE t(s TEXT)`)
	if w, err := db.StartWriterThread(`INSERT INTO missing(s) VALUES (?)`); err == nil || !strings.Contains(err.Error(), "no such table: missing") {
		if w != nil {
			w.Close()
		}
		t.Fatalf("a statement on a missing table: %v, want SQLite's message", err)
	}
}
