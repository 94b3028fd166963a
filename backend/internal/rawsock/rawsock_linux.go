//go:build linux

package rawsock

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

const supported = true

// Conn is a TCP connection whose Read, Write and WriteBuffers copy with raw
// system calls (see the package comment). Everything else is the
// *net.TCPConn's.
type Conn struct {
	*net.TCPConn
	raw syscall.RawConn
}

// Read reads what the socket holds, waiting through the poller when it is
// empty.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.raw.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false
			}
			n, errno = int(r), e
			if e == 0 {
				raceAfterRead(fd, p[:n])
			}
			return true
		}
	})
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

// Write writes all of p, waiting through the poller while the socket is
// full.
func (c *Conn) Write(p []byte) (int, error) {
	bufs := [][]byte{p}
	n, err := c.WriteBuffers(bufs)
	return int(n), err
}

// maxIovecs is what one writev takes (Linux's IOV_MAX is 1024).
const maxIovecs = 1024

// WriteBuffers writes the pieces in order with gathered writes (writev),
// all of them unless an error stops it; it does not change bufs.
func (c *Conn) WriteBuffers(bufs [][]byte) (int64, error) {
	var total int64
	var errno syscall.Errno
	skip := 0 // bytes of bufs[0] already written
	var small [8]syscall.Iovec
	iov := small[:0]
	err := c.raw.Write(func(fd uintptr) bool {
		raceBeforeWrite(fd, bufs)
		for {
			for len(bufs) > 0 && skip == len(bufs[0]) {
				bufs, skip = bufs[1:], 0
			}
			if len(bufs) == 0 {
				return true
			}
			iov = iov[:0]
			for i, b := range bufs {
				if i == 0 {
					b = b[skip:]
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
			r, _, e := syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
			switch e {
			case 0:
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false
			default:
				errno = e
				return true
			}
			total += int64(r)
			for n := int(r); n > 0; {
				left := len(bufs[0]) - skip
				if n < left {
					skip += n
					break
				}
				n -= left
				bufs, skip = bufs[1:], 0
			}
		}
	})
	switch {
	case err != nil:
		return total, c.opError("write", err)
	case errno != 0:
		return total, c.opError("write", errno)
	}
	return total, nil
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
