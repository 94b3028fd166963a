package provider

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/backend/dialect"
)

// countHold counts what Send tells a lender of body memory.
type countHold struct{ held, released atomic.Int32 }

func (h *countHold) Hold()    { h.held.Add(1) }
func (h *countHold) Release() { h.released.Add(1) }

// lateReader is a RoundTripper that answers at once and reads the request
// body only when told to: net/http's transport may do the same (it keeps
// writing a body after the answer arrived), so a lent body must stay lent
// until the body is closed, not until Send returns.
type lateReader struct {
	readNow chan struct{}
	got     chan []byte
}

func (l *lateReader) RoundTrip(req *http.Request) (*http.Response, error) {
	go func() {
		<-l.readNow
		b, _ := io.ReadAll(req.Body)
		req.Body.Close()
		l.got <- b
	}()
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{}`)), Request: req}, nil
}

func TestBodyHoldLastsUntilTheBodyIsClosed(t *testing.T) {
	parts := [][]byte{[]byte(`{"model":`), []byte(`"m"`), []byte(`,"x":1}`)} // small: held bodies are read in place anyway
	whole := bytes.Join(parts, nil)
	late := &lateReader{readNow: make(chan struct{}), got: make(chan []byte, 1)}
	c := newTestClient(t, ClientOptions{})
	c.loopback, c.local = late, late
	hold := &countHold{}
	call := &Call{Entry: entryFor(dialect.Anthropic, "http://127.0.0.1:9", AuthXAPIKey), APIKey: testKey, Op: OpGenerate,
		Model: "m", BodyParts: parts, BodyHold: hold, AllowLocal: true}
	resp, err := c.Send(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h, r := hold.held.Load(), hold.released.Load(); h != 1 || r != 0 {
		t.Fatalf("after Send: held %d, released %d; want 1, 0 (the transport has not read the body yet)", h, r)
	}
	close(late.readNow)
	if got := <-late.got; !bytes.Equal(got, whole) {
		t.Fatalf("the transport read %q, want %q", got, whole)
	}
	if r := hold.released.Load(); r != 1 {
		t.Fatalf("released %d times after the body was closed, want 1", r)
	}
}

// Through the real transport, every send holds the body once and the
// hold is released once, a failed send (refused connection) included.
func TestBodyHoldReleasedOnceEverySend(t *testing.T) {
	big := bytes.Repeat([]byte("y"), 200<<10)
	parts := [][]byte{[]byte(`{"model":"m","x":"`), big, []byte(`"}`)}
	srv := newUpstream(t, okJSON)
	c := newTestClient(t, ClientOptions{})
	hold := &countHold{}
	for i, base := range []string{srv.URL, srv.URL, "http://127.0.0.1:1"} {
		call := &Call{Entry: entryFor(dialect.Anthropic, base, AuthXAPIKey), APIKey: testKey, Op: OpGenerate,
			Model: "m", BodyParts: parts, BodyHold: hold, AllowLocal: true}
		resp, err := c.Send(context.Background(), call)
		if (err == nil) != (i < 2) {
			t.Fatalf("send %d: %v", i, err)
		}
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for hold.released.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if h, r := hold.held.Load(), hold.released.Load(); h != 3 || r != 3 {
		t.Fatalf("held %d, released %d; want 3 and 3", h, r)
	}
	if !bytes.Equal(bytes.Join(parts, nil)[18:18+len(big)], big) {
		t.Fatal("sending changed the parts")
	}
}
