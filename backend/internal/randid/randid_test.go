package randid

import (
	"strings"
	"testing"
)

func TestHexShape(t *testing.T) {
	for _, digits := range []int{0, 1, 15, 16, 17, 24, 32} {
		id := Hex("call_", digits)
		if !strings.HasPrefix(id, "call_") || len(id) != len("call_")+digits {
			t.Fatalf("Hex(call_, %d) = %q: want the prefix and %d digits", digits, id, digits)
		}
		if strings.Trim(id[len("call_"):], hexDigits) != "" {
			t.Fatalf("Hex(call_, %d) = %q: not lowercase hex", digits, id)
		}
	}
}

// The ids must not repeat: 100,000 of the gateway's 16-digit request ids
// collide with odds of about 3e-10.
func TestHexUnique(t *testing.T) {
	seen := make(map[string]bool, 100_000)
	for range 100_000 {
		id := Hex("req_", 16)
		if seen[id] {
			t.Fatalf("%q came twice", id)
		}
		seen[id] = true
	}
	// Every digit position varies (a generator stuck on part of its word
	// would leave a column constant).
	for pos := range 16 {
		col := map[byte]bool{}
		for id := range seen {
			col[id[len("req_")+pos]] = true
		}
		if len(col) != 16 {
			t.Fatalf("digit %d takes %d values over 100,000 ids, want 16", pos, len(col))
		}
	}
}

// One allocation: the id itself.
func TestHexAllocatesOnce(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = Hex("chatcmpl-", 24) }); n != 1 {
		t.Fatalf("Hex allocated %v times, want 1", n)
	}
}
