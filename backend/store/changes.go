package store

import (
	"context"
	"path/filepath"
	"time"
)

// Changes signals when the database files may have changed, written by this
// process or another one (`switchboard login` in a terminal, a key revoked
// with the CLI), so that what another process stored is picked up without
// asking the database every few seconds: an app resting in the tray is not
// woken for nothing. Where the system reports file changes (inotify on
// Linux) a signal follows each burst of writes, at most one per
// changesGap; elsewhere, or when that is
// unavailable, the channel ticks every poll. Signals coalesce (the channel
// holds one); it is closed when ctx ends.
func (s *DB) Changes(ctx context.Context, poll time.Duration) <-chan struct{} {
	out := make(chan struct{}, 1)
	dir, name := filepath.Split(s.Path)
	if dir == "" {
		dir = "."
	}
	if noFileEvents || !watchFiles(ctx, dir, []string{name, name + "-wal"}, out) {
		go tick(ctx, poll, out)
	}
	return out
}

// changesGap is the least time between two signals from file events.
const changesGap = time.Second

// noFileEvents turns file events off (tests of the polling path).
var noFileEvents = false

// tick is Changes without file events.
func tick(ctx context.Context, every time.Duration, out chan struct{}) {
	defer close(out)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			signal(out)
		}
	}
}

// signal sends without waiting: a signal already waiting stands for this one.
func signal(out chan struct{}) {
	select {
	case out <- struct{}{}:
	default:
	}
}
