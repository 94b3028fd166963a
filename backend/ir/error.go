package ir

import (
	"fmt"
	"net/http"
	"time"
)

// ErrorKind classifies a failure. The router decides retry and fallback from
// the kind alone; dialect codecs render it in the client's error shape.
type ErrorKind uint8

const (
	KindUnknown           ErrorKind = iota
	KindBadRequest                  // 400/422: the request itself is wrong; never retried elsewhere
	KindContextTooLong              // request too long for this model: try a larger one
	KindModelNotSupported           // this upstream does not serve the model: try the next target
	KindAuth                        // 401/403 from upstream (or a missing/invalid local key)
	KindNotFound                    // unknown model or route
	KindRateLimited                 // 429, "rate limit"
	KindQuotaExhausted              // 402, insufficient_quota, RESOURCE_EXHAUSTED quota
	KindUpstream5xx                 // upstream server error
	KindTimeout                     // upstream too slow (first byte or idle)
	KindNetwork                     // dial/reset/TLS
	KindStreamInterrupted           // stream cut before its terminal event
	KindCanceled                    // the client went away
	KindUnavailable                 // every candidate is cooling down / saturated
	KindInternal                    // our bug
	// KindNoAccount: the provider has no usable account (none added, all
	// disabled). A setup problem, not a rate limit: the fix is in the
	// dashboard, so clients get a 503 that says what to do.
	KindNoAccount
)

var kindNames = [...]string{"unknown", "bad_request", "context_too_long", "model_not_supported",
	"auth", "not_found", "rate_limited", "quota_exhausted", "upstream_5xx", "timeout", "network",
	"stream_interrupted", "canceled", "unavailable", "internal", "no_account"}

func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// DefaultStatus is the HTTP status a client sees for the kind when the
// upstream gave none.
func (k ErrorKind) DefaultStatus() int {
	switch k {
	case KindBadRequest, KindContextTooLong, KindModelNotSupported:
		return http.StatusBadRequest
	case KindAuth:
		return http.StatusUnauthorized
	case KindNotFound:
		return http.StatusNotFound
	case KindRateLimited, KindUnavailable, KindQuotaExhausted:
		// 429 is what every vendor's SDK treats as "back off", quota included
		// (OpenAI's insufficient_quota, Gemini's RESOURCE_EXHAUSTED).
		return http.StatusTooManyRequests
	case KindTimeout:
		return http.StatusGatewayTimeout
	case KindNetwork, KindStreamInterrupted:
		return http.StatusBadGateway
	case KindCanceled:
		return 499
	case KindUpstream5xx:
		return http.StatusBadGateway
	case KindNoAccount:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Error is the one error type of the request path.
type Error struct {
	Kind       ErrorKind
	Status     int           // HTTP status to send the client (0 = Kind.DefaultStatus())
	Message    string        // human-readable, safe to show the client
	Type       string        // upstream's own error type/code when known (e.g. "overloaded_error")
	RetryAfter time.Duration // 0 = none
	ResetAt    time.Time     // quota reset time when the upstream said so
	Provider   string        // which upstream produced it, for logs
	Cause      error         // wrapped cause; never shown to clients
	// Header is the upstream answer's headers, kept on rate-limit and quota
	// answers only (their rate-limit headers say which window ran out);
	// never sent to clients.
	Header http.Header
}

func (e *Error) Error() string {
	if e.Provider != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Provider, e.Message, e.Kind)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Kind)
}

func (e *Error) Unwrap() error { return e.Cause }

// HTTPStatus is the status to send the client.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return e.Kind.DefaultStatus()
}

// Errorf builds an Error of the given kind.
func Errorf(kind ErrorKind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}
