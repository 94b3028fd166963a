package jsonscan

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// The vector loop alone, on every alignment of the block it stops in (the
// public functions reach it only past their first words).
func TestIndexStopVector(t *testing.T) {
	if !haveVector {
		t.Skip("SKIP: this CPU has no AVX2; the portable loop is tested by TestIndexStopEveryByte")
	}
	b := make([]byte, 96)
	for i := range b {
		b[i] = 'x'
	}
	if got := indexStopVector(b, stopBiasCtl, stopLimitCtl); got != 96 {
		t.Fatalf("no stop: got %d, want 96", got)
	}
	if got := indexStopVector(b[:95], stopBiasCtl, stopLimitCtl); got != 64 {
		t.Fatalf("partial block: got %d, want 64 (whole blocks only)", got)
	}
	for pos := range b {
		for _, c := range []byte{'"', '\\', 0, 0x1f, 0x80, 0xff} {
			b[pos] = c
			wantCtl, wantWide := pos, pos
			if c >= 0x80 {
				wantCtl = 96
			}
			if got := indexStopVector(b, stopBiasCtl, stopLimitCtl); got != wantCtl {
				t.Fatalf("ctl class, %#x at %d: got %d, want %d", c, pos, got, wantCtl)
			}
			if got := indexStopVector(b, stopBiasWide, stopLimitWide); got != wantWide {
				t.Fatalf("wide class, %#x at %d: got %d, want %d", c, pos, got, wantWide)
			}
			b[pos] = 'x'
		}
	}
}

// The portable loops on long runs, as CPUs without AVX2 (and other
// architectures) run them.
func TestIndexStopWithoutVector(t *testing.T) {
	saved := haveVector
	haveVector = false
	defer func() { haveVector = saved }()
	TestIndexStopEveryByte(t)
	TestIndexStopRandom(t)
}

// The block scan against the stop-by-stop scan, with each kind of escape,
// quote and control character at every position of strings that span up
// to three blocks, so every escape that straddles a block edge is met.
func TestEndStringBlocks(t *testing.T) {
	if !haveVector {
		t.Skip("SKIP: this CPU has no AVX2; endString runs stop by stop (TestIndexStopWithoutVector)")
	}
	pieces := []string{`"`, `\"`, `\\`, `\/`, `\n`, `\t`, `\r`, `\b`, `\f`, `\u00e9`, `\uD83D\uDE00`, "\x00", "\x1f",
		`\x`, `\N`, `\u12`, `\u12G4`, `\u12"4`, `\`, `\\\"`, `\\\\\n`, "é", `\"\"\"`}
	for _, k := range []int{63, 64, 65, 66, 127, 128, 129} { // runs as long as a block
		pieces = append(pieces, strings.Repeat(`\`, k), strings.Repeat(`\`, k)+`"`)
	}
	for n := 0; n <= 200; n++ {
		base := make([]byte, n)
		for i := range base {
			base[i] = 'a' + byte(i%26)
		}
		for _, piece := range pieces {
			for pos := 0; pos <= n; pos++ {
				s := append(append(append([]byte{}, base[:pos]...), piece...), base[pos:]...)
				for _, tail := range []string{`"`, `","k":"v"}`, ``, `\`} {
					b := append(append([]byte{'"'}, s...), tail...)
					if got, want := endStringBlocks(b, 1), endStringStops(b, 1); got != want {
						t.Fatalf("%q: blocks %d, stops %d", b, got, want)
					}
				}
			}
		}
	}
}

// Runs of escapes, the shape of code in a tool result, over block edges.
func TestEndStringBlocksRandom(t *testing.T) {
	if !haveVector {
		t.Skip("SKIP: this CPU has no AVX2")
	}
	r := rand.New(rand.NewPCG(7, 19))
	alphabet := []string{"a", "b", " ", `\n`, `\t`, `\"`, `\\`, `\u0041`, `\/`, "é", `"`, "\x01", `\q`}
	for range 20000 {
		var b []byte
		b = append(b, '"')
		for k := r.IntN(300); k > 0; k-- {
			w := r.IntN(len(alphabet) - 3)
			if r.IntN(200) == 0 { // now and then something that ends or breaks the string
				w = len(alphabet) - 3 + r.IntN(3)
			}
			b = append(b, alphabet[w]...)
		}
		b = append(b, `"}`...)
		if got, want := endStringBlocks(b, 1), endStringStops(b, 1); got != want {
			t.Fatalf("%q: blocks %d, stops %d", b, got, want)
		}
	}
}
