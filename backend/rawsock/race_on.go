//go:build race && linux

package rawsock

import (
	"runtime"
	"syscall"
	"unsafe"
)

// The race detector learns which memory the kernel reads and writes, and
// the order a socket imposes between its writer and its reader, from the
// syscall package's wrappers; raw calls bypass them. So race builds mark the
// buffers here, and order each raw call against every other socket call in
// the process the way syscall does: a zero-length read or write through
// syscall itself acquires or releases its ordering (it moves no data, so the
// connection is unchanged).

func raceAfterRead(fd uintptr, p []byte) {
	if len(p) > 0 {
		runtime.RaceWriteRange(unsafe.Pointer(&p[0]), len(p))
	}
	_, _ = syscall.Read(int(fd), nil)
}

func raceBeforeWrite(fd uintptr, bufs [][]byte) {
	_, _ = syscall.Write(int(fd), nil)
	for _, b := range bufs {
		if len(b) > 0 {
			runtime.RaceReadRange(unsafe.Pointer(&b[0]), len(b))
		}
	}
}
