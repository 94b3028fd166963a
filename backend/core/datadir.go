package core

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"switchboard/backend/clitools"
	"switchboard/backend/secret"
	"switchboard/backend/store"
)

// secureDataDir makes the data directory and what Switchboard keeps there
// owner-only: the database holds key hashes, sealed secrets and
// request logs, secret.key unseals them, backups hold other tools' configs.
// New files are created owner-only by the code that writes them; this fixes
// what an older version or a copy (cp without -p, an unpacked archive) left
// open. It touches only the names Switchboard owns, never the rest of a
// --data-dir the user pointed elsewhere (a project folder, say).
//
// It returns what it fixed ("switchboard.db 0644→0600") and, joined, what it
// could not fix, which the caller reports without refusing to start.
func secureDataDir(dir, dbPath string) ([]string, error) {
	if runtime.GOOS == "windows" {
		return nil, nil // no unix modes there; the profile folder's ACL applies
	}
	var fixed []string
	var errs []error
	tighten := func(path string) {
		st, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		if err != nil {
			errs = append(errs, err)
			return
		}
		// chmod follows symlinks: leave a link's target to its owner.
		if st.Mode()&fs.ModeSymlink != 0 || st.Mode().Perm()&0o077 == 0 {
			return
		}
		want := st.Mode().Perm() &^ 0o077
		if err := os.Chmod(path, want); err != nil {
			errs = append(errs, fmt.Errorf("core: tighten %s: %w", path, err))
			return
		}
		// Some filesystems (vfat, drvfs without metadata) accept chmod and
		// keep the old mode; say so rather than claim a fix.
		if now, err := os.Stat(path); err == nil && now.Mode().Perm()&0o077 != 0 {
			errs = append(errs, fmt.Errorf("core: tighten %s: mode stays %#o (the filesystem ignores unix modes)", path, now.Mode().Perm()))
			return
		}
		name, err := filepath.Rel(dir, path)
		if err != nil || name == "." {
			name = "data dir"
		}
		fixed = append(fixed, fmt.Sprintf("%s %#o→%#o", name, st.Mode().Perm(), want))
	}
	tighten(dir)
	for _, f := range store.Files(dbPath) {
		tighten(f)
	}
	tighten(filepath.Join(dir, secret.KeyFileName))
	tighten(filepath.Join(dir, clitools.StateFileName))
	backups := filepath.Join(dir, clitools.BackupsDir)
	err := filepath.WalkDir(backups, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == backups {
			return nil
		}
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		tighten(path)
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return fixed, errors.Join(errs...)
}
