//go:build linux

package rawsock

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// dataSegsOut is how many data segments the kernel sent on c: on loopback
// with Nagle off (Go's default), one per write system call of under 64 KB.
func dataSegsOut(t *testing.T, c *Conn) uint32 {
	t.Helper()
	var info *unix.TCPInfo
	var err error
	if cerr := c.raw.Control(func(fd uintptr) {
		info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); cerr != nil || err != nil {
		t.Fatalf("TCP_INFO: %v %v", cerr, err)
	}
	return info.Data_segs_out
}

// expectNothing asserts r receives nothing for a moment.
func expectNothing(t *testing.T, r net.Conn) {
	t.Helper()
	_ = r.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	var b [1]byte
	if n, err := r.Read(b[:]); n != 0 || err == nil {
		t.Fatalf("received %q while the writes were held", b[:n])
	}
	_ = r.SetReadDeadline(time.Time{})
}

// expectBytes reads exactly want from r.
func expectBytes(t *testing.T, r net.Conn, want []byte) {
	t.Helper()
	_ = r.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("received %q (%v), want %q", got, err, want)
	}
	_ = r.SetReadDeadline(time.Time{})
}

// Held writes stay with the connection until Send, which sends them in one
// segment; the hold goes on after it.
func TestHeldWritesLeaveInOneSend(t *testing.T) {
	w, r := pair(t, false)
	w.Hold()
	before := dataSegsOut(t, w)
	for _, s := range []string{"HTTP/1.1 200 OK\r\n\r\n", "data: one\n\n", "data: two\n\n"} {
		if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("held Write = %d, %v", n, err)
		}
	}
	expectNothing(t, r)
	if err := w.Send(); err != nil {
		t.Fatal(err)
	}
	expectBytes(t, r, []byte("HTTP/1.1 200 OK\r\n\r\ndata: one\n\ndata: two\n\n"))
	if got := dataSegsOut(t, w) - before; got != 1 {
		t.Fatalf("%d segments for three held writes, want 1", got)
	}
	w.Write([]byte("three"))
	expectNothing(t, r) // still held
	if err := w.Send(); err != nil {
		t.Fatal(err)
	}
	expectBytes(t, r, []byte("three"))
	if err := w.Send(); err != nil { // nothing kept: nothing sent
		t.Fatal(err)
	}
	if got := dataSegsOut(t, w) - before; got != 2 {
		t.Fatalf("%d segments, want 2", got)
	}
}

// net/http's next step after an answer (a deadline change, a read, a
// close) sends what is held and ends the hold: later writes go straight
// out.
func TestHoldEndsWhenTheConnectionMovesOn(t *testing.T) {
	for name, moveOn := range map[string]func(w *Conn){
		"SetWriteDeadline": func(w *Conn) { w.SetWriteDeadline(time.Time{}) },
		"SetReadDeadline":  func(w *Conn) { w.SetReadDeadline(time.Now().Add(time.Hour)) },
		"SetDeadline":      func(w *Conn) { w.SetDeadline(time.Time{}) },
		"Read": func(w *Conn) {
			w.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
			w.Read(make([]byte, 1)) // times out: nothing comes
		},
		"CloseWrite": func(w *Conn) { w.CloseWrite() },
	} {
		t.Run(name, func(t *testing.T) {
			w, r := pair(t, false)
			w.Hold()
			w.Write([]byte("0\r\n\r\n"))
			expectNothing(t, r)
			moveOn(w)
			expectBytes(t, r, []byte("0\r\n\r\n"))
			if name == "CloseWrite" {
				return
			}
			w.Write([]byte("next"))
			expectBytes(t, r, []byte("next")) // no Send: the hold is over
		})
	}
	t.Run("Close", func(t *testing.T) {
		w, r := pair(t, false)
		w.Hold()
		w.Write([]byte("last words"))
		w.Close()
		expectBytes(t, r, []byte("last words"))
	})
}

// SendWithin sends what is held after the delay when nothing sent it
// before; a Send before the delay leaves the timer nothing to send.
func TestSendWithinSendsAfterTheDelay(t *testing.T) {
	w, r := pair(t, false)
	w.Hold()
	before := dataSegsOut(t, w)
	w.Write([]byte("message_stop"))
	start := time.Now()
	w.SendWithin(40 * time.Millisecond)
	expectBytes(t, r, []byte("message_stop"))
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("sent after %v, before the 40 ms delay", d)
	}
	w.Write([]byte("a"))
	w.SendWithin(40 * time.Millisecond)
	w.Write([]byte("b"))
	w.Send()
	expectBytes(t, r, []byte("ab"))
	time.Sleep(60 * time.Millisecond) // past the second delay: nothing more goes out
	if got := dataSegsOut(t, w) - before; got != 2 {
		t.Fatalf("%d segments, want 2 (the timer's send, then Send's)", got)
	}
	w.SendWithin(time.Millisecond) // nothing held: no timer
	expectNothing(t, r)
}

// A hold keeps at most maxHeld bytes: a write past it goes out with what
// was kept, in one gathered call, without a Send.
func TestHoldSendsPastItsBound(t *testing.T) {
	w, r := pair(t, false)
	w.Hold()
	first := bytes.Repeat([]byte("a"), maxHeld/2)
	second := bytes.Repeat([]byte("b"), maxHeld/2+1)
	w.Write(first)
	w.Write(second)
	expectBytes(t, r, append(append([]byte{}, first...), second...))
	w.Write([]byte("kept again"))
	expectNothing(t, r)
	w.Send()
	expectBytes(t, r, []byte("kept again"))
}

// A held send that fails fails the writes after it with the same error,
// until the hold ends.
func TestFailedHeldSendFailsLaterWrites(t *testing.T) {
	w, r := pair(t, false)
	r.(*net.TCPConn).SetLinger(0)
	r.Close()
	time.Sleep(20 * time.Millisecond)
	w.Hold()
	var err error
	for i := 0; i < 10 && err == nil; i++ { // the first send may land before the reset is seen
		w.Write(make([]byte, 1<<10))
		err = w.Send()
	}
	if err == nil {
		t.Fatal("sends to a reset peer kept succeeding")
	}
	if _, werr := w.Write([]byte("x")); !errors.Is(werr, err) {
		t.Fatalf("write after a failed send: %v, want %v", werr, err)
	}
}

// NewContext carries a connection that can hold its writes; FromContext
// finds it, and nothing in a context without one.
func TestHolderTravelsInTheContext(t *testing.T) {
	w, _ := pair(t, false)
	ctx := NewContext(context.Background(), w)
	if FromContext(ctx) != Holder(w) {
		t.Fatal("FromContext lost the connection")
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if FromContext(NewContext(context.Background(), a)) != nil || FromContext(context.Background()) != nil {
		t.Fatal("a holder where there is none")
	}
}
