//go:build unix

package store

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// pinUmask sets the common 022 umask for the test so a file created with
// SQLite's default mode would be 0644 here whatever the runner's umask is.
func pinUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

// TestOpenCreatesOwnerOnlyFiles: the database, its WAL and its shared-memory
// file hold keys' hashes, sealed secrets and request logs; none may be
// readable by other users, including the WAL and -shm SQLite creates again
// after a close.
func TestOpenCreatesOwnerOnlyFiles(t *testing.T) {
	pinUmask(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sb.db")
	check := func(when string) {
		t.Helper()
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			st, err := os.Stat(f)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s has mode %#o, want 0600", when, filepath.Base(f), st.Mode().Perm())
			}
		}
	}
	for _, when := range []string{"fresh database", "reopened (WAL and -shm created again)"} {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1)`); err != nil {
			t.Fatal(err)
		}
		check(when)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
			t.Fatalf("after close the WAL is still there (%v): the reopen would not recreate it", err)
		}
	}
}
