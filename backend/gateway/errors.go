package gateway

import (
	"net/http"
	"strconv"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/ir"
)

// writeError is the one place an error becomes an HTTP response: the body
// in the client's dialect (rendered by that dialect's codec), the status
// the client's SDK expects, and Retry-After when the error carries one.
func writeError(w http.ResponseWriter, d dialect.Name, e *ir.Error) {
	status := e.HTTPStatus()
	if d == dialect.Gemini {
		status, _ = gemini.Status(e)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.999)))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(codecFor(d).EncodeError(e))
}
