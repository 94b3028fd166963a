package gemini

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// EncodeError renders e as a google.rpc.Status error body:
// {"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED"}}.
func (codec) EncodeError(e *ir.Error) []byte {
	if e == nil {
		e = &ir.Error{Kind: ir.KindInternal, Message: "internal error"}
	}
	code, status := Status(e)
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(code)
	}
	dst := make([]byte, 0, 64+len(msg))
	dst = append(dst, `{"error":{"code":`...)
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = appendStringField(dst, "message", msg)
	dst = appendStringField(dst, "status", status)
	return append(dst, "}}"...)
}

// Status is the HTTP code and canonical Google status a Gemini client should
// see for e. Quota and rate limits are both 429 RESOURCE_EXHAUSTED (ir's
// default 402 for quota is not a code Google clients know), so the gateway
// should answer Gemini clients with this code.
func Status(e *ir.Error) (int, string) {
	switch e.Kind {
	case ir.KindBadRequest, ir.KindContextTooLong, ir.KindModelNotSupported:
		// A request too large or too slow to arrive keeps its own status,
		// so clients can tell it from a malformed one.
		switch e.Status {
		case http.StatusRequestEntityTooLarge, http.StatusRequestHeaderFieldsTooLarge:
			return e.Status, "INVALID_ARGUMENT"
		case http.StatusRequestTimeout:
			return e.Status, "DEADLINE_EXCEEDED"
		}
		return http.StatusBadRequest, "INVALID_ARGUMENT"
	case ir.KindAuth:
		if e.Status == http.StatusForbidden {
			return http.StatusForbidden, "PERMISSION_DENIED"
		}
		return http.StatusUnauthorized, "UNAUTHENTICATED"
	case ir.KindNotFound:
		return http.StatusNotFound, "NOT_FOUND"
	case ir.KindRateLimited, ir.KindQuotaExhausted, ir.KindUnavailable:
		if e.Kind == ir.KindUnavailable && e.Status == http.StatusServiceUnavailable {
			return e.Status, "UNAVAILABLE" // the gateway itself cannot serve (shutting down)
		}
		return http.StatusTooManyRequests, "RESOURCE_EXHAUSTED"
	case ir.KindTimeout:
		return http.StatusGatewayTimeout, "DEADLINE_EXCEEDED"
	case ir.KindCanceled:
		return 499, "CANCELLED"
	case ir.KindUpstream5xx, ir.KindNetwork, ir.KindStreamInterrupted:
		if s := e.HTTPStatus(); s == http.StatusInternalServerError {
			return s, "INTERNAL"
		}
		return http.StatusServiceUnavailable, "UNAVAILABLE"
	case ir.KindInternal:
		return http.StatusInternalServerError, "INTERNAL"
	case ir.KindNoAccount:
		return http.StatusServiceUnavailable, "UNAVAILABLE"
	}
	code := e.HTTPStatus()
	return code, statusName(code)
}

// statusName is the canonical status Google uses for an HTTP code.
func statusName(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "ABORTED"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case http.StatusNotImplemented:
		return "UNIMPLEMENTED"
	case http.StatusServiceUnavailable, http.StatusBadGateway:
		return "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	}
	if code >= 500 {
		return "INTERNAL"
	}
	return "UNKNOWN"
}

// DecodeError classifies an upstream Gemini error body (status is the HTTP
// status, 0 when unknown, e.g. inside a stream). A body that is not a
// Gemini error is classified from the status alone.
func DecodeError(status int, body []byte) *ir.Error {
	r := gjson.GetBytes(body, "error")
	if !r.IsObject() {
		msg := strings.TrimSpace(string(body))
		if r.Type == gjson.String {
			msg = r.Str
		}
		return classify(status, gjson.Parse(`{"message":`+string(appendString(nil, msg))+`}`))
	}
	return classify(status, r)
}

// classify turns a google.rpc.Status object into an ir.Error.
func classify(httpStatus int, e gjson.Result) *ir.Error {
	code := int(e.Get("code").Int())
	if code == 0 {
		code = httpStatus
	}
	status := e.Get("status").String()
	msg := e.Get("message").String()
	if msg == "" {
		msg = "upstream error"
	}
	if status == "" {
		status = statusName(code)
	}
	out := &ir.Error{Kind: errorKind(status, msg, e.Get("details")), Status: code, Message: msg, Type: status}
	if out.Status == 0 {
		out.Status = out.Kind.DefaultStatus()
	}
	out.RetryAfter = retryDelay(e.Get("details"))
	return out
}

func errorKind(status, msg string, details gjson.Result) ir.ErrorKind {
	lower := strings.ToLower(msg)
	switch status {
	case "RESOURCE_EXHAUSTED":
		return exhaustedKind(lower, details)
	case "UNAVAILABLE", "INTERNAL", "UNKNOWN", "DATA_LOSS", "ABORTED":
		return ir.KindUpstream5xx
	case "DEADLINE_EXCEEDED":
		return ir.KindTimeout
	case "UNAUTHENTICATED", "PERMISSION_DENIED":
		return ir.KindAuth
	case "CANCELLED":
		return ir.KindCanceled
	case "NOT_FOUND":
		if strings.Contains(lower, "model") {
			return ir.KindModelNotSupported
		}
		return ir.KindNotFound
	case "FAILED_PRECONDITION", "UNIMPLEMENTED":
		// "User location is not supported", a model without this method:
		// another upstream may serve the request.
		return ir.KindModelNotSupported
	case "INVALID_ARGUMENT", "OUT_OF_RANGE":
		if strings.Contains(lower, "token count") && strings.Contains(lower, "exceeds") ||
			strings.Contains(lower, "too long") || strings.Contains(lower, "context window") {
			return ir.KindContextTooLong
		}
		if strings.Contains(lower, "api key not valid") || strings.Contains(lower, "api_key_invalid") {
			return ir.KindAuth
		}
		return ir.KindBadRequest
	}
	return ir.KindUnknown
}

// exhaustedKind tells a quota (a daily or monthly allowance, gone until it
// resets) from a rate limit (per minute, gone in seconds). The QuotaFailure
// details say which; without them a message that talks about the quota
// decides, except Google's generic "Resource has been exhausted (e.g. check
// quota)", which is a rate limit.
func exhaustedKind(lower string, details gjson.Result) ir.ErrorKind {
	perDay, perMinute := false, false
	details.ForEach(func(_, d gjson.Result) bool {
		d.Get("violations").ForEach(func(_, v gjson.Result) bool {
			id := strings.ToLower(v.Get("quotaId").String() + v.Get("quotaMetric").String())
			perDay = perDay || strings.Contains(id, "perday") || strings.Contains(id, "permonth")
			perMinute = perMinute || strings.Contains(id, "perminute") || strings.Contains(id, "persecond")
			return true
		})
		return true
	})
	switch {
	case perDay:
		return ir.KindQuotaExhausted
	case perMinute:
		return ir.KindRateLimited
	case strings.Contains(lower, "e.g. check quota"):
		return ir.KindRateLimited
	case strings.Contains(lower, "quota"):
		return ir.KindQuotaExhausted
	}
	return ir.KindRateLimited
}

// retryDelay reads google.rpc.RetryInfo ("retryDelay": "13s").
func retryDelay(details gjson.Result) time.Duration {
	var d time.Duration
	details.ForEach(func(_, v gjson.Result) bool {
		if s := v.Get("retryDelay").String(); s != "" {
			if p, err := time.ParseDuration(s); err == nil && p > 0 {
				d = p
				return false
			}
		}
		return true
	})
	return d
}
