//go:build !linux

package main

import "net"

// raw is the connection itself where the raw calls are not written.
func raw(c net.Conn) net.Conn { return c }
