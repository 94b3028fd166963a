package oauth

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"golang.org/x/oauth2"
)

// Sentinels, matched with errors.Is. They read as the tail of a wrapped
// message ("oauth: codex: refreshing the token: <sentinel>: <detail>").
var (
	// ErrInvalidGrant: the server rejected the grant itself (a revoked,
	// expired or already used refresh token or code, or a PKCE verifier that
	// does not match). Retrying cannot help; the account needs a new sign-in.
	ErrInvalidGrant = errors.New("grant rejected (invalid_grant), sign in again")
	// ErrTransient: the identity server could not be reached or failed
	// (network, timeout, 5xx, 429). The same request may succeed later.
	ErrTransient = errors.New("identity server unavailable, try again later")
	// ErrAccessDenied: the user declined consent (access_denied).
	ErrAccessDenied = errors.New("access denied: the sign-in was declined")
	// ErrStateMismatch: a redirect or pasted code carried another sign-in's
	// state (a stale tab, or a forged request); nothing was exchanged.
	ErrStateMismatch = errors.New("state does not match this sign-in")
	// ErrExpired: the device code expired before the user finished.
	ErrExpired = errors.New("the sign-in code expired, start again")
	// ErrPortInUse: the redirect listener's port is taken.
	ErrPortInUse = errors.New("port already in use")
)

// errFinished answers a second redirect or paste after the exchange.
var errFinished = errors.New("this sign-in has already finished")

// ServerError is an error answer from the identity server (RFC 6749 §5.2,
// RFC 8628 §3.5). It never holds the raw body, which may echo secrets.
type ServerError struct {
	Status      int    // HTTP status
	Code        string // "invalid_grant", "slow_down", ... ("" when the body had none)
	Description string // error_description, trimmed
}

func (e *ServerError) Error() string {
	s := fmt.Sprintf("identity server answered %d", e.Status)
	if e.Status == 0 {
		s = "identity server answered"
	}
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// serverError reads x/oauth2's RetrieveError, falling back to the nested
// shape some vendors use ({"error":{"type":…,"message":…}}) that x/oauth2
// cannot parse into ErrorCode.
func serverError(re *oauth2.RetrieveError) *ServerError {
	se := &ServerError{Code: re.ErrorCode, Description: re.ErrorDescription}
	if re.Response != nil {
		se.Status = re.Response.StatusCode
	}
	if se.Code == "" {
		var nested struct {
			Error struct {
				Type    string `json:"type"`
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(re.Body, &nested) == nil {
			se.Code = nested.Error.Type
			if se.Code == "" {
				se.Code = nested.Error.Code
			}
			if se.Description == "" {
				se.Description = nested.Error.Message
			}
		}
	}
	se.Code = clean(se.Code, 64)
	se.Description = clean(se.Description, 200)
	return se
}

// clean keeps server text printable and short before it reaches a log.
func clean(s string, limit int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit]) + "…"
	}
	return s
}

// classify wraps an error from a call to the identity server: the caller's
// cancellation stays a context error, invalid_grant becomes ErrInvalidGrant,
// unreachable or failing servers ErrTransient, everything else a plain
// wrapped error.
func classify(ctx context.Context, ep Endpoint, op string, err error) error {
	prefix := "oauth: " + ep.label() + ": " + op
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", prefix, context.Cause(ctx))
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		se := serverError(re)
		switch {
		case se.Code == "invalid_grant":
			return fmt.Errorf("%s: %w: %w", prefix, ErrInvalidGrant, se)
		case se.Status >= 500, se.Status == http.StatusTooManyRequests, se.Status == http.StatusRequestTimeout,
			se.Code == "temporarily_unavailable", se.Code == "server_error":
			return fmt.Errorf("%s: %w: %w", prefix, ErrTransient, se)
		}
		return fmt.Errorf("%s: %w", prefix, se)
	}
	if isNetworkError(err) {
		return fmt.Errorf("%s: %w: %w", prefix, ErrTransient, err)
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// isNetworkError: the request never got an answer. The endpoint URLs are
// validated, so a *url.Error from the client is a transport failure, except
// a certificate that does not verify, which waiting will not fix.
func isNetworkError(err error) bool {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return false
	}
	var cv *tls.CertificateVerificationError
	return !errors.As(err, &cv)
}
