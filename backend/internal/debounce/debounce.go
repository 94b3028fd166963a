// Package debounce batches change signals into saves: the in-memory state
// that must survive a crash (cooldowns, quota windows) is written within a
// short delay of a change, once per burst, and nothing runs while nothing
// changes.
package debounce

import (
	"context"
	"time"
)

// SaveTimeout bounds one save (it runs past the caller's cancellation so
// the last one at shutdown completes).
const SaveTimeout = 10 * time.Second

// Saves calls save after each change signalled on changed, batching the
// signals of delay into one call, until ctx ends; a change pending when ctx
// ends is saved once more. It sleeps while nothing changes (no timer runs).
func Saves(ctx context.Context, changed <-chan struct{}, delay time.Duration, save func(context.Context)) {
	run := func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), SaveTimeout)
		defer cancel()
		save(sctx)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			run()
			return
		case <-t.C:
		}
		run()
	}
}
