// Package jsonscan checks JSON in one pass, fast enough to run on every
// agent-sized request body (hundreds of KB of conversation, mostly long
// strings), and hands the caller the raw top-level members it walked past,
// so the gateway learns the model and the stream flag without a second scan.
//
// Validity follows RFC 8259 like encoding/json.Valid (a fuzz test holds
// them equal); like it, bytes ≥ 0x80 inside strings are not checked as
// UTF-8 (decoders replace bad sequences). Strings, most of every body, are
// skipped 32 bytes at a time where the CPU allows (special.go).
package jsonscan

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// Valid reports whether b holds exactly one JSON value, whitespace around
// it allowed.
func Valid(b []byte) bool { return Top(b, nil) }

// ValidString is Valid for a string (a tool call's arguments, which
// clients send as a JSON string holding JSON); s is only read.
func ValidString(s string) bool { return Valid(Bytes(s)) }

// Top is Valid that also calls f, when b is an object, with each of its
// members in order: the key as written (between the quotes, escapes kept)
// and the raw value. f runs while the scan goes on: a member is reported
// even when the body turns out invalid further on, so callers act on the
// result only when Top returns true.
func Top(b []byte, f func(key, value []byte)) bool { return Scan(b, f, nil) }

// Scan is Top that also calls str, when not nil, with the contents of
// every string in b, keys included, in order (between the quotes, escapes
// kept): a caller looking for a marker in a body (a tag, a key, a type)
// finds it in the same pass instead of searching all the bytes again.
func Scan(b []byte, f func(key, value []byte), str func(s []byte)) bool {
	return (*Walker)(nil).Scan(b, f, str)
}

// Scan is the package's Scan that also remembers, in w, the spans a
// Walker would record walking b (containers up to 64 deep, long strings):
// a decoder then walks b with w without scanning any of it again. It
// resets w first; w holds b's spans until the next Reset or Scan.
func (w *Walker) Scan(b []byte, f func(key, value []byte), str func(s []byte)) bool {
	return w.scan(b, f, str, nil, nil)
}

// scan is Scan starting at a resume point (from, after restore put the
// spans before it in w) instead of the beginning, and telling rec, when
// not nil, where it could resume later (prefixes.go).
func (w *Walker) scan(b []byte, f func(key, value []byte), str func(s []byte), from *resumeAt, rec *recorder) bool {
	var buf [64]byte // open containers, '{' or '['; deeper bodies grow it
	stack := buf[:0]
	var open [64]int32 // w.spans index of each open container (the first 64)
	var base uintptr
	if w != nil {
		if from == nil {
			w.prepare(b)
		}
		base = uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	}
	var key []byte
	vstart := 0
	var i int
	if from != nil {
		stack = append(stack, from.stack[:from.depth]...)
		copy(open[:], from.open[:from.depth])
		key, vstart, i = b[from.keyAt:from.keyEnd], int(from.vstart), int(from.at)
	} else {
		i = skipWS(b, 0)
	}
	var ok bool
value:
	for {
		if i >= len(b) {
			return false
		}
		if len(stack) == 1 && stack[0] == '{' {
			vstart = i
		}
		switch c := b[i]; c {
		case '{', '[':
			at := i
			i = skipWS(b, i+1)
			if i < len(b) && b[i] == c+2 { // '}' and ']' follow their openers by 2
				i++
				break
			}
			if w != nil && len(stack) < len(open) {
				open[len(stack)] = int32(len(w.spans))
				w.spans = append(w.spans, span{start: base + uintptr(at)})
			}
			stack = append(stack, c)
			if c == '{' {
				if i, ok = memberKey(b, i, len(stack) == 1, &key, str); !ok {
					return false
				}
			}
			continue value
		case '"':
			start := i + 1
			if i = endString(b, start); i < 0 {
				return false
			}
			if str != nil {
				str(b[start : i-1])
			}
			if w != nil && i-start+1 >= minSpan {
				w.spans = append(w.spans, span{base + uintptr(start-1), base + uintptr(i)})
			}
		case 't':
			if i = literal(b, i, "true"); i < 0 {
				return false
			}
		case 'f':
			if i = literal(b, i, "false"); i < 0 {
				return false
			}
		case 'n':
			if i = literal(b, i, "null"); i < 0 {
				return false
			}
		default:
			if i = endNumber(b, i); i < 0 {
				return false
			}
		}
		// A value ended at i: report it if it was a top-level member, then
		// close every container that ends here.
		for {
			if len(stack) == 1 && stack[0] == '{' {
				if f != nil {
					f(key, b[vstart:i])
				}
				if rec != nil {
					rec.top(b, key, vstart, i)
					// The rest may be a remembered body's end (splice).
					if rec.tail.e != nil && i == rec.tail.at && rec.notes.State() == rec.tail.e.tails[rec.tail.j].notes {
						w.splice(b, f, rec, open[0])
						return true
					}
				}
			}
			if len(stack) == 0 {
				return skipWS(b, i) == len(b)
			}
			if i = skipWS(b, i); i >= len(b) {
				return false
			}
			opener := stack[len(stack)-1]
			if b[i] == ',' {
				i = skipWS(b, i+1)
				if opener == '{' {
					if i, ok = memberKey(b, i, len(stack) == 1, &key, str); !ok {
						return false
					}
				} else if rec != nil && i-rec.last >= pointEvery {
					rec.point(b, i, stack, key, vstart)
				}
				continue value
			}
			if b[i] != opener+2 {
				return false
			}
			stack = stack[:len(stack)-1]
			i++
			if w != nil && len(stack) < len(open) {
				w.spans[open[len(stack)]].end = base + uintptr(i)
			}
		}
	}
}

// memberKey reads `"key" :` at i and returns where the value starts; the
// key goes to *key when keep is set (a top-level member), and to str.
func memberKey(b []byte, i int, keep bool, key *[]byte, str func([]byte)) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	end := endString(b, i+1)
	if end < 0 {
		return i, false
	}
	if keep {
		*key = b[i+1 : end-1]
	}
	if str != nil {
		str(b[i+1 : end-1])
	}
	i = skipWS(b, end)
	if i >= len(b) || b[i] != ':' {
		return i, false
	}
	return skipWS(b, i+1), true
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// endString returns the index after the closing quote of the string whose
// contents start at i, or -1 when the string is malformed or unterminated.
func endString(b []byte, i int) int {
	if haveVector {
		return endStringBlocks(b, i)
	}
	return endStringStops(b, i)
}

// endStringBlocks is endString 64 bytes at a time. Agent text has an escape
// every few dozen bytes (newlines, tabs, quotes in code), so stopping at
// each one costs more than reading: a block's masks (stringMasks) answer
// for all of its escapes at once. Which bytes are escaped follows from the
// backslash runs: the byte after a run of odd length is. A block never
// starts inside an escape: when a run touches a block's last byte (its
// pairing depends on what follows), the block ends before the run.
func endStringBlocks(b []byte, i int) int {
	// Keys, types and ids end within a word.
	if i+8 <= len(b) {
		if m := specialMask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			if p := i + bits.TrailingZeros64(m)>>3; b[p] == '"' {
				return p + 1
			}
		}
	}
	const even, odd = 0x5555555555555555, 0xaaaaaaaaaaaaaaaa
	for len(b)-i >= 64 {
		quote, bslash, ctl, nt := stringMasks(&b[i])
		n := 64 // the bytes of the block this round reads
		if bslash>>63 != 0 {
			n -= bits.LeadingZeros64(^bslash)
			if n == 0 { // 64 backslashes in a row
				break
			}
			keep := uint64(1)<<n - 1
			quote, bslash, ctl, nt = quote&keep, bslash&keep, ctl&keep, nt&keep
		}
		starts := bslash &^ (bslash << 1)
		escaped := (bslash+starts&even)&^bslash&odd | (bslash+starts&odd)&^bslash&even
		end := quote &^ escaped
		before := uint64(1)<<n - 1 // the string's bytes in the block
		if end != 0 {
			before = end&-end - 1
		}
		if ctl&before != 0 {
			return -1
		}
		// Escaped quotes, backslashes, n and t are valid; the rest is checked
		// one by one.
		for rare := escaped & before &^ (quote | bslash | nt); rare != 0; rare &= rare - 1 {
			j := i + bits.TrailingZeros64(rare)
			switch b[j] {
			case '/', 'b', 'f', 'r':
			case 'u': // hex digits are plain bytes to the masks
				if j+5 > len(b) || !hex4(b[j+1:j+5]) {
					return -1
				}
			default:
				return -1
			}
		}
		if end != 0 {
			return i + bits.TrailingZeros64(end) + 1
		}
		i += n
	}
	return endStringStops(b, i)
}

// endStringStops is endString stopping at every quote, backslash or
// control character.
func endStringStops(b []byte, i int) int {
	for {
		i = nextSpecial(b, i)
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !hex4(b[i+2:i+6]) {
					return -1
				}
				i += 6
			default:
				return -1
			}
		default: // a control character
			return -1
		}
	}
}

// nextSpecial returns the index of the first quote, backslash or control
// character at or after i, or i itself when it is at or past the end
// (callers then report the string unterminated).
func nextSpecial(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	return i + IndexSpecial(b[i:])
}

func hex4(h []byte) bool {
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func literal(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// endNumber returns the index after the number at i, or -1:
// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func endNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}
