// Package randid makes the ids the gateway hands out: request ids, and the
// message, response and tool call ids a translation invents when the
// upstream gave none. They only need to be unique, not secret, so they come
// from the runtime's per-thread generator (math/rand/v2). crypto/rand asks
// the kernel (getrandom, through the vDSO where it can), and that call grew
// the fresh goroutine that logged a stream's row: runtime.copystack, about
// 5 µs a request in BenchmarkSmallRoundTrip's profile.
package randid

import (
	"math/rand/v2"
	"strings"
)

const hexDigits = "0123456789abcdef"

// Hex returns prefix followed by digits random lowercase hex digits.
func Hex(prefix string, digits int) string {
	var b strings.Builder
	b.Grow(len(prefix) + digits)
	b.WriteString(prefix)
	for digits > 0 {
		v := rand.Uint64()
		for i := 0; i < 16 && digits > 0; i++ {
			b.WriteByte(hexDigits[v&0xf])
			v >>= 4
			digits--
		}
	}
	return b.String()
}
