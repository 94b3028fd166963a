package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "switchboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func countRows(t *testing.T, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// writeLoop inserts settings rows until stop, counting committed ones.
func writeLoop(db *DB, stop <-chan struct{}, n *atomic.Int64, wg *sync.WaitGroup, worker int) {
	defer wg.Done()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		_, err := db.Exec(`INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?)`,
			fmt.Sprintf("w%d-%d", worker, i), strings.Repeat("x", 200), time.Now().Unix())
		if err == nil {
			n.Add(1)
		}
	}
}

// A backup taken while writers commit is one consistent instant: it passes
// integrity_check, and restoring it (also while writers commit) gives a live
// database that passes integrity_check and holds at least the rows that
// existed before the backup began.
func TestBackupAndRestoreUnderConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	for i := 0; i < 500; i++ {
		db.Exec(`INSERT INTO settings(key, value, updated_at) VALUES (?, 'seed', 1)`, fmt.Sprintf("seed-%d", i))
	}
	bk := NewBackups(db, BackupDir(db.Path))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go writeLoop(db, stop, &written, &wg, w)
	}
	time.Sleep(50 * time.Millisecond)
	info, err := bk.Create(ctx, ReasonManual, 7)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := CheckFile(ctx, filepath.Join(bk.Dir(), info.Name))
	if err != nil || fc.Integrity != "ok" || fc.Version != LatestVersion() {
		t.Fatalf("backup check %+v, %v", fc, err)
	}
	time.Sleep(50 * time.Millisecond)
	before := countRows(t, db, "settings")
	safety, err := bk.Restore(ctx, info.Name, 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if written.Load() == 0 {
		t.Fatal("writers never committed: the test proves nothing")
	}
	if res, err := db.IntegrityCheck(ctx); err != nil || res != "ok" {
		t.Fatalf("live database after restore: %q, %v", res, err)
	}
	after := countRows(t, db, "settings")
	if after < 500 || after >= before+int(written.Load()) {
		t.Fatalf("rows after restore %d (seed 500, before restore %d): the restore did not take", after, before)
	}
	// The pre-restore backup holds what the restore replaced.
	if safety.Reason != ReasonPreRestore {
		t.Fatalf("safety backup %+v", safety)
	}
	fc, err = CheckFile(ctx, filepath.Join(bk.Dir(), safety.Name))
	if err != nil || fc.Integrity != "ok" {
		t.Fatalf("safety backup %+v, %v", fc, err)
	}
	sdb, _ := openPlain(filepath.Join(bk.Dir(), safety.Name), true)
	defer sdb.Close()
	var inSafety int
	sdb.QueryRow(`SELECT count(*) FROM settings`).Scan(&inSafety)
	if inSafety < before {
		t.Fatalf("pre-restore backup has %d rows, the live database had %d", inSafety, before)
	}
}

func TestBackupRotationKeepsNewest(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	bk := NewBackups(db, BackupDir(db.Path))
	base := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)
	var names []string
	for i := 0; i < 5; i++ {
		bk.now = func() time.Time { return base.Add(time.Duration(i) * time.Hour) }
		info, err := bk.Create(ctx, ReasonDaily, 3)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, info.Name)
	}
	l, err := bk.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 3 || l[0].Name != names[4] || l[2].Name != names[2] {
		t.Fatalf("kept %+v, want the newest three of %v", l, names)
	}
	if !bk.Newest().Equal(base.Add(4 * time.Hour)) {
		t.Fatalf("newest %v", bk.Newest())
	}
	// A stray partial file and foreign files are never listed nor deleted.
	os.WriteFile(filepath.Join(bk.Dir(), ".partial-x.db"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(bk.Dir(), "notes.txt"), []byte("x"), 0o600)
	if err := bk.Rotate(1); err != nil {
		t.Fatal(err)
	}
	l, _ = bk.List()
	if len(l) != 1 || l[0].Name != names[4] {
		t.Fatalf("after rotate(1): %+v", l)
	}
	if _, err := os.Stat(filepath.Join(bk.Dir(), "notes.txt")); err != nil {
		t.Fatal("rotation deleted a file that is not a backup")
	}
}

func TestRestoreRefusesDamagedNewerAndUnknown(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	bk := NewBackups(db, BackupDir(db.Path))
	if _, err := bk.Restore(ctx, "../switchboard.db", 7, nil); !errors.Is(err, ErrBackupNotFound) {
		t.Fatalf("path outside the folder: %v", err)
	}
	newer, err := bk.Create(ctx, ReasonManual, 7)
	if err != nil {
		t.Fatal(err)
	}
	ndb, _ := openPlain(filepath.Join(bk.Dir(), newer.Name), false)
	ndb.Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (9999, '9999_future.sql', 1)`)
	ndb.Close()
	db.Exec(`INSERT INTO settings(key, value, updated_at) VALUES ('marker', '1', 1)`)
	_, err = bk.Restore(ctx, newer.Name, 7, nil)
	if !errors.Is(err, ErrBackupRefused) || !strings.Contains(err.Error(), "schema 9999") {
		t.Fatalf("newer backup: %v", err)
	}
	bk.now = func() time.Time { return time.Now().Add(time.Second) }
	damaged, _ := bk.Create(ctx, ReasonManual, 7)
	p := filepath.Join(bk.Dir(), damaged.Name)
	b, _ := os.ReadFile(p)
	for i := 4096; i < len(b); i++ { // scribble over every page after the first
		b[i] = 0x5a
	}
	os.WriteFile(p, b, 0o600)
	if _, err := bk.Restore(ctx, damaged.Name, 7, nil); !errors.Is(err, ErrBackupRefused) {
		t.Fatalf("damaged backup: %v", err)
	}
	if countRows(t, db, "settings") != 1 {
		t.Fatal("a refused restore changed the live database")
	}
	l, _ := bk.List()
	for _, bi := range l {
		if bi.Reason == ReasonPreRestore {
			t.Fatal("a refused restore still wrote a pre-restore backup")
		}
	}
}

// An older backup is migrated forward as it is restored, and prepare sees
// the copy before it goes live.
func TestRestoreMigratesOlderBackupAndRunsPrepare(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	bk := NewBackups(db, BackupDir(db.Path))
	os.MkdirAll(bk.Dir(), 0o700)
	oldName := "switchboard-20250101T000000.000Z-daily.db"
	olderSchema(t, filepath.Join(bk.Dir(), oldName)).Close()
	old := BackupInfo{Name: oldName}
	latest := LatestVersion()
	var sawVersion int
	_, err := bk.Restore(ctx, old.Name, 7, func(ctx context.Context, r *DB) error {
		v, err := r.Version(ctx)
		sawVersion = v
		_, err2 := r.ExecContext(ctx, `INSERT INTO settings(key, value, updated_at) VALUES ('prepared', '1', 1)`)
		return errors.Join(err, err2)
	})
	if err != nil {
		t.Fatal(err)
	}
	if sawVersion != latest {
		t.Fatalf("prepare saw schema %d, want %d", sawVersion, latest)
	}
	var v string
	if err := db.QueryRow(`SELECT value FROM settings WHERE key = 'prepared'`).Scan(&v); err != nil {
		t.Fatalf("prepare's change did not go live: %v", err)
	}
}

func TestOpenBacksUpBeforeMigrating(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "switchboard.db")
	fresh, err := Open(ctx, filepath.Join(t.TempDir(), "fresh.db"))
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := NewBackups(fresh, BackupDir(fresh.Path)).List(); len(l) != 0 {
		t.Fatalf("a new database was backed up: %+v", l)
	}
	fresh.Close()
	older := olderSchema(t, path)
	older.Exec(`INSERT INTO settings(key, value, updated_at) VALUES ('before', '1', 1)`)
	older.Close()
	db, err := Open(ctx, path) // the latest migration is pending
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, _ := NewBackups(db, BackupDir(path)).List()
	if len(l) != 1 || l[0].Reason != ReasonPreMigration {
		t.Fatalf("backups %+v, want one pre-migration", l)
	}
	ms, _ := Migrations()
	before := ms[len(ms)-2].Version // numbers need not be consecutive
	fc, err := CheckFile(ctx, filepath.Join(BackupDir(path), l[0].Name))
	if err != nil || fc.Integrity != "ok" || fc.Version != before {
		t.Fatalf("pre-migration backup %+v, %v (want schema %d)", fc, err, before)
	}
	db.Close()
	db, _ = Open(ctx, path) // nothing pending: no new backup
	l, _ = NewBackups(db, BackupDir(path)).List()
	if len(l) != 1 {
		t.Fatalf("backups after a clean reopen: %+v", l)
	}
}

// olderSchema creates a database at path with every migration but the
// latest applied, as an older Switchboard left it.
func olderSchema(t *testing.T, path string) *DB {
	t.Helper()
	ctx := context.Background()
	if err := createOwnerOnly(path); err != nil {
		t.Fatal(err)
	}
	raw, err := openPlain(path, false)
	if err != nil {
		t.Fatal(err)
	}
	db := &DB{DB: raw, Path: path}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	ms, _ := Migrations()
	for _, m := range ms[:len(ms)-1] {
		if err := db.apply(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// A backup is one self-contained file: reading it (checks, restores) leaves
// no -wal or -shm beside it, and rotation leaves nothing behind.
func TestBackupIsOneFile(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	bk := NewBackups(db, BackupDir(db.Path))
	info, err := bk.Create(ctx, ReasonManual, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CheckFile(ctx, filepath.Join(bk.Dir(), info.Name)); err != nil {
		t.Fatal(err)
	}
	bk.now = func() time.Time { return time.Now().Add(time.Second) }
	if _, err := bk.Restore(ctx, info.Name, 7, nil); err != nil {
		t.Fatal(err)
	}
	if err := bk.Rotate(1); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(bk.Dir())
	if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), "-pre-restore.db") {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("backups folder holds %v, want only the newest backup file", names)
	}
}
