//go:build !linux

package rawsock

import (
	"net"
	"syscall"
)

const supported = false

// Conn is never made where raw calls are not used (Wrap returns the
// connection as it is).
type Conn struct {
	*net.TCPConn
	raw syscall.RawConn
}
