package core

import (
	"runtime/debug"
)

// Rest gives memory back to the system when the app has gone quiet (the
// desktop calls it once start-up has settled and when the window is
// hidden): the garbage start-up and past requests left is collected and
// returned at once, rather than over minutes by the runtime's scavenger,
// and the pages of the executable that are not in use are handed back
// (releaseCode). Nothing is lost: what is needed again is read again.
// It returns how many bytes of code were handed back (0 where the system
// offers no way to).
func (in *Instance) Rest() int64 {
	debug.FreeOSMemory()
	return releaseCode()
}
