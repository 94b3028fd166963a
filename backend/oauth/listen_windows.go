//go:build windows

package oauth

import (
	"errors"
	"syscall"
)

// wsaeaddrinuse is Winsock's "address already in use"; Windows reports it
// instead of the POSIX EADDRINUSE that syscall defines.
const wsaeaddrinuse = syscall.Errno(10048)

// isAddrInUse reports a bind refused because the port is taken.
func isAddrInUse(err error) bool {
	return errors.Is(err, wsaeaddrinuse) || errors.Is(err, syscall.EADDRINUSE)
}
