package kiro

import (
	"net/http"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// kindStatus is a hub kind and the status a client sees with it.
type kindStatus struct {
	kind   ir.ErrorKind
	status int
}

// exceptionKinds maps CodeWhisperer's exception types to the hub's kinds.
// Unknown ones are server errors.
var exceptionKinds = map[string]kindStatus{
	"ThrottlingException":           {ir.KindRateLimited, http.StatusTooManyRequests},
	"ServiceQuotaExceededException": {ir.KindQuotaExhausted, http.StatusTooManyRequests},
	"ValidationException":           {ir.KindBadRequest, http.StatusBadRequest},
	"ConflictException":             {ir.KindBadRequest, http.StatusConflict},
	"AccessDeniedException":         {ir.KindAuth, http.StatusForbidden},
	"UnauthorizedException":         {ir.KindAuth, http.StatusUnauthorized},
	"ResourceNotFoundException":     {ir.KindModelNotSupported, http.StatusNotFound},
	"InternalServerException":       {ir.KindUpstream5xx, http.StatusInternalServerError},
	"ServiceUnavailableException":   {ir.KindUpstream5xx, http.StatusServiceUnavailable},
}

// reasonKinds are the "reason" codes Kiro puts in an error body that
// decide the kind whatever the exception (peers' field reports: the
// CONTENT_LENGTH_EXCEEDS_THRESHOLD "Input is too long." 400, the
// MONTHLY_REQUEST_COUNT quota, INSUFFICIENT_MODEL_CAPACITY overload).
var reasonKinds = map[string]kindStatus{
	"CONTENT_LENGTH_EXCEEDS_THRESHOLD": {ir.KindContextTooLong, http.StatusBadRequest},
	"MONTHLY_REQUEST_COUNT":            {ir.KindQuotaExhausted, http.StatusTooManyRequests},
	"INSUFFICIENT_MODEL_CAPACITY":      {ir.KindRateLimited, http.StatusTooManyRequests},
	"USER_REQUEST_RATE_EXCEEDED":       {ir.KindRateLimited, http.StatusTooManyRequests},
}

// exceptionError turns an exception message (its type and JSON payload,
// {"message":…,"reason":…}) into the hub's error.
func exceptionError(typ string, payload []byte) *ir.Error {
	if i := strings.LastIndexByte(typ, '#'); i >= 0 { // "com.amazon…#ThrottlingException"
		typ = typ[i+1:]
	}
	msg := gjson.GetBytes(payload, "message").String()
	if msg == "" {
		msg = gjson.GetBytes(payload, "Message").String()
	}
	reason := gjson.GetBytes(payload, "reason").String()
	e := &ir.Error{Kind: ir.KindUpstream5xx, Status: http.StatusBadGateway, Type: typ}
	if k, ok := exceptionKinds[typ]; ok {
		e.Kind, e.Status = k.kind, k.status
	}
	if k, ok := reasonKinds[reason]; ok {
		e.Kind, e.Status, e.Type = k.kind, k.status, reason
	} else if strings.Contains(strings.ToLower(msg), "input is too long") {
		e.Kind, e.Status = ir.KindContextTooLong, http.StatusBadRequest
	}
	e.Message = "kiro: " + typ
	if msg != "" {
		e.Message += ": " + clip(msg)
	}
	return e
}

// clip keeps an upstream message short and on one line.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}

// ReasonKind is the kind a Kiro error body's "reason" decides whatever the
// status (the provider uses it for Kiro's HTTP errors).
func ReasonKind(reason string) (ir.ErrorKind, bool) {
	k, ok := reasonKinds[reason]
	return k.kind, ok
}
