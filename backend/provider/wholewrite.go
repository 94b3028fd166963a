package provider

import (
	"context"
	"io"
	"net"

	"switchboard/backend/internal/rawsock"
)

// wholeWriteConn is an upstream connection that takes an in-memory request
// body in whole writes. net/http hands a body with a Content-Length to the
// connection's ReadFrom behind an io.LimitedReader, which hides the body's
// WriteTo: a plain TCP connection then copies it through a fresh 32 KiB
// buffer, one system call per 32 KiB (21 for an agent's 664 KB turn, each
// its own loopback segment). Over TLS the record layer cuts the body anyway,
// so this matters for plain-HTTP upstreams: local servers (Ollama, LM
// Studio, vLLM) and the bench's.
type wholeWriteConn struct{ net.Conn }

// sizedWriterTo is a body that knows its remaining length and writes
// itself out (bytes.Reader, multiBytes).
type sizedWriterTo interface {
	io.WriterTo
	Len() int
}

func (c wholeWriteConn) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		// Only when the body is exactly what the header announced; net/http
		// reports any other length itself.
		if b, ok := lr.R.(sizedWriterTo); ok && int64(b.Len()) == lr.N {
			n, err := b.WriteTo(c.Conn)
			lr.N -= n
			return n, err
		}
	}
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r) // a spooled upload (a file) goes by sendfile
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// wholeWrites wraps a dial function so its connections take whole writes.
func wholeWrites(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return wholeWriteConn{rawsock.Wrap(c)}, nil
	}
}
