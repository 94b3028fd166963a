package store

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Giving space back. SQLite reuses the pages deleted rows free but never
// shrinks its file on its own, so a log trimmed by retention (or a lower
// size cap) would keep its largest size on disk. Databases are created
// with auto_vacuum=INCREMENTAL (Open), which lets Reclaim return free pages
// in small steps beside live traffic; a database created before that needs
// one full VACUUM to switch (convertAtOpen), done at open while nothing
// else writes.

// autoVacuumIncremental is PRAGMA auto_vacuum's value for INCREMENTAL.
const autoVacuumIncremental = 2

// Pages reports the database's page size, page count and free pages.
func (s *DB) Pages(ctx context.Context) (size, count, free int64, err error) {
	for _, p := range []struct {
		q   string
		dst *int64
	}{{"PRAGMA page_size", &size}, {"PRAGMA page_count", &count}, {"PRAGMA freelist_count", &free}} {
		if err = s.QueryRowContext(ctx, p.q).Scan(p.dst); err != nil {
			return 0, 0, 0, fmt.Errorf("store: %s: %w", p.q, err)
		}
	}
	return size, count, free, nil
}

// Incremental reports whether free pages can be given back in steps.
func (s *DB) Incremental(ctx context.Context) (bool, error) {
	var mode int
	if err := s.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&mode); err != nil {
		return false, fmt.Errorf("store: auto_vacuum: %w", err)
	}
	return mode == autoVacuumIncremental, nil
}

// Reclaim gives the database's free pages back to the file system once
// they add up to minBytes (fewer are cheaper to keep for the next rows),
// step pages per write transaction, calling pause (with how long the step
// took) between steps so other writers get their turn; then it truncates
// the write-ahead log, where the shrink lands first. It returns how many
// bytes the file gave back. On a database without incremental vacuum it
// does nothing.
func (s *DB) Reclaim(ctx context.Context, minBytes int64, step int, pause func(time.Duration) error) (int64, error) {
	if ok, err := s.Incremental(ctx); err != nil || !ok {
		return 0, err
	}
	pageSize, _, free, err := s.Pages(ctx)
	if err != nil || free == 0 || free*pageSize < minBytes {
		return 0, err
	}
	var given int64
	for free > 0 {
		t0 := time.Now()
		// Each row the pragma yields is one page moved off the free list:
		// it must be stepped to the end (Exec would free one page).
		rows, err := s.QueryContext(ctx, fmt.Sprintf("PRAGMA incremental_vacuum(%d)", step))
		if err != nil {
			return given, fmt.Errorf("store: incremental_vacuum: %w", err)
		}
		for rows.Next() {
		}
		if err := rows.Close(); err != nil {
			return given, fmt.Errorf("store: incremental_vacuum: %w", err)
		}
		var left int64
		if err := s.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&left); err != nil {
			return given, fmt.Errorf("store: freelist_count: %w", err)
		}
		if left >= free { // nothing moved: stop rather than spin
			break
		}
		given += (free - left) * pageSize
		free = left
		if free > 0 {
			if err := pause(time.Since(t0)); err != nil {
				return given, err
			}
		}
	}
	return given, s.truncateWAL(ctx)
}

// truncateWAL checkpoints the write-ahead log into the database and
// empties it, so both files end at their real size.
func (s *DB) truncateWAL(ctx context.Context) error {
	if _, err := s.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	return nil
}

// convertSmallBytes: a database up to this size is switched to incremental
// vacuum at open whatever its free space (a VACUUM of it takes well under
// a second). A variable for tests.
var convertSmallBytes int64 = 64 << 20

// convertAtOpen switches a database created before incremental vacuum
// with one VACUUM (which also gives back its free pages), at open, before
// anything else writes to it. A large database is switched only when a
// quarter of it is free space, so a start is not made slower for little.
func (s *DB) convertAtOpen(ctx context.Context) (bool, error) {
	if ok, err := s.Incremental(ctx); err != nil || ok {
		return false, err
	}
	pageSize, count, free, err := s.Pages(ctx)
	if err != nil {
		return false, err
	}
	if size := pageSize * count; size > convertSmallBytes && free*4 < count {
		return false, nil
	}
	// The connection's auto_vacuum setting (Open's DSN) is what VACUUM
	// writes into the rebuilt file.
	if _, err := s.ExecContext(ctx, "PRAGMA auto_vacuum = INCREMENTAL"); err != nil {
		return false, fmt.Errorf("store: auto_vacuum: %w", err)
	}
	if _, err := s.ExecContext(ctx, "VACUUM"); err != nil {
		return false, fmt.Errorf("store: vacuum: %w", err)
	}
	return true, s.truncateWAL(ctx)
}

// fileSize is the size of the database file and its write-ahead log.
func fileSize(path string) int64 {
	var n int64
	for _, f := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}
