package anthropic

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A minimal scanner for the stream decoder's hot path (content_block_delta,
// most of every stream). It finds a top-level field of a JSON object without
// unescaping anything else, so a text delta costs one allocation: its
// decoded text. Malformed input yields "" (never a panic); the caller treats
// that like a missing field.

// field returns the raw value of key in the JSON object obj (the first
// match; the rest of the object is not checked).
func field(obj, key string) string {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return ""
	}
	i++
	for {
		i = skipWS(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			return ""
		}
		kEnd := endString(obj, i)
		if kEnd < 0 {
			return ""
		}
		k := obj[i+1 : kEnd-1]
		i = skipWS(obj, kEnd)
		if i >= len(obj) || obj[i] != ':' {
			return ""
		}
		i = skipWS(obj, i+1)
		vEnd := endValue(obj, i)
		if vEnd < 0 {
			return ""
		}
		if k == key {
			return obj[i:vEnd]
		}
		i = skipWS(obj, vEnd)
		if i >= len(obj) || obj[i] != ',' {
			return ""
		}
		i++
	}
}

func skipWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// endString returns the index just past the string starting at s[i] == '"'.
func endString(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// endValue returns the index just past the value starting at s[i].
func endValue(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch s[i] {
	case '"':
		return endString(s, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				if j = endString(s, j); j < 0 {
					return -1
				}
				j--
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(s) && !strings.ContainsRune(",}] \t\r\n", rune(s[j])) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// name strips the quotes of a raw JSON string without decoding it (for
// comparing against known names, which have no escapes).
func name(raw string) string {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		return raw[1 : len(raw)-1]
	}
	return ""
}

// fieldInt reads a top-level integer field; -1 when missing or malformed.
func fieldInt(obj, key string) int {
	n, err := strconv.Atoi(field(obj, key))
	if err != nil {
		return -1
	}
	return n
}

// unquote decodes a raw JSON string (quotes included) into a new string,
// with one allocation. It returns "" when raw is not a string.
func unquote(raw string) string {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return ""
	}
	body := raw[1 : len(raw)-1]
	if strings.IndexByte(body, '\\') < 0 {
		return strings.Clone(body)
	}
	var b strings.Builder
	b.Grow(len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' || i+1 >= len(body) {
			b.WriteByte(c)
			continue
		}
		i++
		switch body[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			var r rune
			r, i = unicodeEscape(body, i)
			b.WriteRune(r)
		default: // \" \\ \/ and anything unexpected: the byte itself
			b.WriteByte(body[i])
		}
	}
	return b.String()
}

// unicodeEscape reads \uXXXX (s[i] == 'u'), joining a surrogate pair, and
// returns the rune and the index of its last byte.
func unicodeEscape(s string, i int) (rune, int) {
	r1, ok := hex4(s, i+1)
	if !ok {
		return utf8.RuneError, i
	}
	i += 4
	if utf16.IsSurrogate(r1) {
		if i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
			if r2, ok := hex4(s, i+3); ok {
				if r := utf16.DecodeRune(r1, r2); r != utf8.RuneError {
					return r, i + 6
				}
			}
		}
		return utf8.RuneError, i
	}
	return r1, i
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
