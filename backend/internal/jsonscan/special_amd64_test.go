package jsonscan

import "testing"

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
