package responses

import (
	"strconv"
	"switchboard/backend/dialect/jsonw"
	"switchboard/backend/internal/randid"
)

// The encoders build JSON by appending to a byte slice: bodies and stream
// frames are flat, their shapes are fixed, and appending avoids reflection
// and the intermediate maps a generic marshaller would need on the hot path.

func strconv10(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }

// newID returns prefix + 32 random hex digits, the shape OpenAI uses for
// response and item ids. It is a variable so tests can make ids stable.
var newID = func(prefix string) string { return randid.Hex(prefix, 32) }

// The JSON appenders are shared by every codec (see package jsonw).
func appendString(dst []byte, s string) []byte  { return jsonw.AppendString(dst, s) }
func appendEscaped(dst []byte, s string) []byte { return jsonw.AppendStringBody(dst, s) }
func appendKey(dst []byte, key string) []byte   { return jsonw.AppendKey(dst, key) }
func appendStringField(dst []byte, key, val string) []byte {
	return jsonw.AppendStringField(dst, key, val)
}
func appendIntField(dst []byte, key string, v int64) []byte { return jsonw.AppendIntField(dst, key, v) }
func appendBoolField(dst []byte, key string, v bool) []byte {
	return jsonw.AppendBoolField(dst, key, v)
}
func appendFloat(dst []byte, f float64) []byte { return jsonw.AppendFloat(dst, f, 64) }
func appendRaw(dst []byte, raw []byte, fallback string) []byte {
	return jsonw.AppendRaw(dst, raw, fallback)
}
