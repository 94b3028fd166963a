package provider

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"switchboard/backend/dialect"
)

// writeCounter is a connection that records the size of each write.
type writeCounter struct {
	net.Conn
	mu     sync.Mutex
	writes []int
}

func (c *writeCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes = append(c.writes, len(p))
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// WriteBuffers records a gathered write as one, as a socket's writev is.
func (c *writeCounter) WriteBuffers(bufs [][]byte) (int64, error) {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	c.mu.Lock()
	c.writes = append(c.writes, n)
	c.mu.Unlock()
	nb := net.Buffers(bufs)
	return nb.WriteTo(c.Conn)
}

// A large in-memory body reaches a plain-HTTP upstream in one gathered
// write with the request's head, not through net/http's 32 KiB copy after
// a write of the head alone; a body of another length than announced, and
// a reader that is not in memory, take the copy.
func TestLargeBodyGoesOutInWholeWrites(t *testing.T) {
	big := bytes.Repeat([]byte("y"), 600<<10)
	parts := [][]byte{[]byte(`{"model":"m","x":"`), big, []byte(`"}`)}
	whole := bytes.Join(parts, nil)

	var got []byte
	srv := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { okJSON(w, r) })
	var counted *writeCounter
	c := newTestClient(t, ClientOptions{})
	for _, rt := range []http.RoundTripper{c.guarded, c.loopback, c.local} {
		tr := rt.(*http.Transport)
		dial := tr.DialContext
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// Count below the whole-write wrapper, as the socket sees it.
			wc := conn.(*wholeWriteConn)
			counted = &writeCounter{Conn: wc.Conn}
			return &wholeWriteConn{Conn: counted}, nil
		}
	}
	e := entryFor(dialect.Anthropic, srv.URL, AuthXAPIKey)
	for _, tc := range []struct {
		name string
		call Call
	}{
		{"pieces", Call{BodyParts: parts}},
		{"one piece", Call{Body: whole}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			call := tc.call
			call.Entry, call.APIKey, call.Op, call.Model, call.AllowLocal = e, testKey, OpGenerate, "m", true
			c.CloseIdleConnections() // a fresh connection, so its writes are this call's
			resp, err := c.Send(context.Background(), &call)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			got = []byte(srv.last(t).body)
			if !bytes.Equal(got, whole) {
				t.Fatalf("upstream got %d bytes, want the %d sent", len(got), len(whole))
			}
			counted.mu.Lock()
			defer counted.mu.Unlock()
			if len(counted.writes) != 1 || counted.writes[0] < len(whole)+100 {
				t.Errorf("writes %v: want the head and the %d-byte body in one", counted.writes, len(whole))
			}
		})
	}
}

// The fast path takes only a body of exactly the announced length; other
// readers reach the connection's own ReadFrom (a file's sendfile) or a copy.
func TestWholeWriteConnFallsBack(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() { _, _ = io.Copy(io.Discard, b) }()
	wc := &writeCounter{Conn: a}
	conn := &wholeWriteConn{Conn: wc}
	body := &multiBytes{parts: [][]byte{bytes.Repeat([]byte("z"), 100<<10)}}
	// Announced shorter than the body: copied (net/http then reports the mismatch).
	n, err := conn.ReadFrom(&io.LimitedReader{R: body, N: 10})
	if err != nil || n != 10 {
		t.Fatalf("short announcement: %d, %v", n, err)
	}
	n, err = conn.ReadFrom(&io.LimitedReader{R: strings.NewReader("plain"), N: 5})
	if err != nil || n != 5 {
		t.Fatalf("other reader: %d, %v", n, err)
	}
	if len(wc.writes) != 2 || wc.writes[0] != 10 || wc.writes[1] != 5 {
		t.Errorf("writes %v, want [10 5]", wc.writes)
	}
}

// Only a head alone that announces a body waits for it.
func TestHeadAwaitingBody(t *testing.T) {
	head := "POST /v1/messages HTTP/1.1\r\nHost: h\r\nContent-Length: 700000\r\nContent-Type: application/json\r\n\r\n"
	for _, tc := range []struct {
		p    string
		want bool
	}{
		{head, true},
		{strings.Replace(head, "700000", "0", 1), false},                                  // no body
		{strings.Replace(head, "Content-Length: 700000", "Accept: */*", 1), false},        // no length
		{strings.Replace(head, "\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n", 1), false}, // waits for the server
		{head + `{"model":"m"}`, false},                                                   // the body came with it
		{head + "{\"a\":\"\r\n\r\n", false},                                               // body bytes that end like a head
		{"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", false},
	} {
		if got := headAwaitingBody([]byte(tc.p)); got != tc.want {
			t.Errorf("headAwaitingBody(%q) = %v, want %v", tc.p, got, tc.want)
		}
	}
}
