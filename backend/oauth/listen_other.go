//go:build !windows

package oauth

import (
	"errors"
	"syscall"
)

// isAddrInUse reports a bind refused because the port is taken.
func isAddrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }
