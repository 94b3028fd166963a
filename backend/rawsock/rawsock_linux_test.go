//go:build linux

package rawsock

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// pair is a loopback TCP connection: a raw end (dialed, wrapped) and the
// accepted end, raw too when acceptRaw.
func pair(t *testing.T, acceptRaw bool) (*Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if acceptRaw {
		ln = Listener(ln)
	}
	got := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
		}
		got <- c
	}()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	w, ok := Wrap(d).(*Conn)
	if !ok {
		t.Fatalf("Wrap(%T) did not make a raw connection", d)
	}
	a := <-got
	if a == nil {
		t.FailNow()
	}
	t.Cleanup(func() { w.Close(); a.Close() })
	return w, a
}

// Pieces of several megabytes (more than a socket holds, so the writer
// waits for room through the poller) arrive whole and in order, empty
// pieces skipped, and the caller's slices are left as they were.
func TestWriteBuffersSendsEveryPieceInOrder(t *testing.T) {
	w, r := pair(t, true)
	rng := rand.New(rand.NewPCG(1, 2))
	var bufs [][]byte
	for _, n := range []int{0, 17, 3 << 20, 0, 1, 64 << 10, 5 << 20, 0} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		bufs = append(bufs, b)
	}
	lens := make([]int, len(bufs))
	for i, b := range bufs {
		lens[i] = len(b)
	}
	want := bytes.Join(bufs, nil)
	got := make(chan []byte, 1)
	go func() {
		b, err := io.ReadAll(r)
		if err != nil {
			t.Error(err)
		}
		got <- b
	}()
	time.Sleep(20 * time.Millisecond) // let the socket fill before the reader drains it
	n, err := w.WriteBuffers(bufs)
	if err != nil || n != int64(len(want)) {
		t.Fatalf("WriteBuffers = %d, %v; want %d", n, err, len(want))
	}
	w.CloseWrite()
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("received %d bytes that differ from the %d sent", len(b), len(want))
	}
	for i, b := range bufs {
		if len(b) != lens[i] {
			t.Fatalf("piece %d changed length: %d, was %d", i, len(b), lens[i])
		}
	}
}

// Read returns what arrived, waiting for it through the poller, and io.EOF
// once the peer is done.
func TestReadWaitsThenReportsEOF(t *testing.T) {
	w, r := pair(t, false)
	msg := bytes.Repeat([]byte("agent turn "), 100_000)
	go func() {
		time.Sleep(20 * time.Millisecond) // the reader waits first
		if _, err := r.Write(msg); err != nil {
			t.Error(err)
		}
		r.(*net.TCPConn).CloseWrite()
	}()
	var got []byte
	buf := make([]byte, 256<<10)
	for {
		n, err := w.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("Read returned 0 bytes and no error")
		}
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("read %d bytes, want the %d written", len(got), len(msg))
	}
	if n, err := w.Read(nil); n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d, %v; want 0, nil", n, err)
	}
}

// Deadlines and Close end a waiting call with the errors net's own
// connections give, named for the operation.
func TestDeadlinesAndCloseLookLikeNets(t *testing.T) {
	w, _ := pair(t, true)
	w.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := w.Read(make([]byte, 10))
	var ne net.Error
	var oe *net.OpError
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() || !errors.As(err, &oe) || oe.Op != "read" {
		t.Fatalf("read past its deadline: %v; want a timeout *net.OpError for read", err)
	}
	w.SetWriteDeadline(time.Now().Add(20 * time.Millisecond))
	_, err = w.Write(make([]byte, 64<<20)) // nobody reads: the socket fills
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &oe) || oe.Op != "write" {
		t.Fatalf("write past its deadline: %v; want a timeout *net.OpError for write", err)
	}
	w.Close()
	if _, err := w.Read(make([]byte, 10)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after Close: %v; want net.ErrClosed", err)
	}
}

// A system call's failure comes back as net's does: an *os.SyscallError
// inside a *net.OpError.
func TestResetPeerIsASyscallError(t *testing.T) {
	w, r := pair(t, false)
	r.(*net.TCPConn).SetLinger(0) // close with a reset
	r.Close()
	time.Sleep(20 * time.Millisecond)
	var err error
	for i := 0; i < 10 && err == nil; i++ { // the first write may land before the reset is seen
		_, err = w.Write(make([]byte, 1<<20))
	}
	var se *os.SyscallError
	if !errors.As(err, &se) || !(errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)) {
		t.Fatalf("write to a reset peer: %v; want ECONNRESET or EPIPE in an *os.SyscallError", err)
	}
}

// Only TCP connections are wrapped; anything else is returned as it is.
func TestWrapLeavesOtherConnectionsAlone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if Wrap(a) != a {
		t.Fatal("Wrap changed a pipe")
	}
}

// A read or write allocates nothing: the poller's function and the call's
// state are made once per connection (a pass-through makes a dozen calls).
func TestCallsDoNotAllocate(t *testing.T) {
	w, r := pair(t, true)
	raw := r.(*Conn)
	msg := bytes.Repeat([]byte("x"), 4<<10)
	pieces := [][]byte{msg[:100], msg[100:]}
	buf := make([]byte, 16<<10)
	drain := func(n int) {
		for n > 0 {
			m, err := raw.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			n -= m
		}
	}
	allocs := testing.AllocsPerRun(50, func() {
		if _, err := w.Write(msg); err != nil {
			t.Fatal(err)
		}
		drain(len(msg))
		if _, err := w.WriteBuffers(pieces); err != nil {
			t.Fatal(err)
		}
		drain(len(msg))
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per write and read, want 0", allocs)
	}
}
