package store

import (
	"bytes"
	"context"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// watchFiles signals on out when a file named in names, in dir, is written,
// created or replaced, and reports whether the watch is running. The
// directory is watched rather than the files: SQLite creates and removes
// the -wal file as connections come and go.
func watchFiles(ctx context.Context, dir string, names []string, out chan struct{}) bool {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return false
	}
	const mask = unix.IN_MODIFY | unix.IN_CLOSE_WRITE | unix.IN_CREATE | unix.IN_MOVED_TO
	if _, err := unix.InotifyAddWatch(fd, dir, mask); err != nil {
		unix.Close(fd)
		return false
	}
	// Non-blocking, so reads wait in the runtime's poller, not on a thread.
	f := os.NewFile(uintptr(fd), "inotify")
	go func() {
		<-ctx.Done()
		f.Close() // ends the read below
	}()
	go func() {
		defer close(out)
		buf := make([]byte, 16<<10)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			if touches(buf[:n], names) {
				signal(out)
				// Our own writes come in streams while requests are served:
				// what follows within the gap is read (and coalesced) after it.
				select {
				case <-ctx.Done():
				case <-time.After(changesGap):
				}
			}
		}
	}()
	return true
}

// touches reports whether any event in b (struct inotify_event records)
// names one of names.
func touches(b []byte, names []string) bool {
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		if ev.Mask&unix.IN_Q_OVERFLOW != 0 { // events were lost: any of them may be ours
			return true
		}
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(b) {
			return false
		}
		name := b[unix.SizeofInotifyEvent:end]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i] // the name is padded with NULs
		}
		for _, n := range names {
			if string(name) == n {
				return true
			}
		}
		b = b[end:]
	}
	return false
}
