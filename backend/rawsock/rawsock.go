// Package rawsock moves bytes through the gateway's TCP sockets with system
// calls the Go scheduler is not told about.
//
// Why: Go's sockets are non-blocking, so a read or write never waits; it
// only copies. Yet net marks the goroutine's P as "in a system call" around
// each one, and the runtime's monitor thread (sysmon) takes the P away from
// any call that outlasts its tick (20 µs while busy) to hand it to another
// thread. Writing an agent's 664 KB turn into a loopback socket copies for
// 50–100 µs, so nearly every large request paid for a hand-off: a thread
// woken, two context switches, and sysmon kept polling at its fastest. A raw
// call keeps the P for the copy, which is CPU work the P would wait for
// anyway. Waiting for the socket (EAGAIN) still goes through the poller, so
// deadlines and cancellation work as before.
package rawsock

import (
	"context"
	"net"
	"time"
)

// Listener wraps every connection ln accepts (Wrap).
func Listener(ln net.Listener) net.Listener { return listener{ln} }

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return Wrap(c), nil
}

// Holder is a connection that can keep its writes and send them in one
// system call (see Conn.Hold on Linux).
type Holder interface {
	// Hold keeps writes until Send, SendWithin's delay, or the connection's
	// next read, deadline change or close.
	Hold()
	// Send writes what is kept now; the hold goes on.
	Send() error
	// SendWithin sends what is kept after d unless it went out before.
	SendWithin(d time.Duration)
}

type holderKey struct{}

// NewContext returns ctx carrying c when c can hold its writes (for
// http.Server.ConnContext).
func NewContext(ctx context.Context, c net.Conn) context.Context {
	if h, ok := c.(Holder); ok {
		return context.WithValue(ctx, holderKey{}, h)
	}
	return ctx
}

// FromContext returns the connection NewContext put in ctx, or nil.
func FromContext(ctx context.Context) Holder {
	h, _ := ctx.Value(holderKey{}).(Holder)
	return h
}
