//go:build linux

package provider

import (
	"bytes"
	"net"
	"os"
	"slices"
	"syscall"
	"testing"
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
