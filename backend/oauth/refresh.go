package oauth

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/oauth2"

	"switchboard/backend/secret"
)

// Refresh trades a refresh token for a new access token (RFC 6749 §6).
// Vendors that rotate refresh tokens send a new one, which the caller must
// store in place of the old; when the server sends none the old one stays
// valid and is returned in RefreshToken, so callers can always store what
// they get. Errors: ErrInvalidGrant when the refresh token is no longer
// accepted (mark the account "needs sign-in"), ErrTransient when the
// server was unreachable or failing (try again later).
func Refresh(ctx context.Context, ep Endpoint, refreshToken string) (*Token, error) {
	ep = ep.withDefaults()
	if ep.Flow == FlowAWSOIDC {
		return refreshAWS(ctx, ep, refreshToken)
	}
	if err := ep.validate(0); err != nil {
		return nil, err
	}
	if refreshToken == "" {
		return nil, fmt.Errorf("oauth: %s: refreshing the token: no refresh token: %w", ep.label(), ErrInvalidGrant)
	}
	// An expired token with only a refresh token makes x/oauth2 refresh
	// once, with this package's client and request shape.
	src := ep.config("").TokenSource(ep.clientContext(ctx), &oauth2.Token{RefreshToken: refreshToken})
	t, err := src.Token()
	if err != nil {
		return nil, refused(ep, classify(ctx, ep, "refreshing the token", err))
	}
	tok := newToken(t)
	if tok.RefreshToken == "" {
		tok.RefreshToken = secret.Value(refreshToken)
	}
	return tok, nil
}

// refused reads a refresh error answered with one of the endpoint's
// RefreshRefused statuses as a refused grant.
func refused(ep Endpoint, err error) error {
	var se *ServerError
	if len(ep.RefreshRefused) == 0 || errors.Is(err, ErrInvalidGrant) || errors.Is(err, ErrTransient) ||
		!errors.As(err, &se) || !slices.Contains(ep.RefreshRefused, se.Status) {
		return err
	}
	return fmt.Errorf("oauth: %s: refreshing the token: %w: %w", ep.label(), ErrInvalidGrant, se)
}
