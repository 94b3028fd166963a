package openai

import (
	"net/http"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// EncodeError renders e as {"error":{"message","type","param","code"}}, the
// shape the OpenAI SDKs parse. The type follows the HTTP status the client
// will see, so the SDKs' error classes and the body agree.
func (codec) EncodeError(e *ir.Error) []byte {
	return appendErrorBody(make([]byte, 0, 128), e)
}

func appendErrorBody(b []byte, e *ir.Error) []byte {
	if e == nil {
		e = &ir.Error{Kind: ir.KindInternal}
	}
	typ, code := errorTypeCode(e)
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.HTTPStatus())
	}
	if msg == "" {
		msg = e.Kind.String()
	}
	b = append(b, `{"error":{"message":`...)
	b = appendString(b, msg)
	b = append(b, `,"type":`...)
	b = appendString(b, typ)
	b = append(b, `,"param":null,"code":`...)
	if code == "" {
		b = append(b, "null"...)
	} else {
		b = appendString(b, code)
	}
	return append(b, '}', '}')
}

// errorTypeCode picks OpenAI's error type and code for e. The upstream's
// own code (e.Type) is kept when ours would be null, so clients still see
// e.g. "overloaded_error".
func errorTypeCode(e *ir.Error) (typ, code string) {
	switch e.Kind {
	case ir.KindBadRequest, ir.KindModelNotSupported:
		typ = "invalid_request_error"
	case ir.KindContextTooLong:
		typ, code = "invalid_request_error", "context_length_exceeded"
	case ir.KindAuth:
		typ, code = "authentication_error", "invalid_api_key"
		if e.HTTPStatus() == http.StatusForbidden {
			typ, code = "permission_error", ""
		}
	case ir.KindNotFound:
		typ, code = "not_found_error", "model_not_found"
	case ir.KindRateLimited, ir.KindUnavailable:
		typ, code = "rate_limit_exceeded", "rate_limit_exceeded"
		if e.HTTPStatus() == http.StatusServiceUnavailable { // the gateway itself cannot serve (shutting down)
			typ, code = "server_error", "service_unavailable"
		}
	case ir.KindQuotaExhausted:
		typ, code = "insufficient_quota", "insufficient_quota"
	case ir.KindTimeout:
		typ, code = "server_error", "timeout"
	case ir.KindNoAccount:
		typ, code = "server_error", "no_usable_account"
	default:
		typ = "server_error"
	}
	if code == "" {
		code = e.Type
	}
	return typ, code
}

// DecodeError classifies an error body from an OpenAI-compatible upstream
// (status is the HTTP status, 0 inside a stream). Bodies that are not the
// OpenAI shape are classified by status alone, with the body as message.
func DecodeError(status int, body []byte) *ir.Error {
	if jsonscan.Valid(body) {
		root := gjson.ParseBytes(body)
		if e := root.Get("error"); e.IsObject() {
			return errorFromObject(e, status)
		}
		if m := root.Get("error"); m.Type == gjson.String { // {"error":"…"} (Ollama, vLLM)
			return newError(status, "", "", m.Str)
		}
		if m := root.Get("message"); m.Type == gjson.String {
			t := root.Get("type").Str
			return newError(status, t, t, m.Str)
		}
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 512 {
		msg = msg[:512]
	}
	return newError(status, "", "", msg)
}

// errorFromObject reads {"message","type","code"}. Some vendors put the
// HTTP status in code (OpenRouter), which then stands in for status. The
// code is the more specific of the two and is what Type keeps.
func errorFromObject(e gjson.Result, status int) *ir.Error {
	code, typ := e.Get("code"), e.Get("type").Str
	if status == 0 && code.Type == gjson.Number {
		if c := int(code.Int()); c >= 400 && c < 600 {
			status = c
		}
	}
	msg := e.Get("message").String()
	if code.Type != gjson.String || code.Str == "" {
		return newError(status, typ, typ, msg)
	}
	return newError(status, code.Str, typ+" "+code.Str, msg)
}

// newError builds the error; hint is what classification reads (type and
// code together), typ what is kept as the upstream's own error type.
func newError(status int, typ, hint, msg string) *ir.Error {
	if msg == "" {
		msg = "upstream error"
	}
	return &ir.Error{Kind: classify(status, hint, msg), Status: status, Message: msg, Type: typ}
}

// classify maps an upstream status and error code/type to an error kind.
// Codes win over statuses because vendors disagree on statuses (quota as
// 429 at OpenAI, 402 elsewhere) but agree on the codes.
func classify(status int, typ, msg string) ir.ErrorKind {
	t := strings.ToLower(typ)
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(t, "insufficient_quota") || strings.Contains(t, "quota") || status == http.StatusPaymentRequired:
		return ir.KindQuotaExhausted
	case strings.Contains(t, "context_length") || strings.Contains(m, "maximum context length") ||
		strings.Contains(m, "context window") || strings.Contains(m, "too many tokens"):
		return ir.KindContextTooLong
	case strings.Contains(t, "rate_limit") || status == http.StatusTooManyRequests:
		return ir.KindRateLimited
	case strings.Contains(t, "model_not_found") || (status == http.StatusNotFound && strings.Contains(m, "model")):
		return ir.KindModelNotSupported
	case strings.Contains(t, "invalid_api_key") || strings.Contains(t, "authentication") ||
		strings.Contains(t, "permission") || status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ir.KindAuth
	case status == http.StatusNotFound:
		return ir.KindNotFound
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout || strings.Contains(t, "timeout"):
		return ir.KindTimeout
	case status >= 500 || strings.Contains(t, "server_error") || strings.Contains(t, "overloaded"):
		return ir.KindUpstream5xx
	case status >= 400 || strings.Contains(t, "invalid_request"):
		return ir.KindBadRequest
	}
	return ir.KindUpstream5xx // an error inside a 200 stream: the upstream failed
}
