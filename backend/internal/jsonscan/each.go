package jsonscan

import (
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Each is gjson's Result.ForEach for a value that is known to be valid
// JSON (the decoders validate the whole body first; on anything else it
// stops early, never panics): it calls f with each
// member of an object (key and value) or element of an array (an empty key),
// or once with r itself when r is not a container, and stops when f returns
// false. The results equal gjson's, Index aside (always 0), but nested
// values are skipped a word or a vector at a time instead of byte by byte: a
// decoder walking a conversation level by level (messages, blocks, fields)
// passes over the long strings once per level, so that pass must be cheap.
func Each(r gjson.Result, f func(key, value gjson.Result) bool) { (*Walker)(nil).Each(r, f) }

// Walker is Each with an arena for the strings it decodes: a string with
// escapes (most of a coding agent's text has "\n" or "\"") is decoded into
// a shared block rather than allocated and copied on its own, so the
// decoded conversation costs about its own size once. The strings share
// the arena's memory (never changed once handed out). A nil *Walker
// decodes each string separately, as gjson does.
//
// A Walker also remembers where the containers and long strings it has
// skipped end (spans): a decoder walks a conversation level by level
// (messages, then each message's blocks, then each block's fields), and
// without them every level would scan its part of the body again. A
// Walker serves one body at a time (spans are addresses in it): use a new
// one, or Reset, for the next.
type Walker struct {
	buf   []byte
	spans []span // in order of start; end 0 while a container is open
	// body is the length of the outermost value walked or scanned: the
	// decoded strings of a small body never need a whole arena block.
	body int
	hint int // where the last seek ended
	// lentTo, lentAs: spans are also the entry lentAs of lentTo
	// (ScanPrefixed). The next body gets a table of its own, and the
	// entry, no longer read through w, may hand this one to another
	// Walker once it is forgotten.
	lentTo *Prefixes
	lentAs *prefixEntry
}

// span is where a value starts and ends, as addresses in the body.
type span struct{ start, end uintptr }

// spanEvery is about how many body bytes there are per span.
const spanEvery = 192

// minSpan is the shortest string worth remembering (a shorter one is
// cheaper to scan again than to look up).
const minSpan = 128

// Reset prepares w for another body (the arena's strings stay valid).
func (w *Walker) Reset() {
	if w.lentAs != nil {
		w.lentTo.release(w.lentAs)
		w.spans, w.lentTo, w.lentAs = nil, nil, nil
	}
	w.spans, w.hint = w.spans[:0], 0
}

// prepare resets w for scanning b, its span table sized for b.
func (w *Walker) prepare(b []byte) {
	w.Reset()
	w.body = len(b)
	if want := len(b)/spanEvery + 16; cap(w.spans) < want {
		w.spans = make([]span, 0, want)
	}
}

// Release readies w to be kept for reuse by another goroutine: the spans
// are forgotten and the arena let go (the strings decoded into it stay
// valid, owned by whoever holds them). It returns the span table's
// capacity, for a pool to decide whether w is worth keeping.
func (w *Walker) Release() int {
	w.buf, w.body = nil, 0
	w.Reset()
	return cap(w.spans)
}

// arenaBlock is the arena's allocation unit (a longer string gets a block
// of its own size).
const arenaBlock = 64 << 10

// Each is the package's Each, decoding strings into w's arena.
func (w *Walker) Each(r gjson.Result, f func(key, value gjson.Result) bool) {
	if !r.Exists() {
		return
	}
	if r.Type != gjson.JSON {
		f(gjson.Result{}, r)
		return
	}
	raw := r.Raw
	i := skipWSs(raw, 0)
	if i >= len(raw) || (raw[i] != '{' && raw[i] != '[') {
		return
	}
	obj := raw[i] == '{'
	i++
	base := uintptr(unsafe.Pointer(unsafe.StringData(raw)))
	if w != nil && w.spans == nil {
		// Sized once from the first (outermost) value: agent bodies have
		// about one container or long string per 200 bytes, and growing
		// the slice 1.25× at a time would allocate five times its size.
		w.spans = make([]span, 0, len(raw)/spanEvery+16)
	}
	if w != nil && w.body == 0 {
		w.body = len(raw)
	}
	cur := w.seek(base + uintptr(i))
	for {
		i = skipWSs(raw, i)
		if i >= len(raw) || raw[i] == '}' || raw[i] == ']' {
			return
		}
		if raw[i] == ',' {
			i = skipWSs(raw, i+1)
		}
		var key gjson.Result
		if obj {
			end := endStringS(raw, i+1)
			if end < 0 {
				return
			}
			key = w.stringResult(raw[i:end])
			i = skipWSs(raw, end)
			if i >= len(raw) || raw[i] != ':' {
				return
			}
			i = skipWSs(raw, i+1)
		}
		var end int
		end, cur = w.endValue(raw, base, i, cur)
		if end <= i { // malformed: stop rather than guess
			return
		}
		if !f(key, w.result(raw[i:end])) {
			return
		}
		i = end
	}
}

// seek is the index of the first span starting at or after addr.
func (w *Walker) seek(addr uintptr) int {
	if w == nil {
		return 0
	}
	lo, hi := 0, len(w.spans)
	// Decoders walk the body forward: the answer is usually the last one
	// or a few spans after it.
	if h := w.hint; h < hi && w.spans[h].start <= addr {
		for lo = h; lo < hi && lo < h+4; lo++ {
			if w.spans[lo].start >= addr {
				w.hint = lo
				return lo
			}
		}
	}
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if w.spans[m].start < addr {
			lo = m + 1
		} else {
			hi = m
		}
	}
	w.hint = lo
	return lo
}

// endValue is the index after the value at raw[i] (base is raw's address):
// a span remembered from an earlier scan when there is one (cur moves
// forward through the spans, which are in address order), else a scan
// that remembers what it skips when it covers a part of the body no scan
// has yet.
func (w *Walker) endValue(raw string, base uintptr, i, cur int) (int, int) {
	if w == nil {
		return endValue(raw, i), 0
	}
	addr := base + uintptr(i)
	for cur < len(w.spans) && w.spans[cur].start < addr {
		cur++
	}
	if cur < len(w.spans) && w.spans[cur].start == addr && w.spans[cur].end != 0 {
		return int(w.spans[cur].end - base), cur
	}
	if n := len(w.spans); n > 0 && w.spans[n-1].start >= addr {
		return endValue(raw, i), cur // inside what was scanned: a value too small to remember
	}
	// What record appends starts inside this value; the next value is after it.
	return w.record(raw, base, i), len(w.spans)
}

// record is endValue for a part of the body not scanned yet: it appends a
// span for every container and long string it passes (nothing when w is
// nil).
func (w *Walker) record(raw string, base uintptr, i int) int {
	if i >= len(raw) {
		return -1
	}
	switch raw[i] {
	case '"':
		return w.recordString(raw, base, i)
	case '{', '[':
	default:
		for j := i; j < len(raw); j++ {
			switch raw[j] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return j
			}
		}
		return len(raw)
	}
	var open [64]int // spans of the open containers (deeper ones are not remembered)
	depth := 0
	for i < len(raw) {
		i = nextStructural(raw, i)
		if i >= len(raw) {
			return -1
		}
		switch raw[i] {
		case '"':
			if i = w.recordString(raw, base, i); i < 0 {
				return -1
			}
			continue
		case '{', '[':
			if w != nil && depth < len(open) {
				open[depth] = len(w.spans)
				w.spans = append(w.spans, span{start: base + uintptr(i)})
			}
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return -1
			}
			if w != nil && depth < len(open) {
				w.spans[open[depth]].end = base + uintptr(i+1)
			}
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return -1
}

// recordString is the index after the string at raw[i] (-1 if malformed),
// remembered when long.
func (w *Walker) recordString(raw string, base uintptr, i int) int {
	end := endStringS(raw, i+1)
	if w != nil && end-i >= minSpan {
		w.spans = append(w.spans, span{base + uintptr(i), base + uintptr(end)})
	}
	return end
}

// Get is Each looking for one member of an object: gjson's Get for a plain
// key (no path syntax) on a valid object.
func Get(r gjson.Result, key string) gjson.Result {
	var out gjson.Result
	Each(r, func(k, v gjson.Result) bool {
		if k.Str == key {
			out = v
			return false
		}
		return true
	})
	return out
}

// result builds the gjson.Result of one raw value.
func (w *Walker) result(raw string) gjson.Result {
	switch raw[0] {
	case '"':
		return w.stringResult(raw)
	case '{', '[':
		return gjson.Result{Type: gjson.JSON, Raw: raw}
	case 't':
		return gjson.Result{Type: gjson.True, Raw: raw}
	case 'f':
		return gjson.Result{Type: gjson.False, Raw: raw}
	case 'n':
		return gjson.Result{Type: gjson.Null, Raw: raw}
	}
	n, _ := strconv.ParseFloat(raw, 64)
	return gjson.Result{Type: gjson.Number, Raw: raw, Num: n}
}

// stringResult is a quoted string's Result: its text shares raw's memory
// unless it has escapes to decode (into w's arena when w is not nil).
func (w *Walker) stringResult(raw string) gjson.Result {
	body := raw[1 : len(raw)-1]
	if i := strings.IndexByte(body, '\\'); i >= 0 {
		if w == nil {
			return gjson.Parse(raw)
		}
		return gjson.Result{Type: gjson.String, Raw: raw, Str: w.unescape(body, i)}
	}
	return gjson.Result{Type: gjson.String, Raw: raw, Str: body}
}

// unescape decodes a valid JSON string's contents (body, first escape at
// i) into the arena. A \u escape of a lone surrogate becomes U+FFFD.
func (w *Walker) unescape(body string, i int) string {
	if cap(w.buf)-len(w.buf) < len(body) { // decoding never lengthens a string
		// A block, or a quarter of a smaller body: in a short request
		// few strings have escapes (the others share the body).
		w.buf = make([]byte, 0, max(min(arenaBlock, max(w.body/4, 1<<10)), len(body)))
	}
	// Written in place: the decoded text is never longer than body (an
	// escape of 2, 6 or 12 bytes decodes to 1 to 4), so the room is there.
	start := len(w.buf)
	b := w.buf[:start+len(body)]
	n := start + copy(b[start:], body[:i])
	for i < len(body) { // body[i] is a backslash
		e := body[i+1]
		i += 2
		switch e {
		case 'n':
			b[n] = '\n'
		case 't':
			b[n] = '\t'
		case 'r':
			b[n] = '\r'
		case 'b':
			b[n] = '\b'
		case 'f':
			b[n] = '\f'
		case 'u':
			r := hexRune(body[i : i+4])
			i += 4
			if utf16.IsSurrogate(r) && i+6 <= len(body) && body[i] == '\\' && body[i+1] == 'u' {
				if r2 := hexRune(body[i+2 : i+6]); utf16.DecodeRune(r, r2) != utf8.RuneError {
					r = utf16.DecodeRune(r, r2)
					i += 6
				}
			}
			n += utf8.EncodeRune(b[n:], r) - 1
		default: // '"', '\\', '/'
			b[n] = e
		}
		n++
		j := i + indexBackslash(body[i:])
		n += copy(b[n:], body[i:j])
		i = j
	}
	w.buf = b[:n]
	if n == start {
		return ""
	}
	return unsafe.String(&b[start], n-start)
}

// indexBackslash is strings.IndexByte(s, '\\'), or len(s) when there is
// none, with the first words checked inline: in agent text the next escape
// is usually a few words away, closer than a call into IndexByte pays off.
func indexBackslash(s string) int {
	i := 0
	for ; i+8 <= len(s) && i < 32; i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		w ^= ones * '\\'
		if m := (w - ones) &^ w & highs; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	if j := strings.IndexByte(s[i:], '\\'); j >= 0 {
		return i + j
	}
	return len(s)
}

func hexRune(h string) rune {
	var r rune
	for i := 0; i < 4; i++ {
		c := h[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// endValue returns the index after the valid JSON value at i, or -1.
func endValue(raw string, i int) int { return (*Walker)(nil).record(raw, 0, i) }

// nextStructural returns the index of the next quote or bracket at or
// after i, outside strings (the caller skips strings).
func nextStructural(raw string, i int) int {
	for ; i < len(raw); i++ {
		switch raw[i] {
		case '"', '{', '[', '}', ']':
			return i
		}
	}
	return i
}

func endStringS(raw string, i int) int {
	return endString(Bytes(raw), i)
}

func skipWSs(raw string, i int) int {
	return skipWS(Bytes(raw), i)
}

// View is b as a string without a copy, for gjson: results share b's
// memory, so b must not change while they are in use.
func View(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// Bytes is View's inverse: s's bytes without a copy, only to be read.
func Bytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
