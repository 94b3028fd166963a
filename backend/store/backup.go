package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Online backup and restore with SQLite's backup API (sqlite3_backup_*).
//
// A backup copies every page of the live database inside one read
// transaction of the source: in WAL mode writers go on while it runs and the
// copy is the database as of one instant. A restore runs the same API the
// other way, from a checked file into the live database, as one write
// transaction of the destination: every connection of every process sees
// either the old database or the restored one, never a mix, and no handle
// held elsewhere (keys, routing, sign-ins, the log writer) goes stale, so
// nothing has to be closed and reopened.

// busyRetry is how long a backup step waits between attempts when the other
// side holds a lock (SQLITE_BUSY / SQLITE_LOCKED are retried, not failed).
const busyRetry = 20 * time.Millisecond

// BackupTo writes a consistent copy of the live database to dst, which must
// not exist (it is created owner-only).
func (s *DB) BackupTo(ctx context.Context, dst string) error {
	if err := createOwnerOnly(dst); err != nil {
		return err
	}
	dstDB, err := openPlain(dst, false)
	if err != nil {
		return err
	}
	defer dstDB.Close()
	if err := copyPages(ctx, dstDB, s.DB); err != nil {
		return err
	}
	// The copy carries the live database's WAL flag; a backup is one
	// self-contained file, so it is switched to a rollback journal (else
	// merely reading it would create -wal and -shm files beside it).
	if _, err := dstDB.ExecContext(ctx, `PRAGMA journal_mode=DELETE`); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

// RestoreFrom replaces the live database's content with src's in one write
// transaction. src must be a checked database of this schema (see
// Backups.Restore, which checks and migrates it first).
func (s *DB) RestoreFrom(ctx context.Context, src string) error {
	srcDB, err := openPlain(src, true)
	if err != nil {
		return err
	}
	defer srcDB.Close()
	return copyPages(ctx, s.DB, srcDB)
}

// openPlain opens a database file without migrating it: the other side of
// a backup or restore.
func openPlain(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_busy_timeout", "5000")
	if readOnly {
		q.Set("mode", "ro")
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// copyPages copies src's main database over dst's, retrying while either
// side is locked, until ctx ends.
func copyPages(ctx context.Context, dst, src *sql.DB) error {
	return withRaw(ctx, dst, func(dc *sqlite3.SQLiteConn) error {
		return withRaw(ctx, src, func(sc *sqlite3.SQLiteConn) error {
			b, err := dc.Backup("main", sc, "main")
			if err != nil {
				return fmt.Errorf("store: backup: %w", err)
			}
			for {
				done, err := b.Step(-1)
				if err != nil {
					b.Close()
					return fmt.Errorf("store: backup: %w", err)
				}
				if done {
					break
				}
				select { // busy or locked: the other side is writing
				case <-ctx.Done():
					b.Close()
					return ctx.Err()
				case <-time.After(busyRetry):
				}
			}
			if err := b.Finish(); err != nil {
				return fmt.Errorf("store: backup: %w", err)
			}
			return nil
		})
	})
}

// withRaw runs f on one driver connection of db.
func withRaw(ctx context.Context, db *sql.DB, f func(*sqlite3.SQLiteConn) error) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		sc, ok := dc.(*sqlite3.SQLiteConn)
		if !ok {
			return errors.New("store: backup: not a SQLite connection")
		}
		return f(sc)
	})
}

// FileCheck is what CheckFile finds in a database file.
type FileCheck struct {
	Integrity string // "ok" when PRAGMA integrity_check passes
	Version   int    // highest applied migration (0: none)
}

// CheckFile runs integrity_check on a database file (read-only) and reads
// its schema version.
func CheckFile(ctx context.Context, path string) (FileCheck, error) {
	var fc FileCheck
	if _, err := os.Stat(path); err != nil {
		return fc, fmt.Errorf("store: %w", err)
	}
	db, err := openPlain(path, true)
	if err != nil {
		return fc, err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&fc.Integrity); err != nil {
		return fc, fmt.Errorf("store: %s is not a readable database: %w", path, err)
	}
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return fc, fmt.Errorf("store: %s is not a Switchboard database: %w", path, err)
	}
	fc.Version = int(v.Int64)
	return fc, nil
}

// LatestVersion is the highest migration this build knows.
func LatestVersion() int {
	ms, err := Migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}
