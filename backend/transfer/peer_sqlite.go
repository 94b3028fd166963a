package transfer

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// openCopy copies a SQLite database (with its -wal, whose committed pages
// may not be in the main file yet) to a temporary folder and opens the
// copy: the other tool's files are only read, and no lock, -shm or
// checkpoint touches them.
func openCopy(file string) (*sql.DB, func(), error) {
	if _, err := os.Stat(file); err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "switchboard-import-")
	if err != nil {
		return nil, nil, err
	}
	done := func() { os.RemoveAll(dir) }
	dst := filepath.Join(dir, "copy.db")
	if err := copyFile(file, dst); err != nil {
		done()
		return nil, nil, err
	}
	if _, err := os.Stat(file + "-wal"); err == nil {
		if err := copyFile(file+"-wal", dst+"-wal"); err != nil {
			done()
			return nil, nil, err
		}
	}
	db, err := sql.Open("sqlite3", "file:"+dst+"?_busy_timeout=5000")
	if err != nil {
		done()
		return nil, nil, err
	}
	db.SetMaxOpenConns(1)
	var ok string
	if err := db.QueryRow(`PRAGMA quick_check`).Scan(&ok); err != nil || ok != "ok" {
		db.Close()
		done()
		if err == nil {
			err = fmt.Errorf("integrity check: %s", ok)
		}
		return nil, nil, fmt.Errorf("not a readable SQLite database: %v", err)
	}
	return db, func() { db.Close(); done() }, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, io.LimitReader(in, maxPeerFile*16)); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
