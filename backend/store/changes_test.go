package store

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// waitSignal reports whether ch signals within d (a closed channel counts).
func waitSignal(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

// A write by another connection (another process, to the file system) is
// signalled at once, without polling; reads and other files in the
// directory are not.
func TestChangesFollowTheFiles(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SKIP: file events are used on Linux only; elsewhere Changes polls (TestChangesPoll)")
	}
	path := filepath.Join(t.TempDir(), "switchboard.db")
	here, other := openAt(t, path), openAt(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	ch := here.Changes(ctx, time.Hour)          // no polling within the test
	for waitSignal(ch, 1500*time.Millisecond) { // past changesGap: nothing left over
	}
	var n int
	if err := here.QueryRow(`SELECT count(*) FROM sqlite_master`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if waitSignal(ch, 300*time.Millisecond) {
		t.Fatal("a read or another file signalled a change")
	}
	if _, err := other.Exec(`CREATE TABLE from_elsewhere (x INTEGER); INSERT INTO from_elsewhere VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	if !waitSignal(ch, 5*time.Second) {
		t.Fatal("a write by another connection was not signalled")
	}
	cancel()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("the channel stayed open after ctx ended")
		}
	}
}

// Without file events the channel ticks every poll, and closes with ctx.
func TestChangesPoll(t *testing.T) {
	noFileEvents = true
	t.Cleanup(func() { noFileEvents = false })
	db := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := db.Changes(ctx, 20*time.Millisecond)
	for i := 0; i < 3; i++ {
		if !waitSignal(ch, 2*time.Second) {
			t.Fatalf("tick %d missing", i)
		}
	}
	cancel()
	for range ch {
	}
}
