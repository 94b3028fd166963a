//go:build linux

package rawsock

import (
	"sync"
	"time"
)

// Held writes. net/http writes a response through a 4 KB buffer and ends a
// chunked one with a write of its own after the handler returns, so a
// stream's flush of a few KB took two or three system calls and its end
// one more. A held connection keeps what it is given and sends it in one
// write when told (Send, SendWithin) and, at the latest, when net/http
// moves on: the next Read, deadline change or Close sends what is kept and
// ends the hold. net/http makes such a call right after every answer, so
// nothing stays behind a finished response.

// maxHeld bounds what a hold keeps before it sends anyway.
const maxHeld = 64 << 10

// heldBufs are shared: a buffer is a connection's only while it keeps
// bytes, so a thousand quiet streams hold none.
var heldBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// Hold keeps the connection's writes from now on (see above).
func (c *Conn) Hold() { c.holding.Store(true) }

// Send writes what is kept, in one system call; the hold goes on.
func (c *Conn) Send() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.sendLocked()
}

// SendWithin sends what is kept after d unless it went out before: for the
// end of a stream, whose last bytes net/http sends once the handler returns.
func (c *Conn) SendWithin(d time.Duration) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.held == nil || len(*c.held) == 0 {
		return
	}
	if c.timer == nil {
		c.timer = time.AfterFunc(d, func() { _ = c.Send() })
	} else {
		c.timer.Reset(d)
	}
	c.timed = true
}

// endHold sends what is kept and writes straight through again.
func (c *Conn) endHold() {
	if !c.holding.Load() {
		return
	}
	c.wmu.Lock()
	_ = c.sendLocked()
	c.holding.Store(false)
	c.heldErr = nil
	c.wmu.Unlock()
}

// keep copies p into the held bytes (under wmu).
func (c *Conn) keep(p []byte) (int, error) {
	if c.heldErr != nil {
		return 0, c.heldErr
	}
	if c.held == nil {
		c.held = heldBufs.Get().(*[]byte)
	}
	if len(*c.held)+len(p) > maxHeld {
		// Too much to copy: what is kept and p go out together.
		c.wr.two[0], c.wr.two[1] = *c.held, p
		_, err := c.writeLocked(c.wr.two[:])
		c.wr.two[0], c.wr.two[1] = nil, nil
		c.dropHeld(err)
		if err != nil {
			return 0, err
		}
		return len(p), nil
	}
	*c.held = append(*c.held, p...)
	return len(p), nil
}

// sendLocked writes the held bytes (under wmu).
func (c *Conn) sendLocked() error {
	if c.timed {
		c.timer.Stop()
		c.timed = false
	}
	if c.held == nil {
		return c.heldErr
	}
	c.wr.one[0] = *c.held
	_, err := c.writeLocked(c.wr.one[:])
	c.wr.one[0] = nil
	c.dropHeld(err)
	return err
}

// dropHeld gives the buffer back after a send; a failed send fails the
// writes after it.
func (c *Conn) dropHeld(err error) {
	if err != nil {
		c.heldErr = err
	}
	if c.held != nil {
		if cap(*c.held) <= maxHeld {
			*c.held = (*c.held)[:0]
			heldBufs.Put(c.held)
		}
		c.held = nil
	}
}

// Read, deadlines and closing end a hold first (see above).

func (c *Conn) SetDeadline(t time.Time) error {
	c.endHold()
	return c.TCPConn.SetDeadline(t)
}

func (c *Conn) SetReadDeadline(t time.Time) error {
	c.endHold()
	return c.TCPConn.SetReadDeadline(t)
}

func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.endHold()
	return c.TCPConn.SetWriteDeadline(t)
}

func (c *Conn) CloseWrite() error {
	c.endHold()
	return c.TCPConn.CloseWrite()
}

func (c *Conn) Close() error {
	c.endHold()
	if c.timer != nil {
		c.timer.Stop()
	}
	return c.TCPConn.Close()
}
