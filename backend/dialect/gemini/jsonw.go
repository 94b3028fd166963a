package gemini

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. It escapes what JSON requires
// (and U+2028/U+2029, like encoding/json) and replaces invalid UTF-8, so the
// output is always valid JSON and never contains a raw newline (SSE-safe).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
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
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendKey appends `"key":` (key must not need escaping), preceded by a
// comma unless the last byte opens an object.
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

func appendIntField(dst []byte, key string, v int) []byte {
	return strconv.AppendInt(appendKey(dst, key), int64(v), 10)
}

// appendFloat appends a JSON number; NaN and infinities (not JSON) become 0.
func appendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, '0')
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// appendObject appends raw, which should be a JSON object, compacted so it
// never carries a newline. Anything that is not an object becomes {}:
// Gemini's args and response fields are protobuf Structs.
func appendObject(dst []byte, raw []byte) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '{' || !json.Valid(raw) {
		return append(dst, '{', '}')
	}
	if bytes.IndexByte(raw, '\n') < 0 && bytes.IndexByte(raw, '\r') < 0 {
		return append(dst, raw...)
	}
	buf := bytes.NewBuffer(dst)
	if err := json.Compact(buf, raw); err != nil {
		return append(dst, '{', '}')
	}
	return buf.Bytes()
}

// compactRaw copies a raw JSON value without line breaks (spaces are kept:
// they are valid everywhere and harmless in SSE frames; clients send
// compact JSON, so the fast path is a plain copy).
func compactRaw(s string) json.RawMessage {
	if strings.IndexAny(s, "\n\r\t") < 0 {
		return json.RawMessage(s)
	}
	return compactJSON(s)
}

// compactJSON removes all insignificant whitespace (for JSON shown as text).
func compactJSON(s string) json.RawMessage {
	var buf bytes.Buffer
	buf.Grow(len(s))
	if err := json.Compact(&buf, []byte(s)); err != nil {
		return json.RawMessage(s)
	}
	return buf.Bytes()
}
