//go:build linux

package provider

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"slices"
	"syscall"
	"testing"

	"switchboard/backend/rawsock"
)

// A body in pieces goes to a socket in one gathered write: over a
// message-preserving socket pair, the other end receives one message.
func TestPiecesGoOutInOneWrite(t *testing.T) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fds[0]), "sender")
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	defer syscall.Close(fds[1])
	parts := [][]byte{[]byte(`{"x":"before",`), []byte(`"model":"m"`), []byte(`,"y":"after"}`)}
	whole := bytes.Join(parts, nil)
	body := &multiBytes{parts: slices.Clone(parts)}
	if n, err := body.WriteTo(conn); err != nil || n != int64(len(whole)) {
		t.Fatalf("WriteTo: %d, %v", n, err)
	}
	buf := make([]byte, 1024)
	n, err := syscall.Read(fds[1], buf) // one message: the whole body
	if err != nil || !bytes.Equal(buf[:n], whole) {
		t.Fatalf("first message %q (%v), want the whole body in one", buf[:n], err)
	}
	if body.Len() != 0 {
		t.Fatalf("%d bytes left unwritten", body.Len())
	}
}

// gatherCounter records the pieces each gathered write is given.
type gatherCounter struct {
	net.Conn
	calls [][]int
}

func (g *gatherCounter) WriteBuffers(bufs [][]byte) (int64, error) {
	var lens []int
	for _, b := range bufs {
		lens = append(lens, len(b))
	}
	g.calls = append(g.calls, lens)
	nb := net.Buffers(slices.Clone(bufs))
	return nb.WriteTo(g.Conn)
}

// Upstream connections copy with raw system calls (rawsock), and a body in
// pieces reaches such a connection in one gathered call.
func TestUpstreamConnectionsGatherRawWrites(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			_, _ = io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	conn, err := wholeWrites((&net.Dialer{}).DialContext)(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw, ok := conn.(*wholeWriteConn).Conn.(*rawsock.Conn)
	if !ok {
		t.Fatalf("upstream connection is %T under the whole-write wrapper, want *rawsock.Conn", conn.(*wholeWriteConn).Conn)
	}
	g := &gatherCounter{Conn: raw}
	parts := [][]byte{[]byte(`{"a":`), []byte(`"model"`), bytes.Repeat([]byte("x"), 200<<10)}
	body := &multiBytes{parts: slices.Clone(parts)}
	n, err := (&wholeWriteConn{Conn: g}).ReadFrom(&io.LimitedReader{R: body, N: int64(body.Len())})
	if err != nil || n != int64(len(bytes.Join(parts, nil))) {
		t.Fatalf("ReadFrom = %d, %v", n, err)
	}
	if len(g.calls) != 1 || !slices.Equal(g.calls[0], []int{5, 7, 200 << 10}) {
		t.Fatalf("gathered calls %v, want the three pieces in one", g.calls)
	}
	if body.Len() != 0 {
		t.Fatalf("%d bytes left", body.Len())
	}
}
