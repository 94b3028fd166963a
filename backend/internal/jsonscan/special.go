package jsonscan

import (
	"encoding/binary"
	"math/bits"
)

// The byte classes a string scan stops at. A string's contents are most of
// an agent's body, so finding the next of these is the scan's inner loop:
// 32 bytes at a time with AVX2 where the CPU has it (special_amd64.s),
// eight at a time otherwise.
//
// Both classes are "c XOR bias < limit, signed" besides quote and
// backslash: with bias 0x80 and limit 0xa0 that is c < 0x20 unsigned (a
// control character); with bias 0 and limit 0x20 it is c < 0x20 or
// c ≥ 0x80 (a control character or the start of a multi-byte sequence).
const (
	stopBiasCtl, stopLimitCtl   = 0x80, 0xa0
	stopBiasWide, stopLimitWide = 0x00, 0x20
)

// IndexSpecial returns the index of the first quote, backslash or control
// character in b, or len(b): where a JSON string scan must look. Short
// runs, the common case between two escapes of agent text, stay in the
// word loop; the vector loop takes over past two words.
func IndexSpecial(b []byte) int {
	i := 0
	if len(b) >= 16 {
		if m := specialMask(binary.LittleEndian.Uint64(b)); m != 0 {
			return bits.TrailingZeros64(m) >> 3
		}
		if m := specialMask(binary.LittleEndian.Uint64(b[8:])); m != 0 {
			return 8 + bits.TrailingZeros64(m)>>3
		}
		if haveVector && len(b) >= 64 {
			return 16 + vectorTail(b[16:], stopBiasCtl, stopLimitCtl, specialMask)
		}
		i = 16
	}
	for ; i+8 <= len(b); i += 8 {
		if m := specialMask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c == '"' || c == '\\' {
			return i
		}
	}
	return i
}

// IndexEscape returns the index of the first byte of b that a JSON string
// writer cannot copy as is (a quote, backslash, control character or any
// byte ≥ 0x80, which must be checked as UTF-8), or len(b).
func IndexEscape(b []byte) int {
	i := 0
	if len(b) >= 16 {
		if m := escapeMask(binary.LittleEndian.Uint64(b)); m != 0 {
			return bits.TrailingZeros64(m) >> 3
		}
		if m := escapeMask(binary.LittleEndian.Uint64(b[8:])); m != 0 {
			return 8 + bits.TrailingZeros64(m)>>3
		}
		if haveVector && len(b) >= 64 {
			return 16 + vectorTail(b[16:], stopBiasWide, stopLimitWide, escapeMask)
		}
		i = 16
	}
	for ; i+8 <= len(b); i += 8 {
		if m := escapeMask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return i
		}
	}
	return i
}

// vectorTail is the rest of a long run: whole 32-byte blocks in the vector
// loop, then words and bytes.
func vectorTail(b []byte, bias, limit byte, mask func(uint64) uint64) int {
	i := indexStopVector(b, bias, limit)
	if i < len(b)&^31 {
		return i
	}
	for ; i+8 <= len(b); i += 8 {
		if m := mask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if mask(ones*'a'&^0xff|uint64(b[i])) != 0 { // the byte among letters
			return i
		}
	}
	return i
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// specialMask flags (bit 7 of each byte) the quotes, backslashes and
// control characters of w. Each test is the "has a zero / has a byte less
// than n" bit trick; a flag may be wrong only above a true one, so the
// lowest flag is always exact.
func specialMask(w uint64) uint64 {
	ctl := (w - ones*0x20) &^ w
	q := w ^ (ones * '"')
	q = (q - ones) &^ q
	bs := w ^ (ones * '\\')
	bs = (bs - ones) &^ bs
	return (ctl | q | bs) & highs
}

// escapeMask is specialMask that also flags bytes ≥ 0x80.
func escapeMask(w uint64) uint64 { return specialMask(w) | w&highs }
