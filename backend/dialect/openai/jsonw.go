package openai

import "switchboard/backend/dialect/jsonw"

// The JSON appenders are shared by every codec (see package jsonw).
func appendString[T ~string | ~[]byte](dst []byte, s T) []byte { return jsonw.AppendString(dst, s) }
func appendStringBody[T ~string | ~[]byte](dst []byte, s T) []byte {
	return jsonw.AppendStringBody(dst, s)
}
func appendRaw(dst, raw []byte, fallback string) []byte  { return jsonw.AppendRaw(dst, raw, fallback) }
func appendFloat(dst []byte, f float64, bits int) []byte { return jsonw.AppendFloat(dst, f, bits) }
func appendKey(dst []byte, key string) []byte            { return jsonw.AppendKey(dst, key) }
func appendStringField(dst []byte, key, val string) []byte {
	return jsonw.AppendStringField(dst, key, val)
}
func appendIntField(dst []byte, key string, v int64) []byte { return jsonw.AppendIntField(dst, key, v) }
func appendBoolField(dst []byte, key string, v bool) []byte {
	return jsonw.AppendBoolField(dst, key, v)
}
