package jsonscan

import (
	"strconv"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Each is gjson's Result.ForEach for a value that is known to be valid
// JSON (the decoders validate the whole body first; on anything else it
// stops early, never panics): it calls f with each
// member of an object (key and value) or element of an array (an empty key),
// or once with r itself when r is not a container, and stops when f returns
// false. The results equal gjson's, Index aside (always 0), but nested
// values are skipped eight bytes at a time instead of byte by byte: a
// decoder walking a conversation level by level (messages, blocks, fields)
// passes over the long strings once per level, so that pass must be cheap.
func Each(r gjson.Result, f func(key, value gjson.Result) bool) {
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
			key = stringResult(raw[i:end])
			i = skipWSs(raw, end)
			if i >= len(raw) || raw[i] != ':' {
				return
			}
			i = skipWSs(raw, i+1)
		}
		end := endValue(raw, i)
		if end <= i { // malformed: stop rather than guess
			return
		}
		if !f(key, result(raw[i:end])) {
			return
		}
		i = end
	}
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
func result(raw string) gjson.Result {
	switch raw[0] {
	case '"':
		return stringResult(raw)
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
// unless it has escapes to decode.
func stringResult(raw string) gjson.Result {
	body := raw[1 : len(raw)-1]
	for i := 0; i < len(body); i++ {
		if body[i] == '\\' {
			return gjson.Parse(raw)
		}
	}
	return gjson.Result{Type: gjson.String, Raw: raw, Str: body}
}

// endValue returns the index after the valid JSON value at i, or -1.
func endValue(raw string, i int) int {
	if i >= len(raw) {
		return -1
	}
	switch c := raw[i]; c {
	case '"':
		return endStringS(raw, i+1)
	case '{', '[':
		depth := 0
		for i < len(raw) {
			i = nextStructural(raw, i)
			if i >= len(raw) {
				return -1
			}
			switch raw[i] {
			case '"':
				if i = endStringS(raw, i+1); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	for j := i; j < len(raw); j++ {
		switch raw[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
	}
	return len(raw)
}

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
	return endString(unsafe.Slice(unsafe.StringData(raw), len(raw)), i)
}

func skipWSs(raw string, i int) int {
	return skipWS(unsafe.Slice(unsafe.StringData(raw), len(raw)), i)
}

// View is b as a string without a copy, for gjson: results share b's
// memory, so b must not change while they are in use.
func View(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
