package gateway

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// Limits on what a client sends before anything routes it.
const (
	// maxModelName bounds a model name: real ids (combos and prefixes
	// included) stay far below it.
	maxModelName = 256
	// maxRouteHeader bounds X-Switchboard-Route (provider id + model).
	maxRouteHeader = 320
	// maxClientHeaderBytes: a larger header block is refused in the
	// client's dialect (431). Beyond server.MaxHeaderBytes net/http refuses
	// it before any handler; TooLargeAnswer renders that answer.
	maxClientHeaderBytes = 64 << 10
)

// checkModelName says why a model name cannot be routed (nil when it can):
// it goes into logs and, through the upstream model, into a header.
func checkModelName(m string) *ir.Error {
	if len(m) > maxModelName {
		return ir.Errorf(ir.KindBadRequest, "model name is longer than %d bytes", maxModelName)
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c < 0x20 || c == 0x7f {
			return ir.Errorf(ir.KindBadRequest, "model name contains a control character")
		}
	}
	if !utf8.ValidString(m) {
		return ir.Errorf(ir.KindBadRequest, "model name is not valid UTF-8")
	}
	return nil
}

// bodyModel reads and checks the model of a JSON request body ("" when it
// names none: the router reports that).
func bodyModel(body []byte) (string, *ir.Error) {
	m := gjson.GetBytes(body, "model")
	if !m.Exists() {
		return modelValue(nil)
	}
	return modelValue([]byte(m.Raw))
}

// modelValue checks a raw "model" value (nil: absent) and returns it.
func modelValue(raw []byte) (string, *ir.Error) {
	if raw == nil {
		return "", checkModelName("")
	}
	m := gjson.ParseBytes(raw)
	if m.Type != gjson.String {
		return "", ir.Errorf(ir.KindBadRequest, "model must be a string")
	}
	return m.Str, checkModelName(m.Str)
}

// rawBool is gjson's truth of a raw JSON value (absent: false), as the
// full decoders would read a lenient client's "stream".
func rawBool(raw []byte) bool { return raw != nil && gjson.ParseBytes(raw).Bool() }

// keyIs reports whether a member key as written (escapes kept) is name.
func keyIs(k []byte, name string) bool {
	if bytes.IndexByte(k, '\\') < 0 {
		return string(k) == name
	}
	return gjson.Parse(`"`+string(k)+`"`).Str == name
}

// routeHeader is the X-Switchboard-Route value: printable ASCII only (other
// bytes percent-encoded) and bounded, whatever the upstream model is called.
func routeHeader(provider, model string) string {
	v := provider + "/" + model
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f || c == '%' {
			return escapeHeader(v)
		}
	}
	if len(v) > maxRouteHeader {
		v = v[:maxRouteHeader]
	}
	return v
}

func escapeHeader(v string) string {
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, min(len(v)+16, maxRouteHeader))
	for i := 0; i < len(v) && len(b) < maxRouteHeader-2; i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f || c == '%' {
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

// headerBytes is the size of a request's target and header block, about
// as net/http counts it against MaxHeaderBytes.
func headerBytes(r *http.Request) int {
	n := len(r.RequestURI)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4 // ": " and CRLF
		}
	}
	return n
}

// TooLargeAnswer is the 431 for a header block net/http refused before any
// handler ran, in the dialect of the path (the management API and
// dashboard get Switchboard's own JSON error).
func TooLargeAnswer(method, path string) (string, []byte) {
	msg := "request headers are too large"
	if !strings.HasPrefix(path, "/v1") {
		return "application/json", []byte(`{"error":{"code":"headers_too_large","message":"` + msg + `"}}`)
	}
	r := &http.Request{Method: method, URL: &url.URL{Path: path}, Header: http.Header{}}
	e := &ir.Error{Kind: ir.KindBadRequest, Status: http.StatusRequestHeaderFieldsTooLarge, Message: msg}
	return "application/json", codecFor(dialectOf(r)).EncodeError(e)
}
