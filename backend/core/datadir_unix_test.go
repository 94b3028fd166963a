//go:build unix

package core

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"switchboard/backend/config"
	"switchboard/backend/store"
)

// pinUmask sets the common 022 umask for the test, so a file created with a
// default mode would be group/world-readable whatever the runner's umask.
func pinUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

func openLogged(t *testing.T, dir string) (*Instance, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	cfg := config.Default()
	cfg.DataDir = dir
	in, err := Open(context.Background(), cfg, Options{Log: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return in, &buf
}

func perm(t *testing.T, path string) fs.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// TestFreshDataDirIsOwnerOnly: everything a first start creates (database,
// WAL, -shm, the fallback key file) is 0600 in a 0700 folder, and there is
// nothing to report.
func TestFreshDataDirIsOwnerOnly(t *testing.T) {
	pinUmask(t)
	dir := filepath.Join(t.TempDir(), "data")
	in, logs := openLogged(t, dir)
	defer in.DB.Close()
	if _, _, err := in.Keys.Create(context.Background(), "laptop", "cli"); err != nil {
		t.Fatal(err)
	}
	if m := perm(t, dir); m != 0o700 {
		t.Errorf("data dir mode %#o, want 0700", m)
	}
	for _, name := range []string{"switchboard.db", "switchboard.db-wal", "switchboard.db-shm", "secret.key"} {
		if m := perm(t, filepath.Join(dir, name)); m != 0o600 {
			t.Errorf("%s mode %#o, want 0600", name, m)
		}
	}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && perm(t, path)&0o077 != 0 {
			t.Errorf("%s is open to other users: %#o", path, perm(t, path))
		}
		return nil
	})
	if strings.Contains(logs.String(), "owner-only") {
		t.Errorf("fresh dir reported fixes: %s", logs)
	}
}

// TestExistingDataDirIsTightened: a data dir left by an older version (or a
// copy that lost its modes) is fixed on start with one log line naming what
// changed; a file Switchboard does not own is left alone.
func TestExistingDataDirIsTightened(t *testing.T) {
	pinUmask(t)
	dir := filepath.Join(t.TempDir(), "data")
	in, _ := openLogged(t, dir)
	in.DB.Close()

	db := filepath.Join(dir, "switchboard.db")
	codex := filepath.Join(dir, "backups", "clitools", "codex")
	backup := filepath.Join(codex, "20250101T000000.000000000Z-config.toml")
	if err := os.MkdirAll(codex, 0o755); err != nil {
		t.Fatal(err)
	}
	for path, data := range map[string]string{backup: "model = 'x'\n", filepath.Join(dir, "clitools-state.json"): "{}\n",
		filepath.Join(dir, "notes.txt"): "mine\n"} {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for path, mode := range map[string]fs.FileMode{dir: 0o755, filepath.Join(dir, "backups"): 0o755,
		filepath.Join(dir, "backups", "clitools"): 0o755, db: 0o644, filepath.Join(dir, "secret.key"): 0o644} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	// An older process still holds the database: SQLite gives the -wal and
	// -shm it creates the main file's (now too open) mode.
	old, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if m := perm(t, db+"-wal"); m != 0o644 {
		t.Fatalf("setup: -wal mode %#o, want the db's 0644", m)
	}

	in, logs := openLogged(t, dir)
	for _, path := range []string{dir, filepath.Join(dir, "backups"), filepath.Join(dir, "backups", "clitools"), codex} {
		if m := perm(t, path); m != 0o700 {
			t.Errorf("%s mode %#o, want 0700", path, m)
		}
	}
	for _, path := range []string{db, db + "-wal", db + "-shm", filepath.Join(dir, "secret.key"),
		filepath.Join(dir, "clitools-state.json"), backup} {
		if m := perm(t, path); m != 0o600 {
			t.Errorf("%s mode %#o, want 0600", path, m)
		}
	}
	if m := perm(t, filepath.Join(dir, "notes.txt")); m != 0o644 {
		t.Errorf("a file Switchboard does not own was changed to %#o", m)
	}
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "owner-only") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("want one log line about the fixes, got %d:\n%s", len(lines), logs)
	}
	t.Log(lines[0])
	for _, want := range []string{"data dir 0755→0700", "switchboard.db 0644→0600", "switchboard.db-wal 0644→0600",
		"switchboard.db-shm 0644→0600", "secret.key 0644→0600", "clitools-state.json 0644→0600",
		"backups/clitools/codex/20250101T000000.000000000Z-config.toml 0644→0600"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("log line does not name %q: %s", want, lines[0])
		}
	}
	in.DB.Close()
	old.Close()

	in, logs = openLogged(t, dir)
	in.DB.Close()
	if strings.Contains(logs.String(), "owner-only") {
		t.Errorf("second start reported fixes again: %s", logs)
	}
}
