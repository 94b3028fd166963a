package jsonscan

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// naiveStop is the definition the fast paths must agree with.
func naiveStop(b []byte, wide bool) int {
	for i, c := range b {
		if c < 0x20 || c == '"' || c == '\\' || wide && c >= 0x80 {
			return i
		}
	}
	return len(b)
}

func checkStop(t *testing.T, b []byte) {
	t.Helper()
	if got, want := IndexSpecial(b), naiveStop(b, false); got != want {
		t.Fatalf("IndexSpecial(%q) = %d, want %d", b, got, want)
	}
	if got, want := IndexEscape(b), naiveStop(b, true); got != want {
		t.Fatalf("IndexEscape(%q) = %d, want %d", b, got, want)
	}
}

// Every byte value at every position of runs up to 100 bytes long (both
// sides of the 8- and 32-byte steps), on plain text and after an earlier
// stop byte.
func TestIndexStopEveryByte(t *testing.T) {
	for n := 0; n <= 100; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(i%26)
		}
		checkStop(t, b)
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				old := b[pos]
				b[pos] = byte(c)
				checkStop(t, b)
				if pos+1 < n { // a second stop after the first never wins
					o2 := b[n-1]
					b[n-1] = '"'
					checkStop(t, b)
					b[n-1] = o2
				}
				b[pos] = old
			}
		}
	}
}

func TestIndexStopRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(600))
		for i := range b {
			b[i] = byte(0x20 + r.IntN(0x5f))
			if b[i] == '"' || b[i] == '\\' {
				b[i] = 'x'
			}
		}
		if len(b) > 0 && r.IntN(4) > 0 {
			b[r.IntN(len(b))] = byte(r.IntN(256))
		}
		checkStop(t, b)
	}
}

func FuzzIndexStop(f *testing.F) {
	f.Add([]byte("plain text that runs past thirty-two bytes, then a \"quote"))
	f.Add([]byte("ünïcödé and a tab\tafter forty bytes of ascii text here"))
	f.Fuzz(func(t *testing.T, b []byte) { checkStop(t, b) })
}

func TestIndexBackslash(t *testing.T) {
	for n := 0; n <= 80; n++ {
		b := []byte(strings.Repeat("x", n))
		if got := indexBackslash(string(b)); got != n {
			t.Fatalf("none in %d bytes: got %d", n, got)
		}
		for pos := 0; pos < n; pos++ {
			for _, c := range []byte{'\\', 0x5c ^ 0x01, 0xdc, 0} {
				b[pos] = c
				want := strings.IndexByte(string(b), '\\')
				if want < 0 {
					want = n
				}
				if got := indexBackslash(string(b)); got != want {
					t.Fatalf("%q: got %d, want %d", b, got, want)
				}
				b[pos] = 'x'
			}
		}
	}
}
