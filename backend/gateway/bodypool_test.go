package gateway

import (
	"bytes"
	"strings"
	"testing"
)

func TestBodyClass(t *testing.T) {
	for _, c := range []struct{ n, class int }{
		{minLentBody, 0}, {minLentBody + 1, 1}, {128 << 10, 1}, {700 << 10, 4}, {1 << 20, 4}, {maxRequestBody, bodyClasses - 1},
	} {
		if got := bodyClass(c.n); got != c.class {
			t.Errorf("bodyClass(%d) = %d, want %d", c.n, got, c.class)
		}
		if l := lendBody(int64(c.n)); l == nil || cap(l.buf) < c.n || cap(l.buf) >= 2*c.n && c.n > minLentBody {
			t.Errorf("lendBody(%d): %v", c.n, l)
		}
	}
	for _, n := range []int64{-1, 0, 1000, minLentBody - 1, maxRequestBody + 1} {
		if l := lendBody(n); l != nil {
			t.Errorf("lendBody(%d) lent a buffer", n)
		}
	}
}

// A buffer is lent again only after its last holder released it, and
// never once the exchange decoded the body (keep).
func TestLentBodyComesBackAfterItsLastRelease(t *testing.T) {
	const n = 700 << 10
	held := lendBody(n)
	held.Hold() // an upstream request still reading it
	held.Release()
	for range 20 {
		if l := lendBody(n); l == held {
			t.Fatal("a buffer an upstream request still reads was lent again")
		}
	}
	held.Release()
	back := false
	for i := 0; i < 50 && !back; i++ { // sync.Pool may drop a Put (always possible under -race)
		l := lendBody(n)
		back = l == held
		l.Release()
	}
	if !back {
		t.Fatal("a released buffer was never lent again")
	}

	kept := lendBody(n)
	kept.keep.Store(true)
	kept.Release()
	for range 50 {
		l := lendBody(n)
		if l == kept {
			t.Fatal("a buffer the decoded request points into was lent again")
		}
		l.Release()
	}
}

func TestLentBodyRead(t *testing.T) {
	body := strings.Repeat("x", 100<<10)
	l := lendBody(int64(len(body)))
	b, err := l.read(strings.NewReader(body), int64(len(body)))
	if err != nil || string(b) != body || cap(b) != len(body) {
		t.Fatalf("read: %v, %d bytes, cap %d", err, len(b), cap(b))
	}
	l = lendBody(int64(len(body)))
	if b, err = l.read(strings.NewReader(body[:5000]), int64(len(body))); err == nil || !bytes.Equal(b, []byte(body[:5000])) {
		t.Fatalf("short body: %v, %d bytes", err, len(b))
	}
}
