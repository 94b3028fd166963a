package responses

import (
	"net/http"
	"strings"
	"time"

	"switchboard/backend/ir"
)

// errorShape is the OpenAI {type, code} pair for a kind. Codex and the SDKs
// act on the HTTP status and on a few codes (rate_limit_exceeded,
// insufficient_quota, context_length_exceeded, server_is_overloaded), so the
// codes are the ones OpenAI itself sends.
func errorShape(k ir.ErrorKind) (typ, code string) {
	switch k {
	case ir.KindBadRequest:
		return "invalid_request_error", ""
	case ir.KindContextTooLong:
		return "invalid_request_error", "context_length_exceeded"
	case ir.KindModelNotSupported, ir.KindNotFound:
		return "invalid_request_error", "model_not_found"
	case ir.KindAuth:
		return "invalid_request_error", "invalid_api_key"
	case ir.KindRateLimited, ir.KindUnavailable:
		return "rate_limit_error", "rate_limit_exceeded"
	case ir.KindQuotaExhausted:
		return "insufficient_quota", "insufficient_quota"
	case ir.KindTimeout:
		return "server_error", "timeout"
	case ir.KindCanceled:
		return "invalid_request_error", "cancelled"
	case ir.KindNoAccount:
		return "server_error", "no_usable_account"
	}
	return "server_error", "server_error"
}

// errorFields is what a client sees of e: type, code and message. An
// overloaded upstream keeps OpenAI's server_is_overloaded code, which Codex
// treats as "back off and retry".
func errorFields(e *ir.Error) (typ, code, msg string) {
	if e == nil {
		e = ir.Errorf(ir.KindInternal, "internal error")
	}
	typ, code = errorShape(e.Kind)
	switch {
	case e.Kind == ir.KindUpstream5xx && strings.Contains(e.Type, "overloaded"):
		code = "server_is_overloaded"
	case e.Kind == ir.KindUnavailable && e.HTTPStatus() == http.StatusServiceUnavailable:
		typ, code = "server_error", "service_unavailable" // the gateway itself cannot serve (shutting down)
	case e.Kind == ir.KindAuth && e.HTTPStatus() == http.StatusForbidden:
		// the key is fine but may not do this (a key's model patterns):
		// invalid_api_key would send Codex back to its login
		typ, code = "permission_error", ""
	}
	msg = e.Message
	if msg == "" {
		msg = e.Kind.String()
	}
	return typ, code, msg
}

// ErrorCode is the code a Responses client sees for e (in an error body or
// a response.failed event).
func ErrorCode(e *ir.Error) string {
	_, code, _ := errorFields(e)
	return code
}

// EncodeError renders e as OpenAI's error body. The HTTP status is the
// caller's (e.HTTPStatus()); the body only names the failure.
func (codec) EncodeError(e *ir.Error) []byte {
	typ, code, msg := errorFields(e)
	b := make([]byte, 0, 96+len(msg))
	b = append(b, `{"error":{"message":`...)
	b = appendString(b, msg)
	b = appendStringField(b, "type", typ)
	b = append(b, `,"param":null,"code":`...)
	b = appendNullableString(b, code)
	return append(b, '}', '}')
}

// classifyError turns an upstream error's code/type/message (from a failed
// response, an error event or an error body) into a hub error. Unknown
// failures of a generation in progress are treated as server errors, which
// the router may retry elsewhere.
func classifyError(code, typ, msg string) *ir.Error {
	key := code
	if key == "" {
		key = typ
	}
	if msg == "" {
		msg = "upstream error"
		if key != "" {
			msg += ": " + key
		}
	}
	e := &ir.Error{Kind: kindOf(key, strings.ToLower(msg)), Message: msg, Type: key}
	if e.Kind == ir.KindRateLimited {
		e.RetryAfter = retryAfter(msg)
	}
	return e
}

func kindOf(key, lowerMsg string) ir.ErrorKind {
	switch key {
	case "rate_limit_exceeded", "rate_limit_error", "requests", "tokens":
		return ir.KindRateLimited
	case "insufficient_quota", "usage_limit_reached", "usage_not_included", "billing_hard_limit_reached":
		return ir.KindQuotaExhausted
	case "server_is_overloaded", "server_error", "overloaded", "overloaded_error", "internal_error", "api_error":
		return ir.KindUpstream5xx
	case "context_length_exceeded", "context_window_exceeded":
		return ir.KindContextTooLong
	case "invalid_api_key", "authentication_error", "invalid_authentication", "permission_denied":
		return ir.KindAuth
	case "model_not_found":
		return ir.KindModelNotSupported
	case "invalid_request_error", "invalid_prompt", "invalid_value", "invalid_type",
		"missing_required_parameter", "unsupported_parameter", "unsupported_value":
		return ir.KindBadRequest
	}
	switch {
	case strings.Contains(lowerMsg, "rate limit"):
		return ir.KindRateLimited
	case strings.Contains(lowerMsg, "context length"), strings.Contains(lowerMsg, "context window"),
		strings.Contains(lowerMsg, "maximum context"):
		return ir.KindContextTooLong
	case strings.Contains(lowerMsg, "quota"):
		return ir.KindQuotaExhausted
	}
	return ir.KindUpstream5xx
}

// retryAfter reads OpenAI's "Please try again in 1.898s." hint.
func retryAfter(msg string) time.Duration {
	const marker = "try again in "
	i := strings.Index(msg, marker)
	if i < 0 {
		return 0
	}
	rest := msg[i+len(marker):]
	if j := strings.IndexAny(rest, " \n"); j >= 0 {
		rest = rest[:j]
	}
	d, err := time.ParseDuration(strings.TrimRight(rest, ".,;"))
	if err != nil || d < 0 {
		return 0
	}
	return d
}
