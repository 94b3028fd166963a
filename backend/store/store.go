// Package store is Switchboard's SQLite database: opened in WAL mode with a
// busy timeout and foreign keys, migrated from embedded SQL files, each in
// its own transaction, so a crash mid-migration leaves the previous schema.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3" // driver "sqlite3"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// driverName is go-sqlite3 with the connection settings a DSN cannot carry.
const driverName = "sqlite3-switchboard"

// WALAutoCheckpoint is the size, in pages, at which a commit checkpoints
// the WAL by itself (SQLite's default is 1,000). A checkpoint copies the
// WAL into the database file and syncs it: 10–45 ms that, inside a commit
// of the request log, slowed the requests being served meanwhile. The log
// writer checkpoints while the gateway is idle instead (usage.Recorder);
// this bound (32 MiB of 4 KiB pages) holds when it never is.
const WALAutoCheckpoint = 8192

// maxOpenConns is the size of the connection pool (each connection is
// opened with the connect hook's settings).
const maxOpenConns = 4

// WALSizeLimit is what the WAL file is cut back to when it starts over
// after a checkpoint, so a burst's WAL does not stay on disk (or count
// against the request log's size cap) once it has been copied.
const WALSizeLimit = 4 << 20

// connPragmas are the settings of every connection a DSN cannot carry.
var connPragmas = "PRAGMA wal_autocheckpoint=" + strconv.Itoa(WALAutoCheckpoint) +
	"; PRAGMA journal_size_limit=" + strconv.Itoa(WALSizeLimit)

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec(connPragmas, nil)
		return err
	}})
}

// DB wraps the database handle.
type DB struct {
	*sql.DB
	Path string
	// BusyTimeout is how long a connection waits for another's write lock
	// (a writer thread's too); zero is defaultBusyTimeout.
	BusyTimeout time.Duration
	// Converted is the file size before and after, when Open switched an
	// older database to incremental vacuum (zero otherwise), for the log.
	Converted [2]int64
}

// Open opens (creating if needed) the database at path and migrates it.
// When migrations are pending on a database that has data, a backup is
// written first (reason pre-migration, in BackupDir(path)).
func Open(ctx context.Context, path string) (*DB, error) { return open(ctx, path, true) }

func open(ctx context.Context, path string, backupFirst bool) (*DB, error) {
	if err := createOwnerOnly(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", strconv.Itoa(int(defaultBusyTimeout/time.Millisecond)))
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL") // with WAL: durable across app crashes
	q.Set("_txlock", "immediate")   // writers take the lock up front: no upgrade deadlocks
	// Set before the first table exists, it lets a new database shrink
	// (vacuum.go); on an older one it takes effect at its next VACUUM.
	q.Set("_auto_vacuum", "incremental")
	db, err := sql.Open(driverName, "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxOpenConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &DB{DB: db, Path: path, BusyTimeout: defaultBusyTimeout}
	if backupFirst {
		if err := s.backupBeforeMigrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	before := fileSize(path)
	if done, err := s.convertAtOpen(ctx); err != nil {
		db.Close()
		return nil, err
	} else if done {
		s.Converted = [2]int64{before, fileSize(path)}
	}
	return s, nil
}

// Files are the database file and the companions SQLite creates beside it.
func Files(path string) []string {
	return []string{path, path + "-wal", path + "-shm", path + "-journal"}
}

// createOwnerOnly creates a missing database file with mode 0600. SQLite
// would create it 0644 less the umask, and on unix it gives -wal, -shm and
// -journal the main file's mode whenever it (re)creates them, so this keeps
// all of them owner-only without touching the process-wide umask.
func createOwnerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	return nil
}

// Migration is one embedded schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration %s: name must start with a number and '_'", name)
		}
		b, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies every migration not yet applied, each in one transaction.
func (s *DB) Migrate(ctx context.Context) error {
	if _, err := s.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	ms, err := Migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := s.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (s *DB) apply(ctx context.Context, m Migration) error {
	tx, err := s.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate %s: %w", m.Name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return fmt.Errorf("store: migrate %s: %w", m.Name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("store: migrate %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().Unix()); err != nil {
		return fmt.Errorf("store: migrate %s: %w", m.Name, err)
	}
	return tx.Commit()
}

// backupBeforeMigrate writes a pre-migration backup when the database has
// applied migrations and this build has more.
func (s *DB) backupBeforeMigrate(ctx context.Context) error {
	var exists int
	if err := s.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&exists); err != nil {
		return fmt.Errorf("store: open %s: %w", s.Path, err)
	}
	if exists == 0 {
		return nil // a new database: nothing to keep
	}
	applied := map[int]bool{}
	rows, err := s.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", s.Path, err)
	}
	for rows.Next() {
		var v int
		if rows.Scan(&v) == nil {
			applied[v] = true
		}
	}
	rows.Close()
	ms, err := Migrations()
	if err != nil {
		return err
	}
	pending := 0
	for _, m := range ms {
		if !applied[m.Version] {
			pending++
		}
	}
	if len(applied) == 0 || pending == 0 {
		return nil
	}
	if _, err := writeBackup(ctx, s, BackupDir(s.Path), ReasonPreMigration, time.Now()); err != nil {
		return fmt.Errorf("store: a backup before migrating could not be written, so the database was left as it is: %w", err)
	}
	return nil
}

// Version is the highest applied migration.
func (s *DB) Version(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

// IntegrityCheck runs PRAGMA integrity_check and returns its verdict.
func (s *DB) IntegrityCheck(ctx context.Context) (string, error) {
	var res string
	err := s.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res)
	return res, err
}

// Checkpoint copies what the WAL holds into the database file, as far as
// readers allow, without waiting for them (a PASSIVE checkpoint). It
// returns the WAL's frames and how many of them are now in the file.
func (s *DB) Checkpoint(ctx context.Context) (frames, copied int, err error) {
	var busy int
	err = s.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	return frames, copied, err
}

// Close checkpoints the WAL into the main file and closes the database.
func (s *DB) Close() error {
	_, _ = s.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return s.DB.Close()
}

// Locked reports whether err is SQLite's "database is locked" (or a table
// locked): another writer held the database past the busy timeout, and the
// same statement can succeed later.
func Locked(err error) bool {
	var e sqlite3.Error
	return errors.As(err, &e) && (e.Code == sqlite3.ErrBusy || e.Code == sqlite3.ErrLocked)
}

// LockedWaits are the pauses before a background writer tries a write
// again that met a locked database (a backup, another process holding a
// write transaction): a long lock costs the log a delay rather than rows.
var LockedWaits = []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second, 5 * time.Second}

// RetryLocked runs write, and again after each of LockedWaits while it
// fails because the database is locked, telling waiting before each pause.
// Only for writers off the request path: it sleeps.
func RetryLocked(write func() error, waiting func(time.Duration)) error {
	err := write()
	for i := 0; err != nil && Locked(err) && i < len(LockedWaits); i++ {
		waiting(LockedWaits[i])
		time.Sleep(LockedWaits[i])
		err = write()
	}
	return err
}
