package responses

import (
	"math"
	"math/rand/v2"
	"strconv"
	"unicode/utf8"
)

// The encoders build JSON by appending to a byte slice: bodies and stream
// frames are flat, their shapes are fixed, and appending avoids reflection
// and the intermediate maps a generic marshaller would need on the hot path.

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Control characters are escaped,
// invalid UTF-8 becomes U+FFFD, and U+2028/U+2029 are escaped so the output
// is also safe inside an SSE data line or a JavaScript context.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

// appendEscaped appends the body of a JSON string (no quotes) for s.
func appendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// appendKey appends `,"key":` (or `"key":` right after an opening brace).
func appendKey(dst []byte, key string) []byte {
	if n := len(dst); n > 0 && dst[n-1] != '{' && dst[n-1] != '[' {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

func appendStringField(dst []byte, key, val string) []byte {
	return appendString(appendKey(dst, key), val)
}

func appendIntField(dst []byte, key string, v int64) []byte {
	return strconv.AppendInt(appendKey(dst, key), v, 10)
}

func appendBoolField(dst []byte, key string, v bool) []byte {
	return strconv.AppendBool(appendKey(dst, key), v)
}

func strconv10(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }

// appendFloat appends f as a JSON number; NaN and infinities (not JSON)
// become null.
func appendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// appendRaw appends a JSON value kept verbatim, or fallback when it is empty.
func appendRaw(dst []byte, raw []byte, fallback string) []byte {
	if len(raw) == 0 {
		return append(dst, fallback...)
	}
	return append(dst, raw...)
}

// newID returns prefix + 32 random hex digits, the shape OpenAI uses for
// response and item ids. It is a variable so tests can make ids stable.
var newID = func(prefix string) string {
	b := make([]byte, 0, len(prefix)+32)
	b = append(b, prefix...)
	for range 2 {
		v := rand.Uint64()
		for range 16 {
			b = append(b, hexDigits[v&0xf])
			v >>= 4
		}
	}
	return string(b)
}
