//go:build !linux

package core

// releaseCode has no portable way to hand code pages back: the runtime's
// memory is still returned (Rest).
func releaseCode() int64 { return 0 }

// wakeCode has nothing to undo where releaseCode does nothing.
func wakeCode() {}
