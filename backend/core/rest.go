package core

import (
	"net/http"
	"runtime/debug"
)

// Rest gives memory back to the system when the app has gone quiet (the
// desktop calls it once start-up has settled and when the window is
// hidden): the garbage start-up and past requests left is collected and
// returned at once, rather than over minutes by the runtime's scavenger,
// and the pages of the executable that are not in use are handed back
// (releaseCode). Nothing is lost: what is needed again is read again, a
// page at a time while the app rests, as before once a request comes
// (wakeOnRequest). It returns how many bytes of code were handed back (0
// where the system offers no way to).
func (in *Instance) Rest() int64 {
	debug.FreeOSMemory()
	n := releaseCode()
	if n > 0 {
		in.resting.Store(true)
	}
	return n
}

// wakeOnRequest undoes Rest's page-at-a-time reading when gateway traffic
// comes back: a burst of requests runs code Rest handed back, and reading
// it ahead in large pieces costs less than a fault per page.
func (in *Instance) wakeOnRequest(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if in.resting.Load() && in.resting.CompareAndSwap(true, false) {
			wakeCode()
		}
		h.ServeHTTP(w, r)
	})
}
