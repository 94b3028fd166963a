package gemini

import (
	"bytes"
	"encoding/json"
	"strings"
	"switchboard/backend/dialect/jsonw"
	"switchboard/backend/internal/jsonscan"
)

// appendObject appends raw, which should be a JSON object, compacted so it
// never carries a newline. Anything that is not an object becomes {}:
// Gemini's args and response fields are protobuf Structs.
func appendObject(dst []byte, raw []byte) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '{' || !jsonscan.Valid(raw) { // encoding/json's check, several times faster
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
	if !strings.ContainsAny(s, "\n\r\t") {
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

// The JSON appenders are shared by every codec (see package jsonw).
func appendString(dst []byte, s string) []byte { return jsonw.AppendString(dst, s) }
func appendKey(dst []byte, key string) []byte  { return jsonw.AppendKey(dst, key) }
func appendStringField(dst []byte, key, val string) []byte {
	return jsonw.AppendStringField(dst, key, val)
}
func appendIntField(dst []byte, key string, v int) []byte {
	return jsonw.AppendIntField(dst, key, int64(v))
}
func appendFloat(dst []byte, f float64) []byte { return jsonw.AppendFloat(dst, f, 64) }
