package gateway

import (
	"bytes"
	"strings"
	"testing"
)

func TestLendBodySizes(t *testing.T) {
	var shelf bodyShelf
	for _, n := range []int{minLentBody, minLentBody + 1, 700 << 10, 1 << 20, maxRequestBody} {
		l := shelf.lend(int64(n))
		if l == nil || cap(l.buf) < n || cap(l.buf) > n+n/8+4096 || cap(l.buf)%4096 != 0 {
			t.Errorf("shelf.lend(%d): cap %d", n, cap(l.buf))
		}
	}
	for _, n := range []int64{-1, 0, 1000, minLentBody - 1, maxRequestBody + 1} {
		if l := shelf.lend(n); l != nil {
			t.Errorf("shelf.lend(%d) lent a buffer", n)
		}
	}
	// A kept buffer serves a body that grew a little, not one it cannot
	// hold, nor one less than half its size.
	l := shelf.lend(700 << 10)
	l.Release()
	for _, c := range []struct {
		n    int64
		same bool
	}{{900 << 10, false}, {300 << 10, false}, {720 << 10, true}} {
		got := shelf.lend(c.n)
		if (got == l) != c.same {
			t.Errorf("a body of %d bytes: lent the kept %d-byte buffer %v, want %v", c.n, cap(l.buf), got == l, c.same)
		}
	}
}

// A buffer is lent again only after its last holder released it, never
// once the exchange decoded the body (keep), and not after quiet drained
// the shelf.
func TestLentBodyComesBackAfterItsLastRelease(t *testing.T) {
	var shelf bodyShelf
	const n = 700 << 10
	held := shelf.lend(n)
	held.Hold() // an upstream request still reading it
	held.Release()
	other := shelf.lend(n)
	if other == held {
		t.Fatal("a buffer an upstream request still reads was lent again")
	}
	other.Release()
	held.Release()
	if a, b := shelf.lend(n), shelf.lend(n); !(a == held && b == other || a == other && b == held) {
		t.Fatal("the released buffers were not lent again")
	}

	kept := shelf.lend(n)
	kept.keep.Store(true)
	kept.Release()
	if l := shelf.lend(n); l == kept {
		t.Fatal("a buffer the decoded request points into was lent again")
	}

	shelved := shelf.lend(n)
	shelved.Release()
	shelf.drain()
	if l := shelf.lend(n); l == shelved {
		t.Fatal("a buffer was lent again after quiet drained the shelf")
	}
}

// The shelf keeps at most maxShelvedBytes of buffers.
func TestBodyShelfIsBounded(t *testing.T) {
	var shelf bodyShelf
	var ls []*lentBody
	for range 40 {
		ls = append(ls, shelf.lend(1<<20))
	}
	for _, l := range ls {
		l.Release()
	}
	size := lentSize(1 << 20)
	if got, want := shelf.bytes.Load(), maxShelvedBytes/size*size; got != want || int64(len(shelf.free)) != want/size {
		t.Fatalf("shelf holds %d bytes in %d buffers, want %d", got, len(shelf.free), want)
	}
}

// A body of known length is read into the lent buffer, the bytes ending
// at its length (nothing appends into the rest); a short one is an error
// and keeps what came.
func TestReadIntoLentBuffer(t *testing.T) {
	var shelf bodyShelf
	body := strings.Repeat("x", 100<<10)
	l := shelf.lend(int64(len(body)))
	b, err := readAllSized(strings.NewReader(body), int64(len(body)), maxRequestBody, l.buf)
	if err != nil || string(b) != body || cap(b) != len(body) || !inside(b, l.buf) {
		t.Fatalf("read: %v, %d bytes, cap %d", err, len(b), cap(b))
	}
	l = shelf.lend(int64(len(body)))
	if b, err = readAllSized(strings.NewReader(body[:5000]), int64(len(body)), maxRequestBody, l.buf); err == nil || !bytes.Equal(b, []byte(body[:5000])) {
		t.Fatalf("short body: %v, %d bytes", err, len(b))
	}
}

func TestInside(t *testing.T) {
	buf := make([]byte, 100)
	other := make([]byte, 100)
	for _, c := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"the start", buf[:10], true}, {"the middle", buf[40:60], true}, {"the last byte", buf[99:], true},
		{"past the end", buf[100:], false}, {"another buffer", other, false}, {"nil", nil, false},
	} {
		if got := inside(c.b, buf); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
