package provider

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"

	"switchboard/backend/rawsock"
)

// wholeWriteConn is an upstream connection that takes an in-memory request
// body in whole writes. net/http hands a body with a Content-Length to the
// connection's ReadFrom behind an io.LimitedReader, which hides the body's
// WriteTo: a plain TCP connection then copies it through a fresh 32 KiB
// buffer, one system call per 32 KiB (21 for an agent's 664 KB turn, each
// its own loopback segment). Over TLS the record layer cuts the body anyway,
// so this matters for plain-HTTP upstreams: local servers (Ollama, LM
// Studio, vLLM) and the bench's.
//
// net/http also writes the head of such a request on its own before the
// body (it flushes the head of any body it does not know to be in memory),
// a loopback segment and a wake-up of the upstream for 300 bytes. The
// connection keeps a head that announces a body and sends it with the
// body's first write.
type wholeWriteConn struct {
	net.Conn
	head    []byte // a request head waiting for its body (headAwaitingBody)
	headBuf []byte // head's memory, kept for the connection's next requests
}

// sizedWriterTo is a body that knows its remaining length and writes
// itself out (bytes.Reader, multiBytes).
type sizedWriterTo interface {
	io.WriterTo
	Len() int
}

func (c *wholeWriteConn) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		// Only when the body is exactly what the header announced; net/http
		// reports any other length itself.
		if mb, ok := lr.R.(*multiBytes); ok && int64(mb.Len()) == lr.N {
			n, err := mb.writeAfter(c.Conn, c.head)
			c.head = nil
			lr.N -= n
			return n, err
		}
		if b, ok := lr.R.(sizedWriterTo); ok && int64(b.Len()) == lr.N {
			if err := c.sendHead(); err != nil {
				return 0, err
			}
			n, err := b.WriteTo(c.Conn)
			lr.N -= n
			return n, err
		}
	}
	if err := c.sendHead(); err != nil {
		return 0, err
	}
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r) // a spooled upload (a file) goes by sendfile
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// Write keeps a request head that waits for its body, and sends a kept
// head with the next bytes in one gathered write.
func (c *wholeWriteConn) Write(p []byte) (int, error) {
	if c.head != nil {
		head := c.head
		c.head = nil
		n, err := (&multiBytes{parts: [][]byte{p}}).writeAfter(c.Conn, head)
		return int(n), err
	}
	if headAwaitingBody(p) {
		c.headBuf = append(c.headBuf[:0], p...) // net/http reuses p
		c.head = c.headBuf
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// sendHead writes a kept head on its own.
func (c *wholeWriteConn) sendHead() error {
	if c.head == nil {
		return nil
	}
	head := c.head
	c.head = nil
	_, err := c.Conn.Write(head)
	return err
}

var (
	headEnd       = []byte("\r\n\r\n")
	contentLength = []byte("\r\nContent-Length: ")
	expectHeader  = []byte("\r\nExpect:")
)

// headAwaitingBody reports p is a request head alone (it ends at the
// blank line, with nothing after it) that announces a body, which net/http
// writes next. A head with Expect waits for the server's answer before its
// body, so it goes out at once.
func headAwaitingBody(p []byte) bool {
	if len(p) > 16<<10 || bytes.Index(p, headEnd) != len(p)-len(headEnd) || bytes.Contains(p, expectHeader) {
		return false
	}
	i := bytes.Index(p, contentLength)
	if i < 0 {
		return false
	}
	v := p[i+len(contentLength):]
	v = v[:bytes.IndexByte(v, '\r')]
	n, err := strconv.ParseInt(string(v), 10, 64)
	return err == nil && n > 0
}

// wholeWrites wraps a dial function so its connections take whole writes.
func wholeWrites(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &wholeWriteConn{Conn: rawsock.Wrap(c)}, nil
	}
}
