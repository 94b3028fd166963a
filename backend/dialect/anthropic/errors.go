package anthropic

import (
	"encoding/json"
	"net/http"
	"strings"

	"switchboard/backend/ir"
)

type wireError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

type errorClass struct {
	kind   ir.ErrorKind
	status int
}

// errorTypes are Anthropic's error types with the kind the router acts on
// and the status the API pairs them with.
var errorTypes = map[string]errorClass{
	"invalid_request_error": {ir.KindBadRequest, http.StatusBadRequest},
	"authentication_error":  {ir.KindAuth, http.StatusUnauthorized},
	"billing_error":         {ir.KindQuotaExhausted, http.StatusPaymentRequired},
	"permission_error":      {ir.KindAuth, http.StatusForbidden},
	"not_found_error":       {ir.KindNotFound, http.StatusNotFound},
	"request_too_large":     {ir.KindBadRequest, http.StatusRequestEntityTooLarge},
	"rate_limit_error":      {ir.KindRateLimited, http.StatusTooManyRequests},
	"api_error":             {ir.KindUpstream5xx, http.StatusInternalServerError},
	"timeout_error":         {ir.KindTimeout, http.StatusGatewayTimeout},
	"overloaded_error":      {ir.KindUpstream5xx, 529},
}

// DecodeError classifies an Anthropic error answer (HTTP status and body).
// It is what a provider calls on a non-2xx response.
func DecodeError(status int, body []byte) *ir.Error {
	var w struct {
		Error *wireError `json:"error"`
	}
	if json.Unmarshal(body, &w) != nil || w.Error == nil {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 512 {
			msg = msg[:512]
		}
		if msg == "" {
			msg = http.StatusText(status)
		}
		return errorFromWire(&wireError{Type: typeForStatus(status), Message: msg}, status)
	}
	return errorFromWire(w.Error, status)
}

// errorFromWire classifies an error object. status is the HTTP status when
// known (0 inside a stream, where the canonical status of the type is used).
func errorFromWire(w *wireError, status int) *ir.Error {
	if w == nil {
		w = &wireError{Type: "api_error", Message: "upstream error"}
	}
	c, ok := errorTypes[w.Type]
	if !ok {
		c = errorTypes[typeForStatus(status)]
	}
	if status == 0 {
		status = c.status
	}
	kind := refineKind(c.kind, w.Message)
	return &ir.Error{Kind: kind, Status: status, Message: w.Message, Type: w.Type}
}

// refineKind reads the few messages whose meaning differs from their type:
// an over-long prompt is worth a bigger model, an exhausted credit balance
// is a quota, an unknown model is worth the next upstream.
func refineKind(k ir.ErrorKind, msg string) ir.ErrorKind {
	m := strings.ToLower(msg)
	switch k {
	case ir.KindBadRequest:
		switch {
		case strings.Contains(m, "prompt is too long"), strings.Contains(m, "context window"),
			strings.Contains(m, "context length"):
			return ir.KindContextTooLong
		case strings.Contains(m, "credit balance"):
			return ir.KindQuotaExhausted
		}
	case ir.KindNotFound:
		if strings.HasPrefix(m, "model:") {
			return ir.KindModelNotSupported
		}
	}
	return k
}

func typeForStatus(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusPaymentRequired:
		return "billing_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status == http.StatusGatewayTimeout, status == http.StatusRequestTimeout:
		return "timeout_error"
	case status == 529, status == http.StatusServiceUnavailable:
		return "overloaded_error"
	case status >= 400 && status < 500:
		return "invalid_request_error"
	}
	return "api_error"
}

// errorType is the Anthropic type a client sees for e, consistent with the
// status the gateway sends (e.HTTPStatus()).
func errorType(e *ir.Error) string {
	if _, ok := errorTypes[e.Type]; ok {
		return e.Type
	}
	status := e.HTTPStatus()
	switch e.Kind {
	case ir.KindBadRequest, ir.KindContextTooLong, ir.KindModelNotSupported:
		if status == http.StatusRequestEntityTooLarge {
			return "request_too_large"
		}
		return "invalid_request_error"
	case ir.KindAuth:
		if status == http.StatusForbidden {
			return "permission_error"
		}
		return "authentication_error"
	case ir.KindQuotaExhausted:
		if status == http.StatusPaymentRequired {
			return "billing_error"
		}
		return "rate_limit_error"
	case ir.KindNotFound:
		return "not_found_error"
	case ir.KindRateLimited, ir.KindUnavailable:
		if status == http.StatusServiceUnavailable { // the gateway itself cannot serve (shutting down)
			return "overloaded_error"
		}
		return "rate_limit_error"
	case ir.KindTimeout:
		return "timeout_error"
	case ir.KindUpstream5xx:
		if status == 529 || status == http.StatusServiceUnavailable {
			return "overloaded_error"
		}
	}
	return "api_error"
}

// EncodeError renders e as {"type":"error","error":{"type":…,"message":…}}.
func (codec) EncodeError(e *ir.Error) []byte {
	return appendErrorJSON(nil, e)
}

func appendErrorJSON(dst []byte, e *ir.Error) []byte {
	if e == nil {
		e = &ir.Error{Kind: ir.KindInternal, Message: "internal error"}
	}
	msg := e.Message
	if msg == "" {
		msg = e.Kind.String()
	}
	dst = append(dst, `{"type":"error","error":{"type":`...)
	dst = appendString(dst, errorType(e))
	dst = append(dst, `,"message":`...)
	dst = appendString(dst, msg)
	return append(dst, `}}`...)
}
