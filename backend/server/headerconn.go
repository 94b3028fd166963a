package server

import (
	"bytes"
	"net"
	"strconv"
	"sync"
)

// TooLargeAnswer renders the error for a request whose header block
// net/http refused (over MaxHeaderBytes) in the shape the path's clients
// parse: it returns the content type and body. method and path come from
// the request line.
type TooLargeAnswer func(method, path string) (contentType string, body []byte)

// headerLimitListener wraps connections so that net/http's own answer to
// an oversized header block — plain text, written before any handler runs
// — goes out in the client's dialect instead (see headerConn).
type headerLimitListener struct {
	net.Listener
	answer TooLargeAnswer
}

func (l headerLimitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil || l.answer == nil {
		return c, err
	}
	return &headerConn{Conn: c, answer: l.answer}, nil
}

// plain431 is that answer exactly as net/http writes it (one Write on the
// raw connection, see net/http's conn.serve); a handler's own 431 goes out
// through the buffered writer with other headers and is left alone.
var plain431 = []byte("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n" +
	"Connection: close\r\n\r\n431 Request Header Fields Too Large")

// requestLineMax is how much of each request is kept to read its method
// and path: a request line longer than this is answered generically.
const requestLineMax = 512

// headerConn keeps the start of the request being read (its request line)
// and rewrites net/http's plain 431 for it. net/http reads in the
// background while a handler writes, so the bookkeeping is locked (never
// the I/O itself).
type headerConn struct {
	net.Conn
	answer TooLargeAnswer

	mu      sync.Mutex
	start   [requestLineMax]byte
	n       int
	written bool // an answer went out: the next read starts a new request
}

func (c *headerConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	if c.written {
		c.n, c.written = 0, false
	}
	if c.n < len(c.start) && n > 0 {
		c.n += copy(c.start[c.n:], p[:n])
	}
	c.mu.Unlock()
	return n, err
}

func (c *headerConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.written = true
	if !bytes.Equal(p, plain431) {
		c.mu.Unlock()
		return c.Conn.Write(p)
	}
	method, path := requestLine(c.start[:c.n])
	c.mu.Unlock()
	ctype, body := c.answer(method, path)
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: ")
	b.WriteString(ctype)
	b.WriteString("\r\nContent-Length: ")
	b.WriteString(strconv.Itoa(len(body)))
	b.WriteString("\r\nConnection: close\r\n\r\n")
	b.Write(body)
	if _, err := c.Conn.Write(b.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil // net/http closes the connection next
}

// requestLine reads "METHOD /path?query HTTP/1.1" from the start of a
// request; "" parts when it is not there.
func requestLine(b []byte) (method, path string) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return "", ""
	}
	p := f[1]
	if i := bytes.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return string(f[0]), string(p)
}
