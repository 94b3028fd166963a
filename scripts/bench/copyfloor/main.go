// Command copyfloor is the least any HTTP/1.1 proxy can do with a request:
// read its head and body into buffers it keeps, write both upstream in one
// gathered write on a kept connection, and copy the answer back as it comes
// (its head, then a Content-Length body or chunked frames, each read written
// at once). No net/http, no parsing beyond the framing, no allocation per
// request; its sockets are the gateway's own (backend/rawsock: raw system
// calls, waiting through the poller). scripts/bench.sh runs it beside the bare net/http proxy for the
// agent target rows: its CPU per request is what a pass-through costs on
// this machine at that minute before any work of the gateway's own, nearly
// all of it the kernel's loopback TCP (two copies of the body, the stack,
// the wake-ups).
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"

	"switchboard/backend/rawsock"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	up := flag.String("upstream", "", "upstream host:port (loopback)")
	flag.Parse()
	for _, a := range []string{*addr, *up} {
		host, _, err := net.SplitHostPort(a)
		if err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() {
			log.Fatalf("copyfloor: --addr and --upstream must be loopback host:port (got %q)", a)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("{\"listen\":%q}\n", ln.Addr().String())
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serve(rawsock.Wrap(c), *up)
	}
}

// serve proxies one client connection over one upstream connection.
func serve(c net.Conn, upAddr string) {
	defer c.Close()
	uc, err := net.Dial("tcp", upAddr)
	if err != nil {
		return
	}
	defer uc.Close()
	u := rawsock.Wrap(uc)
	cr, ur := bufio.NewReaderSize(c, 64<<10), bufio.NewReaderSize(u, 64<<10)
	var head, body []byte
	for {
		var n int
		if head, n, err = readHead(cr, head[:0]); err != nil {
			return
		}
		if cap(body) < n {
			body = make([]byte, n)
		}
		body = body[:n]
		if _, err := io.ReadFull(cr, body); err != nil {
			return
		}
		if err := writeBoth(u, head, body); err != nil {
			return
		}
		if err := relayAnswer(ur, c); err != nil {
			return
		}
	}
}

// writeBoth writes a and b in one gathered write: the gateway's raw
// writev where the connection has it (rawsock, Linux), else net's.
func writeBoth(w io.Writer, a, b []byte) error {
	if rw, ok := w.(interface {
		WriteBuffers([][]byte) (int64, error)
	}); ok {
		_, err := rw.WriteBuffers([][]byte{a, b})
		return err
	}
	bufs := net.Buffers{a, b}
	_, err := bufs.WriteTo(w)
	return err
}

// readHead appends a message's head (through its blank line) to dst and
// returns it with its Content-Length (0 when absent).
func readHead(r *bufio.Reader, dst []byte) ([]byte, int, error) {
	n := 0
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return dst, 0, err
		}
		dst = append(dst, line...)
		if len(line) <= 2 {
			return dst, n, nil
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(bytes.TrimSpace(k), []byte("content-length")) {
			if n, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil || n < 0 {
				return dst, 0, errors.New("bad content-length")
			}
		}
	}
}

// relayAnswer copies one answer from r to w: its head, then its body by
// Content-Length or chunked framing, writing what each read brings.
func relayAnswer(r *bufio.Reader, w io.Writer) error {
	var headBuf [4 << 10]byte
	head, n, err := readHead(r, headBuf[:0])
	if err != nil {
		return err
	}
	chunked := bytes.Contains(bytes.ToLower(head), []byte("transfer-encoding: chunked"))
	if !chunked {
		if _, err := w.Write(head); err != nil {
			return err
		}
		for n > 0 {
			if r.Buffered() == 0 {
				if _, err := r.Peek(1); err != nil {
					return err
				}
			}
			b, _ := r.Peek(min(n, r.Buffered()))
			if _, err := w.Write(b); err != nil {
				return err
			}
			_, _ = r.Discard(len(b))
			n -= len(b)
		}
		return nil
	}
	var f framer
	out := head
	for {
		if len(out) == 0 {
			if _, err := r.Peek(1); err != nil {
				return err
			}
		}
		b, _ := r.Peek(r.Buffered())
		used, done := f.scan(b)
		out = append(out, b[:used]...)
		_, _ = r.Discard(used)
		if _, err := w.Write(out); err != nil {
			return err
		}
		out = out[:0]
		if done {
			return nil
		}
	}
}

// framer follows chunked framing across reads to find the message's end.
type framer struct {
	state   int // 0 size line, 1 data, 2 data's CRLF, 3 trailer lines
	size    int
	ext     bool // past a chunk extension's ';' on the size line
	lineLen int  // bytes of the current trailer line
}

// scan consumes b up to the end of the message (or all of it) and says how
// much it used and whether the message ended.
func (f *framer) scan(b []byte) (int, bool) {
	i := 0
	for i < len(b) {
		switch f.state {
		case 0:
			c := b[i]
			i++
			switch {
			case c == '\n':
				f.ext = false
				if f.size == 0 {
					f.state, f.lineLen = 3, 0
				} else {
					f.state = 1
				}
			case c == ';':
				f.ext = true
			case f.ext:
			case c >= '0' && c <= '9':
				f.size = f.size<<4 | int(c-'0')
			case c >= 'a' && c <= 'f':
				f.size = f.size<<4 | int(c-'a'+10)
			case c >= 'A' && c <= 'F':
				f.size = f.size<<4 | int(c-'A'+10)
			}
		case 1:
			k := min(f.size, len(b)-i)
			i += k
			if f.size -= k; f.size == 0 {
				f.state, f.size = 2, 2
			}
		case 2:
			i++
			if f.size--; f.size == 0 {
				f.state = 0
			}
		case 3:
			c := b[i]
			i++
			if c == '\n' {
				if f.lineLen == 0 {
					*f = framer{}
					return i, true
				}
				f.lineLen = 0
			} else if c != '\r' {
				f.lineLen++
			}
		}
	}
	return i, false
}
