// Package jsonw appends JSON to byte slices by hand for the codecs' hot
// paths (per-delta stream frames), where encoding/json would allocate. The
// output matches encoding/json's escaping (invalid UTF-8 becomes U+FFFD,
// U+2028/U+2029 are escaped) and never contains a raw newline, so it is
// always safe inside an SSE data line.
package jsonw

import (
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string literal. strconv.AppendQuote is
// not used because its \x and \a escapes are not JSON. Invalid UTF-8 becomes
// U+FFFD and U+2028/U+2029 are escaped, as encoding/json does.
func AppendString[T ~string | ~[]byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	dst = AppendStringBody(dst, s)
	return append(dst, '"')
}

// AppendStringBody appends s escaped for JSON, without the quotes. Runs
// that need no escaping (most of an agent's text) are found by
// jsonscan.IndexEscape, many bytes at a time, and copied whole.
func AppendStringBody[T ~string | ~[]byte](dst []byte, s T) []byte {
	b := bytesView(s)
	start := 0
	for i := 0; i < len(b); {
		i += jsonscan.IndexEscape(b[i:])
		if i >= len(b) {
			break
		}
		c := b[i]
		if c < utf8.RuneSelf {
			dst = append(dst, b[start:i]...)
			dst = appendEscapedASCII(dst, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(b[i:min(i+utf8.UTFMax, len(b))])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			dst = append(dst, b[start:i]...)
			if r == utf8.RuneError {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, `\u202`...)
				dst = append(dst, hexDigits[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, b[start:]...)
}

// bytesView is s's bytes without a copy: a string's header and a slice's
// both start with the data pointer and the length. Only read from it.
func bytesView[T ~string | ~[]byte](s T) []byte {
	str := *(*string)(unsafe.Pointer(&s))
	return unsafe.Slice(unsafe.StringData(str), len(str))
}

// AppendText appends a block's Text as a JSON string literal: the bytes
// the client's JSON wrote when a decoder kept them (ir.Escaped) and they
// are valid UTF-8, else Text escaped. Both decode to the same text.
func AppendText(dst []byte, b *ir.Block) []byte {
	dst = append(dst, '"')
	dst = appendTextBody(dst, b)
	return append(dst, '"')
}

// AppendJoined appends, as one JSON string literal, the non-empty Text of
// the blocks of type typ joined with sep (each block as AppendText writes
// it, so long texts are copied, not joined and escaped again).
func AppendJoined(dst []byte, blocks []ir.Block, typ ir.BlockType, sep string) []byte {
	dst = append(dst, '"')
	first := true
	for i := range blocks {
		if blocks[i].Type != typ || blocks[i].Text == "" {
			continue
		}
		if !first {
			dst = AppendStringBody(dst, sep)
		}
		first = false
		dst = appendTextBody(dst, &blocks[i])
	}
	return append(dst, '"')
}

func appendTextBody(dst []byte, b *ir.Block) []byte {
	if raw, ok := b.EscapedText(); ok && utf8.ValidString(raw) {
		return append(dst, raw...)
	}
	return AppendStringBody(dst, b.Text)
}

func appendEscapedASCII(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// AppendRaw appends a raw JSON value, or fallback when raw is empty or not
// valid JSON (an IR built by another codec must never make our body invalid).
func AppendRaw(dst, raw []byte, fallback string) []byte {
	if len(raw) == 0 || !jsonscan.Valid(raw) {
		return append(dst, fallback...)
	}
	return append(dst, raw...)
}

// AppendFloat appends f as a JSON number (NaN and infinities, which JSON
// cannot carry, become 0).
func AppendFloat(dst []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, '0')
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

// AppendKey appends `,"key":` (or `"key":` for the first field of an
// object, when dst ends with '{').
func AppendKey(dst []byte, key string) []byte {
	if n := len(dst); n > 0 && dst[n-1] != '{' && dst[n-1] != '[' {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

// AppendStringField appends `,"key":"val"`.
func AppendStringField(dst []byte, key, val string) []byte {
	return AppendString(AppendKey(dst, key), val)
}

// AppendIntField appends `,"key":n`.
func AppendIntField(dst []byte, key string, v int64) []byte {
	return strconv.AppendInt(AppendKey(dst, key), v, 10)
}

// AppendBoolField appends `,"key":true|false`.
func AppendBoolField(dst []byte, key string, v bool) []byte {
	return strconv.AppendBool(AppendKey(dst, key), v)
}
