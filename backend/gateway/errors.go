package gateway

import (
	"encoding/json"
	"net/http"
	"strconv"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
)

// writeError is the one place an error becomes an HTTP response, in the
// client's dialect, with Retry-After when the error carries one.
func writeError(w http.ResponseWriter, d dialect.Name, e *ir.Error) {
	if e.RetryAfter > 0 {
		secs := int(e.RetryAfter.Seconds() + 0.999)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.HTTPStatus())
	_, _ = w.Write(errorBody(d, e))
}

// errorBody renders e in dialect d. The dialect codecs render the same
// shapes; this copy exists so the gateway can answer before any codec runs
// (authentication, routing) without a dependency cycle.
func errorBody(d dialect.Name, e *ir.Error) []byte {
	status := e.HTTPStatus()
	var v any
	switch d {
	case dialect.Anthropic:
		v = map[string]any{"type": "error", "error": map[string]string{"type": anthropicType(e.Kind, status), "message": e.Message}}
	case dialect.Gemini:
		v = map[string]any{"error": map[string]any{"code": status, "message": e.Message, "status": geminiStatus(status)}}
	default:
		v = map[string]any{"error": map[string]any{"message": e.Message, "type": openAIType(e.Kind, status), "param": nil, "code": openAICode(e.Kind)}}
	}
	b, _ := json.Marshal(v)
	return b
}

func anthropicType(k ir.ErrorKind, status int) string {
	switch {
	case k == ir.KindAuth && status == http.StatusForbidden:
		return "permission_error"
	case k == ir.KindAuth:
		return "authentication_error"
	case k == ir.KindNotFound:
		return "not_found_error"
	case k == ir.KindRateLimited || k == ir.KindUnavailable || k == ir.KindQuotaExhausted:
		return "rate_limit_error"
	case status == 529:
		return "overloaded_error"
	case status >= 500:
		return "api_error"
	}
	return "invalid_request_error"
}

func openAIType(k ir.ErrorKind, status int) string {
	switch {
	case k == ir.KindAuth && status == http.StatusForbidden:
		return "permission_error"
	case k == ir.KindAuth:
		return "authentication_error"
	case k == ir.KindNotFound:
		return "not_found_error"
	case k == ir.KindRateLimited || k == ir.KindUnavailable:
		return "rate_limit_exceeded"
	case k == ir.KindQuotaExhausted:
		return "insufficient_quota"
	case status >= 500:
		return "server_error"
	}
	return "invalid_request_error"
}

func openAICode(k ir.ErrorKind) any {
	switch k {
	case ir.KindAuth:
		return "invalid_api_key"
	case ir.KindNotFound:
		return "model_not_found"
	case ir.KindRateLimited, ir.KindUnavailable:
		return "rate_limit_exceeded"
	case ir.KindQuotaExhausted:
		return "insufficient_quota"
	case ir.KindContextTooLong:
		return "context_length_exceeded"
	}
	return nil
}

func geminiStatus(status int) string {
	switch status {
	case 400, 422:
		return "INVALID_ARGUMENT"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404:
		return "NOT_FOUND"
	case 429, 402:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case 503, 529:
		return "UNAVAILABLE"
	case 504:
		return "DEADLINE_EXCEEDED"
	}
	return "INTERNAL"
}
