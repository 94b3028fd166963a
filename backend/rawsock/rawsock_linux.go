//go:build linux

package rawsock

import (
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Wrap returns c with raw reads and writes when it is a TCP connection,
// else c itself.
func Wrap(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	rw := &Conn{TCPConn: tc, raw: rc}
	// The poller takes a function; made once here, with the call's
	// arguments in rd and wr, a read or write allocates nothing.
	rw.readFn, rw.writeFn = rw.readOnce, rw.writeOnce
	return rw
}

// Conn is a TCP connection whose Read, Write and WriteBuffers copy with raw
// system calls (see the package comment). Everything else is the
// *net.TCPConn's.
type Conn struct {
	*net.TCPConn
	raw syscall.RawConn

	rmu    sync.Mutex // one Read at a time uses rd
	rd     reading
	readFn func(fd uintptr) bool

	wmu     sync.Mutex // one write at a time uses wr
	wr      writing
	writeFn func(fd uintptr) bool

	// Held writes (Hold), under wmu. holding is read without the lock by
	// Read, which ends the hold.
	holding atomic.Bool
	held    *[]byte     // the kept bytes (from heldBufs while any are kept)
	heldErr error       // a held send failed: later writes fail the same way
	timer   *time.Timer // SendWithin's, made once
	timed   bool        // timer armed
}

// reading is one Read's arguments and results.
type reading struct {
	p     []byte
	n     int
	errno syscall.Errno
}

// writing is one gathered write's pieces, progress and results.
type writing struct {
	bufs  [][]byte
	one   [1][]byte // Write's piece
	two   [2][]byte // held bytes and a write too large to keep
	skip  int       // bytes of bufs[0] already written
	total int64
	errno syscall.Errno
	iov   []syscall.Iovec // grows past small for a body of many pieces
	small [8]syscall.Iovec
}

// Read reads what the socket holds, waiting through the poller when it is
// empty.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.endHold()
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.rd = reading{p: p}
	err := c.raw.Read(c.readFn)
	n, errno := c.rd.n, c.rd.errno
	c.rd.p = nil // the caller's buffer is not kept
	switch {
	case err != nil:
		return 0, c.opError("read", err)
	case errno != 0:
		return 0, c.opError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (c *Conn) readOnce(fd uintptr) bool {
	p := c.rd.p
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		case 0:
			raceAfterRead(fd, p[:r])
		}
		c.rd.n, c.rd.errno = int(r), e
		return true
	}
}

// Write writes all of p, waiting through the poller while the socket is
// full; while the connection holds its writes (Hold) it keeps a copy.
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.holding.Load() {
		return c.keep(p)
	}
	c.wr.one[0] = p
	n, err := c.writeLocked(c.wr.one[:])
	c.wr.one[0] = nil
	return int(n), err
}

// WriteBuffers writes the pieces in order with gathered writes (writev),
// all of them unless an error stops it; it does not change bufs. Held
// bytes go out first.
func (c *Conn) WriteBuffers(bufs [][]byte) (int64, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.sendLocked(); err != nil {
		return 0, err
	}
	return c.writeLocked(bufs)
}

// maxIovecs is what one writev takes (Linux's IOV_MAX is 1024).
const maxIovecs = 1024

func (c *Conn) writeLocked(bufs [][]byte) (int64, error) {
	w := &c.wr
	w.bufs, w.skip, w.total, w.errno = bufs, 0, 0, 0
	if w.iov == nil {
		w.iov = w.small[:0]
	}
	err := c.raw.Write(c.writeFn)
	total, errno := w.total, w.errno
	w.bufs = nil
	clear(w.iov[:cap(w.iov)]) // nor the pieces' memory
	switch {
	case err != nil:
		return total, c.opError("write", err)
	case errno != 0:
		return total, c.opError("write", errno)
	}
	return total, nil
}

func (c *Conn) writeOnce(fd uintptr) bool {
	w := &c.wr
	raceBeforeWrite(fd, w.bufs)
	for {
		for len(w.bufs) > 0 && w.skip == len(w.bufs[0]) {
			w.bufs, w.skip = w.bufs[1:], 0
		}
		if len(w.bufs) == 0 {
			return true
		}
		iov := w.iov[:0]
		for i, b := range w.bufs {
			if i == 0 {
				b = b[w.skip:]
			}
			if len(b) == 0 {
				continue
			}
			if len(iov) == maxIovecs {
				break
			}
			v := syscall.Iovec{Base: &b[0]}
			v.SetLen(len(b))
			iov = append(iov, v)
		}
		w.iov = iov
		r, _, e := syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
		switch e {
		case 0:
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			w.errno = e
			return true
		}
		w.total += int64(r)
		for n := int(r); n > 0; {
			left := len(w.bufs[0]) - w.skip
			if n < left {
				w.skip += n
				break
			}
			n -= left
			w.bufs, w.skip = w.bufs[1:], 0
		}
	}
}

// opError dresses err the way net's own errors look (a *net.OpError, so
// os.ErrDeadlineExceeded and net.ErrClosed still match with errors.Is).
func (c *Conn) opError(op string, err error) error {
	if oe, ok := err.(*net.OpError); ok { // the poller's, named "raw-read"/"raw-write"
		e := *oe
		e.Op = op
		return &e
	}
	if errno, ok := err.(syscall.Errno); ok {
		err = &os.SyscallError{Syscall: op, Err: errno}
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
