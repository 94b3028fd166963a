package anthropic

import (
	"encoding/json"
	"unsafe"

	"switchboard/backend/dialect/jsonw"
	"switchboard/backend/internal/jsonscan"
)

// unsafeString views b as a string without copying. Only for parsing with
// gjson: any result kept past the current event must be cloned.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// firstByte is the first non-space byte of a JSON value (0 when blank).
func firstByte[T ~string | ~[]byte](raw T) byte {
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case ' ', '\t', '\r', '\n':
			continue
		default:
			return c
		}
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
	if firstByte(raw) != '{' || !jsonscan.Valid(raw) {
		return emptyObject
	}
	return raw
}

// appendString is shared by every codec (see package jsonw).
func appendString(dst []byte, s string) []byte { return jsonw.AppendString(dst, s) }
