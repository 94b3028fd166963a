package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"time"
)

// Backup reasons, part of each backup's file name.
const (
	ReasonDaily        = "daily"
	ReasonManual       = "manual"
	ReasonPreMigration = "pre-migration"
	ReasonPreImport    = "pre-import"
	ReasonPreRestore   = "pre-restore"
)

// DefaultBackupKeep is how many backups are kept unless the user says.
const DefaultBackupKeep = 7

// MaxBackupKeep bounds the setting (each backup is a whole database).
const MaxBackupKeep = 100

// ErrBackupNotFound means no backup has that name.
var ErrBackupNotFound = errors.New("store: no such backup")

// ErrBackupRefused marks a backup that cannot be restored (damaged, or made
// by a newer Switchboard); its message says why.
var ErrBackupRefused = errors.New("store: backup refused")

// backupName is switchboard-<UTC time to the millisecond>-<reason>.db.
var backupName = regexp.MustCompile(`^switchboard-(\d{8}T\d{6}\.\d{3}Z)-([a-z-]+)\.db$`)

const backupTimeLayout = "20060102T150405.000Z"

// BackupInfo describes one backup file.
type BackupInfo struct {
	Name      string `json:"name"`
	Reason    string `json:"reason"`
	CreatedAt string `json:"createdAt"` // RFC 3339
	Size      int64  `json:"size"`
	created   time.Time
}

// Backups keeps backups of one database in one folder, newest kept.
type Backups struct {
	db  *DB
	dir string
	now func() time.Time
	mu  sync.Mutex // one backup or restore at a time
}

// NewBackups keeps db's backups in dir (created 0700 on first use).
func NewBackups(db *DB, dir string) *Backups {
	return &Backups{db: db, dir: dir, now: time.Now}
}

// BackupDir is where the backups of the database at path live.
func BackupDir(dbPath string) string { return filepath.Join(filepath.Dir(dbPath), "backups") }

// Dir is the backups folder.
func (b *Backups) Dir() string { return b.dir }

// Create writes a backup now and then keeps the newest keep (the new one
// always stays). keep <= 0 keeps DefaultBackupKeep.
func (b *Backups) Create(ctx context.Context, reason string, keep int) (BackupInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	info, err := writeBackup(ctx, b.db, b.dir, reason, b.now())
	if err != nil {
		return info, err
	}
	return info, b.rotateLocked(keep)
}

// writeBackup copies db into dir under a new name; a partial file never
// carries a backup's name (it is written under a temporary one first).
func writeBackup(ctx context.Context, db *DB, dir, reason string, now time.Time) (BackupInfo, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return BackupInfo{}, fmt.Errorf("store: backups folder: %w", err)
	}
	now = now.UTC()
	name := "switchboard-" + now.Format(backupTimeLayout) + "-" + reason + ".db"
	final := filepath.Join(dir, name)
	if _, err := os.Stat(final); err == nil { // two in one millisecond
		now = now.Add(time.Millisecond)
		name = "switchboard-" + now.Format(backupTimeLayout) + "-" + reason + ".db"
		final = filepath.Join(dir, name)
	}
	tmp := filepath.Join(dir, ".partial-"+randHex()+".db")
	if err := db.BackupTo(ctx, tmp); err != nil {
		removeDB(tmp)
		return BackupInfo{}, err
	}
	if err := os.Rename(tmp, final); err != nil {
		removeDB(tmp)
		return BackupInfo{}, fmt.Errorf("store: backup: %w", err)
	}
	st, err := os.Stat(final)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("store: backup: %w", err)
	}
	return BackupInfo{Name: name, Reason: reason, CreatedAt: now.Format(time.RFC3339), Size: st.Size(), created: now}, nil
}

func randHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// removeDB deletes a database file and its companions.
func removeDB(path string) {
	for _, f := range Files(path) {
		_ = os.Remove(f)
	}
}

// List returns the backups, newest first.
func (b *Backups) List() ([]BackupInfo, error) {
	entries, err := os.ReadDir(b.dir)
	if errors.Is(err, os.ErrNotExist) {
		return []BackupInfo{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: backups: %w", err)
	}
	out := []BackupInfo{}
	for _, e := range entries {
		m := backupName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		t, err := time.Parse(backupTimeLayout, m[1])
		if err != nil {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, BackupInfo{Name: e.Name(), Reason: m[2], CreatedAt: t.Format(time.RFC3339), Size: fi.Size(), created: t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].created.After(out[j].created) })
	return out, nil
}

// Newest is the time of the newest backup (zero when there is none).
func (b *Backups) Newest() time.Time {
	l, err := b.List()
	if err != nil || len(l) == 0 {
		return time.Time{}
	}
	return l[0].created
}

// Rotate deletes all but the newest keep backups.
func (b *Backups) Rotate(keep int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rotateLocked(keep)
}

func (b *Backups) rotateLocked(keep int) error { return b.rotateKeeping(keep) }

// Path returns the file of the backup called name; only names List gives
// are accepted (no path can be smuggled in).
func (b *Backups) Path(name string) (string, error) {
	if !backupName.MatchString(name) {
		return "", fmt.Errorf("%w: %q", ErrBackupNotFound, name)
	}
	p := filepath.Join(b.dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w: %q", ErrBackupNotFound, name)
	}
	return p, nil
}

// Restore replaces the live database with the backup called name:
//  1. the backup is copied to a temporary file, which must pass
//     integrity_check and be of this build's schema or older (then it is
//     migrated forward);
//  2. prepare, when given, adjusts that copy against the live database
//     (the sign-ins keep their newer tokens: the vendors rotate them);
//  3. the live database is backed up (reason pre-restore), so the restore
//     can itself be undone;
//  4. the copy's pages replace the live ones in one transaction.
//
// It returns the pre-restore backup. The caller reloads what it caches.
func (b *Backups) Restore(ctx context.Context, name string, keep int, prepare func(ctx context.Context, restored *DB) error) (BackupInfo, error) {
	src, err := b.Path(name)
	if err != nil {
		return BackupInfo{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	tmp := filepath.Join(b.dir, ".restore-"+randHex()+".db")
	defer removeDB(tmp)
	if err := b.prepareCopy(ctx, src, tmp, prepare); err != nil {
		return BackupInfo{}, err
	}
	safety, err := writeBackup(ctx, b.db, b.dir, ReasonPreRestore, b.now())
	if err != nil {
		return BackupInfo{}, fmt.Errorf("store: restore: the current database could not be backed up first, so nothing was changed: %w", err)
	}
	if err := b.db.RestoreFrom(ctx, tmp); err != nil {
		return safety, fmt.Errorf("store: restore: %w", err)
	}
	// The backup restored and the one just made stay whatever keep says.
	return safety, b.rotateKeeping(keep, name, safety.Name)
}

// prepareCopy makes tmp a checked, migrated copy of src.
func (b *Backups) prepareCopy(ctx context.Context, src, tmp string, prepare func(context.Context, *DB) error) error {
	srcDB, err := openPlain(src, true)
	if err != nil {
		return err
	}
	if err := createOwnerOnly(tmp); err != nil {
		srcDB.Close()
		return err
	}
	tmpDB, err := openPlain(tmp, false)
	if err != nil {
		srcDB.Close()
		return err
	}
	err = copyPages(ctx, tmpDB, srcDB)
	srcDB.Close()
	tmpDB.Close()
	if err != nil {
		return fmt.Errorf("%w: the backup cannot be read: %v", ErrBackupRefused, err)
	}
	fc, err := CheckFile(ctx, tmp)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBackupRefused, err)
	}
	if fc.Integrity != "ok" {
		return fmt.Errorf("%w: the backup is damaged (integrity check: %s)", ErrBackupRefused, fc.Integrity)
	}
	if latest := LatestVersion(); fc.Version > latest {
		return fmt.Errorf("%w: the backup was made by a newer Switchboard (database schema %d; this one knows up to %d)", ErrBackupRefused, fc.Version, latest)
	}
	restored, err := open(ctx, tmp, false)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBackupRefused, err)
	}
	if prepare != nil {
		err = prepare(ctx, restored)
	}
	if cerr := restored.Close(); err == nil {
		err = cerr
	}
	return err
}

// rotateKeeping rotates, never deleting the named backups.
func (b *Backups) rotateKeeping(keep int, names ...string) error {
	if keep <= 0 {
		keep = DefaultBackupKeep
	}
	l, err := b.List()
	if err != nil {
		return err
	}
	pinned := map[string]bool{}
	for _, n := range names {
		pinned[n] = true
	}
	kept := 0
	var errs []error
	for _, bi := range l {
		if pinned[bi.Name] || kept < keep {
			kept++
			continue
		}
		if err := os.Remove(filepath.Join(b.dir, bi.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		removeDB(filepath.Join(b.dir, bi.Name)) // companions an older build may have left
	}
	return errors.Join(errs...)
}
