//go:build linux

package main

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// raw wraps a TCP connection so its reads and writes are plain system calls
// through the poller's readiness, as the gateway's are
// (backend/internal/rawsock): net's own calls tell the scheduler of each
// one, and a long copy then hands the P to another thread. The copy floor
// would otherwise pay that where the gateway does not.
func raw(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	return &rawConn{TCPConn: tc, rc: rc}
}

type rawConn struct {
	*net.TCPConn
	rc syscall.RawConn
}

func (c *rawConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			if e == syscall.EINTR {
				continue
			}
			if e == syscall.EAGAIN {
				return false
			}
			n, errno = int(r), e
			return true
		}
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, errno
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (c *rawConn) Write(p []byte) (int, error) {
	return c.writev([][]byte{p})
}

// writev writes all of bufs, gathered.
func (c *rawConn) writev(bufs [][]byte) (int, error) {
	total := 0
	var errno syscall.Errno
	err := c.rc.Write(func(fd uintptr) bool {
		for {
			iov := make([]syscall.Iovec, 0, len(bufs))
			for _, b := range bufs {
				if len(b) > 0 {
					v := syscall.Iovec{Base: &b[0]}
					v.SetLen(len(b))
					iov = append(iov, v)
				}
			}
			if len(iov) == 0 {
				return true
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
			total += int(r)
			for n := int(r); n > 0 && len(bufs) > 0; {
				k := min(n, len(bufs[0]))
				bufs[0], n = bufs[0][k:], n-k
				if len(bufs[0]) == 0 {
					bufs = bufs[1:]
				}
			}
		}
	})
	if err == nil && errno != 0 {
		err = errno
	}
	return total, err
}
