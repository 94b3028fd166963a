package gateway

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/backend/internal/jsonscan"
)

// Options.Quiet runs once large bodies have come and gone and nothing has
// been held for quietFor; small bodies never arm it, a body held again
// during the wait puts it off, and each run starts a new count.
func TestQuietAfterLargeBodies(t *testing.T) {
	oldBytes, oldFor := restAfterBytes, quietFor
	restAfterBytes, quietFor = 1000, 40*time.Millisecond
	t.Cleanup(func() { restAfterBytes, quietFor = oldBytes, oldFor })
	calls := make(chan struct{}, 8)
	var shelvedAtQuiet atomic.Int64
	var b *bodyBudget
	g := New(Options{Quiet: func() {
		shelvedAtQuiet.Store(b.shelf.bytes.Load())
		calls <- struct{}{}
	}})
	b = &g.bodies
	called := func(within time.Duration) bool {
		select {
		case <-calls:
			return true
		case <-time.After(within):
			return false
		}
	}
	hold := func(n int64) { // one request's body, start to end
		if !b.reserve(n) {
			t.Fatal("budget refused")
		}
		b.release(n)
	}
	for range 5 {
		hold(100)
	}
	if called(150 * time.Millisecond) {
		t.Fatal("small bodies armed the quiet hook")
	}
	b.reserve(600) // two large requests at once
	b.reserve(600)
	b.release(600)
	if called(150 * time.Millisecond) {
		t.Fatal("quiet while a body is still held")
	}
	b.release(600)
	b.reserve(10) // busy again before the wait ends
	if called(150 * time.Millisecond) {
		t.Fatal("quiet while a body is held again")
	}
	b.shelf.lend(minLentBody).Release() // a request buffer kept for the next request
	b.release(10)
	if !called(2 * time.Second) {
		t.Fatal("no quiet call after the large bodies")
	}
	if n := shelvedAtQuiet.Load(); n != 0 {
		t.Fatalf("%d bytes of request buffers still kept when quiet ran", n)
	}
	if called(150 * time.Millisecond) {
		t.Fatal("quiet ran twice for one quiet spell")
	}
	hold(100)
	if called(150 * time.Millisecond) {
		t.Fatal("the count was not started anew after the quiet call")
	}
	b.shelf.lend(minLentBody).Release() // one agent turn, its buffer kept for the next
	hold(100)
	if !called(2 * time.Second) {
		t.Fatal("no quiet call while request buffers are kept")
	}
	// A body remembered for the next turn's validation arms quiet too, and
	// quiet forgets it.
	turn := `"` + strings.Repeat("turn text ", 1000) + `"`
	body := []byte(`{"messages":[` + strings.Repeat(turn+",", minLentBody/len(turn)) + turn + `]}`)
	var marks bodyMarks
	if !new(jsonscan.Walker).ScanPrefixed(&b.prefixes, body, nil, &marks) || b.prefixes.Len() != 1 {
		t.Fatal("the body was not remembered")
	}
	hold(100)
	if !called(2 * time.Second) {
		t.Fatal("no quiet call while a body is remembered")
	}
	if b.prefixes.Len() != 0 || shelvedAtQuiet.Load() != 0 {
		t.Fatalf("quiet kept %d remembered bodies (%d bytes shelved)", b.prefixes.Len(), shelvedAtQuiet.Load())
	}
}
