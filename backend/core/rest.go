package core

import (
	"net/http"
	"runtime/debug"
	"sync"
	"time"
)

// Rest gives memory back to the system when the app has gone quiet (the
// desktop calls it once start-up has settled and when the window is
// hidden; the headless server when its traffic stops, RestWhenIdle): the
// garbage start-up and past requests left is collected and returned at
// once, rather than over minutes by the runtime's scavenger, and the pages
// of the executable that are not in use are handed back (releaseCode).
// Nothing is lost: what is needed again is read again, a page at a time
// while the app rests, as before once a request comes (wakeOnRequest). It
// returns how many bytes of code were handed back (0 where the system
// offers no way to).
func (in *Instance) Rest() int64 {
	debug.FreeOSMemory()
	n := releaseCode()
	in.resting.Store(true)
	return n
}

// wakeOnRequest undoes Rest's page-at-a-time reading when gateway traffic
// comes back: a burst of requests runs code Rest handed back, and reading
// it ahead in large pieces costs less than a fault per page. It also starts
// the watch for the traffic's end (RestWhenIdle). Only the first request
// after a rest does either.
func (in *Instance) wakeOnRequest(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if in.resting.Load() && in.resting.CompareAndSwap(true, false) {
			wakeCode()
			in.idle.wake(in)
		}
		h.ServeHTTP(w, r)
	})
}

// The headless server rests by itself (RestWhenIdle): once start-up has
// settled, and again each time gateway traffic woke it and then stopped.
// It looks at its traffic only while awake; at rest no timer runs.
var (
	// quietRest is how long a woken server watches for its traffic to stop
	// between looks: it rests at the first look that finds no request begun
	// since the last one and none in flight, 30 to 60 s after the last.
	quietRest = 30 * time.Second
	// settleLook is how long after the first look at start-up the second
	// comes: a server that took no request in between rests then (the
	// requests of its start, a health check or a first model list, are
	// over); one that did waits for its traffic to stop, as above.
	settleLook = 250 * time.Millisecond
)

// idleRest is the state of the rests that follow traffic (RestWhenIdle,
// RestAfterTraffic).
type idleRest struct {
	mu      sync.Mutex
	on      bool        // traffic that wakes the instance is watched for its end
	stopped bool        // shutting down
	settled bool        // the first look after start-up was taken
	timer   *time.Timer // the next look, while awake
	seen    uint64      // requests begun at the last look (usage.Traffic.Idle)
}

// RestWhenIdle makes the instance rest by itself: about settle after now
// (once start-up is over, unless requests are coming), then each time
// gateway requests woke it and have stopped (quietRest). The desktop does
// not call it: it rests when its window is hidden, and after traffic only
// while it is (RestAfterTraffic).
func (in *Instance) RestWhenIdle(settle time.Duration) {
	r := &in.idle
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on || r.stopped {
		return
	}
	r.on = true
	r.lookAfter(in, settle)
}

// RestAfterTraffic turns on or off RestWhenIdle's rests after traffic,
// without its start-up look: the desktop has them while its window is
// hidden, so an app serving coding agents from the tray all day rests after
// each burst, as the headless server does, and not while someone uses its
// window. Turning them on does not rest by itself: the traffic that next
// wakes the instance from a rest is watched for its end.
func (in *Instance) RestAfterTraffic(on bool) {
	r := &in.idle
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped || r.on == on {
		return
	}
	r.on, r.settled = on, true
	if !on && r.timer != nil {
		r.timer.Stop()
	}
	in.log.Info("rests after gateway traffic", "on", on)
}

// look rests when no gateway request began since the last look and none is
// in flight, and otherwise looks again later.
func (r *idleRest) look(in *Instance) {
	r.mu.Lock()
	if r.stopped || !r.on {
		r.mu.Unlock()
		return
	}
	var idle bool
	idle, r.seen = in.Recorder.Traffic().Idle(r.seen)
	if !r.settled || !idle {
		next := quietRest
		if !r.settled { // start-up's first look only counts what came before it
			next, r.settled = settleLook, true
		}
		r.lookAfter(in, next)
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	code := in.Rest() // the next request wakes it (wakeOnRequest), and the watch starts again
	in.log.Info("at rest: memory handed back", "code_mib", code>>20)
}

// wake starts watching for the traffic that woke the instance to stop.
func (r *idleRest) wake(in *Instance) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.on || r.stopped {
		return
	}
	_, r.seen = in.Recorder.Traffic().Idle(r.seen)
	r.lookAfter(in, quietRest)
}

// lookAfter schedules the next look in d (under r.mu). The timer is made
// by the first, so an instance that never rests after traffic has none.
func (r *idleRest) lookAfter(in *Instance, d time.Duration) {
	if r.timer == nil {
		r.timer = time.AfterFunc(d, func() { r.look(in) })
		return
	}
	r.timer.Reset(d)
}

// stop ends the looks (shutdown).
func (r *idleRest) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if r.timer != nil {
		r.timer.Stop()
	}
}
