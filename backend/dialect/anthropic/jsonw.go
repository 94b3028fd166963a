package anthropic

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
	"unsafe"
)

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. It is the hot path of the stream
// encoder (every text delta goes through it), so it copies runs of plain
// bytes at once and escapes only what JSON requires, plus U+2028/U+2029 and
// invalid UTF-8 (as U+FFFD) like encoding/json. Unlike encoding/json it does
// not escape <, > and &: clients parse JSON, not HTML.
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
			dst = appendEscapedByte(dst, c)
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
			dst = append(dst, `\u202`...)
			dst = append(dst, hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendEscapedByte(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	default:
		return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
	}
}

// marshal encodes v without encoding/json's HTML escaping, so prompts full of
// <tags> stay readable and as short as the client sent them.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// unsafeString views b as a string without copying. Only for parsing with
// gjson: any result kept past the current event must be cloned.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// firstByte is the first non-space byte of a JSON value (0 when blank).
func firstByte(raw []byte) byte {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// emptyObject is the input of a tool call without arguments.
var emptyObject = json.RawMessage("{}")

// validObject returns raw when it is a JSON object, else "{}": tool inputs
// must be objects on every wire, and the arguments of a call cut off by
// max_tokens in another dialect can be truncated JSON. Such a call is
// replayed with empty input rather than failing the whole request.
func validObject(raw json.RawMessage) json.RawMessage {
	if firstByte(raw) != '{' || !json.Valid(raw) {
		return emptyObject
	}
	return raw
}
