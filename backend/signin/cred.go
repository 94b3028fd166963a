package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/backend/ir"
	"switchboard/backend/oauth"
	"switchboard/backend/provider"
)

const (
	// expirySkew treats a token that expires this soon as expired: it could
	// lapse on its way to the upstream.
	expirySkew = 30 * time.Second
	// refreshTimeout bounds one refresh, whoever waits for it.
	refreshTimeout = 60 * time.Second
	// Transient refresh failures back off from backoffBase, doubling up to
	// backoffCap, so a down identity server is not hammered.
	backoffBase = 30 * time.Second
	backoffCap  = 30 * time.Minute
	// persistTries: a rotated refresh token is worth a few quick retries of
	// the write before giving up on this attempt (it stays in memory).
	persistTries = 3
)

// cred is the live credential of one sign-in account: the tokens in
// memory, at most one refresh in flight, the transient-failure backoff.
// It implements provider.Credential.
type cred struct {
	m *Manager

	mu       sync.Mutex
	rec      record
	lead     time.Duration
	flight   *flight   // the refresh in progress, shared by every waiter
	failures int       // transient failures in a row
	retryAt  time.Time // no new refresh before (after a transient failure)
	// pending holds refreshed tokens the store has not taken yet: they are
	// used only once stored, and kept so a rotated refresh token is never
	// lost to a failed write.
	pending *record

	signedOut atomic.Bool
	// replaced: Manager.adopt put another credential in this one's place
	// (tokens another process stored); whoever still holds this one is
	// sent to it (successor) rather than refreshing the replaced tokens.
	replaced atomic.Bool
	// The account's id, provider and name never change; they are read
	// without mu (rec is replaced under it).
	id, provider, name string
}

var _ provider.Credential = (*cred)(nil)

// flight is one refresh; done closes when access/err are set.
type flight struct {
	done   chan struct{}
	access provider.Access
	err    error
}

// NeedsSignIn implements provider.Credential.
func (c *cred) NeedsSignIn() bool {
	if n := c.successor(); n != nil {
		return n.NeedsSignIn()
	}
	return c.signedOut.Load()
}

// successor is the credential that replaced c, nil while c is the live
// one (or its account is gone: Retain signed it out then).
func (c *cred) successor() *cred {
	if !c.replaced.Load() {
		return nil
	}
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	if n := c.m.creds[c.id]; n != c {
		return n
	}
	return nil
}

// Access implements provider.Credential: the current token while it is
// fresh, a background refresh inside the lead time, a wait for the
// refresh once it has expired; then what the vendor's upstream takes.
func (c *cred) Access(ctx context.Context) (provider.Access, error) {
	if n := c.successor(); n != nil {
		return n.Access(ctx)
	}
	base, err := c.signedInAccess(ctx)
	if err != nil {
		return base, err
	}
	return c.upstream(ctx, base, "")
}

// upstream asks the vendor for the token its upstream takes (most send
// the sign-in's own); a vendor that finds the sign-in revoked signs the
// account out like a refused refresh.
func (c *cred) upstream(ctx context.Context, base provider.Access, rejected string) (provider.Access, error) {
	a, err := c.m.upstreamAccess(ctx, c.provider, c.id, base, rejected)
	if errors.Is(err, oauth.ErrInvalidGrant) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return provider.Access{}, c.markSignedOutLocked(ctx, err)
	}
	return a, err
}

// SignedInAccess is the sign-in's own token, refreshed as needed, for
// endpoints of the API that issued it (quota.SignedInCredential: Copilot's
// usage endpoint takes the GitHub token, not the traded Copilot token).
// BaseURL is that API's for vendors that trade tokens (the config's
// sign_in.api_url when set), the account's otherwise.
func (c *cred) SignedInAccess(ctx context.Context) (provider.Access, error) {
	if n := c.successor(); n != nil {
		return n.SignedInAccess(ctx)
	}
	a, err := c.signedInAccess(ctx)
	if err != nil {
		return a, err
	}
	if v, ok := vendors[c.provider].(interface {
		signInAPI(m *Manager, providerID string) (string, error)
	}); ok {
		if a.BaseURL, err = v.signInAPI(c.m, c.provider); err != nil {
			return provider.Access{}, err
		}
	}
	return a, nil
}

// signedInAccess is the sign-in's own access token, refreshed as needed.
func (c *cred) signedInAccess(ctx context.Context) (provider.Access, error) {
	c.mu.Lock()
	if c.signedOut.Load() {
		c.mu.Unlock()
		return provider.Access{}, c.needsSignInError()
	}
	now := c.m.now()
	exp := c.rec.Expiry
	if exp.IsZero() || now.Before(exp.Add(-c.leadLocked())) {
		a := c.accessLocked()
		c.mu.Unlock()
		return a, nil
	}
	if now.Before(exp.Add(-expirySkew)) { // renew early, keep serving meanwhile
		if !now.Before(c.retryAt) {
			c.startLocked()
		}
		a := c.accessLocked()
		c.mu.Unlock()
		return a, nil
	}
	if now.Before(c.retryAt) && c.flight == nil {
		err := c.backoffError(now)
		c.mu.Unlock()
		return provider.Access{}, err
	}
	f := c.startLocked()
	c.mu.Unlock()
	return c.wait(ctx, f)
}

// Reauthorize implements provider.Credential: after a 401 on rejected,
// refresh once, unless another request has already replaced that token.
func (c *cred) Reauthorize(ctx context.Context, rejected string) (provider.Access, error) {
	if n := c.successor(); n != nil {
		return n.Reauthorize(ctx, rejected)
	}
	if _, ok := vendors[c.provider].(exchanger); ok {
		// The upstream refused the exchanged token: exchange again (the
		// vendor refreshes the sign-in's own token through Access if needed).
		base, err := c.signedInAccess(ctx)
		if err != nil {
			return base, err
		}
		return c.upstream(ctx, base, rejected)
	}
	c.mu.Lock()
	if c.signedOut.Load() {
		c.mu.Unlock()
		return provider.Access{}, c.needsSignInError()
	}
	if c.rec.Access != rejected {
		a := c.accessLocked()
		c.mu.Unlock()
		return a, nil
	}
	if now := c.m.now(); now.Before(c.retryAt) && c.flight == nil {
		err := c.backoffError(now)
		c.mu.Unlock()
		return provider.Access{}, err
	}
	f := c.startLocked()
	c.mu.Unlock()
	return c.wait(ctx, f)
}

func (c *cred) accessLocked() provider.Access {
	ref := c.rec.Claims.AccountID
	if c.rec.Extra.Ref != "" {
		ref = c.rec.Extra.Ref
	}
	return provider.Access{Token: c.rec.Access, AccountRef: ref, BaseURL: c.rec.Extra.BaseURL, Project: c.rec.Extra.Project}
}

// startLocked returns the refresh in flight, starting one if none is.
func (c *cred) startLocked() *flight {
	if c.flight != nil {
		return c.flight
	}
	f := &flight{done: make(chan struct{})}
	c.flight = f
	c.m.wg.Add(1)
	go c.run(f)
	return f
}

func (c *cred) wait(ctx context.Context, f *flight) (provider.Access, error) {
	select {
	case <-f.done:
		return f.access, f.err
	case <-ctx.Done():
		return provider.Access{}, ctx.Err()
	}
}

// run performs one refresh on the Manager's context, not a request's: a
// client that hangs up must not cancel the refresh others wait for.
func (c *cred) run(f *flight) {
	defer c.m.wg.Done()
	ctx, cancel := context.WithTimeout(c.m.ctx, refreshTimeout)
	defer cancel()
	c.mu.Lock()
	rec, pending := c.rec, c.pending
	c.mu.Unlock()
	var err error
	stored := false
	if pending != nil { // the last refresh's tokens still wait to be stored
		rec = *pending
	} else {
		rec, err = c.refresh(ctx, rec)
		if errors.Is(err, oauth.ErrInvalidGrant) {
			rec, stored, err = c.rotatedElsewhere(ctx, rec, err)
		}
	}
	if err == nil && !stored {
		err = c.persist(ctx, rec)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	defer close(f.done)
	c.flight = nil
	switch {
	case err == nil:
		c.rec, c.pending, c.failures, c.retryAt = rec, nil, 0, time.Time{}
		f.access = c.accessLocked()
		c.m.changed(c.id)
	case errors.Is(err, errGone):
		c.signedOut.Store(true)
		f.err = &ir.Error{Kind: ir.KindAuth, Status: http.StatusUnauthorized, Provider: rec.ProviderID,
			Message: "the sign-in " + rec.Name + " was removed"}
		c.m.forget(rec.AccountID)
	case errors.Is(err, oauth.ErrInvalidGrant):
		f.err = c.markSignedOutLocked(ctx, err)
	default:
		f.err = c.transientLocked(ctx, rec, err)
	}
}

// rotatedElsewhere looks again at the stored sign-in after its refresh
// token was refused: when the store holds another one, someone else
// rotated it (a refresh in another process, `switchboard login`), and the
// sign-in is not lost. Its access token is taken as stored while it is
// valid (stored: nothing to write), else its refresh token is traded. The
// refusal stands when the store has nothing newer.
func (c *cred) rotatedElsewhere(ctx context.Context, used record, refused error) (record, bool, error) {
	recs, err := c.m.db.load(ctx, used.AccountID)
	if err != nil || len(recs) == 0 {
		return used, false, refused
	}
	s := recs[0]
	if s.Refresh == "" || s.Refresh == used.Refresh || s.State == stateNeedsSignIn {
		return used, false, refused
	}
	if s.Access != "" && (s.Expiry.IsZero() || c.m.now().Before(s.Expiry)) {
		return s, true, nil
	}
	rec, err := c.refresh(ctx, s)
	return rec, false, err
}

// refresh trades the refresh token; the result keeps what the server did
// not resend (refresh token, id token, claims).
func (c *cred) refresh(ctx context.Context, rec record) (record, error) {
	ep, err := c.m.endpoint(rec.ProviderID)
	if err != nil {
		return rec, err
	}
	tok, err := oauth.Refresh(ctx, ep, rec.Refresh)
	if err != nil {
		return rec, err
	}
	next := rec
	next.Access = tok.AccessToken.Reveal()
	if tok.RefreshToken != "" {
		next.Refresh = tok.RefreshToken.Reveal()
	}
	if tok.IDToken != "" {
		next.IDToken = tok.IDToken.Reveal()
	}
	next.Expiry, next.RefreshedAt = tok.Expiry, c.m.now()
	next.Extra = refreshedExtra(rec.ProviderID, rec.Extra, tok)
	mergeClaims(&next.Claims, tok.Claims)
	// Hold the new tokens from here: if storing them fails, the rotated
	// refresh token must not be lost with this goroutine.
	c.mu.Lock()
	c.pending = &next
	c.mu.Unlock()
	return next, nil
}

// persist stores refreshed tokens before anyone uses them, retrying a
// failing write a few times.
func (c *cred) persist(ctx context.Context, rec record) error {
	var err error
	for i := range persistTries {
		if err = c.m.db.saveRefreshed(ctx, rec, c.m.now()); err == nil || errors.Is(err, errGone) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(100<<i) * time.Millisecond):
		}
	}
	c.m.log.Error("a renewed sign-in token could not be stored; it is kept in memory and stored at the next attempt",
		"provider", rec.ProviderID, "account", rec.Name, "err", err)
	return fmt.Errorf("signin: storing the renewed token: %w", err)
}

func mergeClaims(dst *oauth.Claims, src oauth.Claims) {
	for _, p := range []struct {
		d *string
		s string
	}{{&dst.Email, src.Email}, {&dst.AccountID, src.AccountID},
		{&dst.PlanType, src.PlanType}, {&dst.Subject, src.Subject}, {&dst.OrganizationID, src.OrganizationID}} {
		if p.s != "" {
			*p.d = p.s
		}
	}
}

// markSignedOutLocked handles a refused refresh token: the account needs
// the user, routing skips it, and the notification fires once.
func (c *cred) markSignedOutLocked(ctx context.Context, cause error) error {
	msg := "the sign-in expired or was revoked; sign in again (" + cause.Error() + ")"
	if err := c.m.db.setState(ctx, c.rec, stateNeedsSignIn, OutcomeNeedsSignIn, msg, c.m.now()); err != nil {
		c.m.log.Error("could not record that a sign-in needs the user", "account", c.rec.Name, "err", err)
	}
	c.rec.State, c.rec.LastError = stateNeedsSignIn, msg
	if !c.signedOut.Swap(true) {
		c.m.signedOut(c.rec, msg)
	}
	return c.needsSignInError()
}

// transientLocked backs off after a failure that may pass (identity
// server down, a write that failed).
func (c *cred) transientLocked(ctx context.Context, rec record, cause error) error {
	now := c.m.now()
	c.failures++
	wait := backoffBase << min(c.failures-1, 6)
	c.retryAt = now.Add(min(wait, backoffCap))
	msg := cause.Error()
	if err := c.m.db.setState(ctx, rec, stateOK, OutcomeFailed, msg, now); err != nil {
		c.m.log.Warn("could not log a failed sign-in refresh", "account", rec.Name, "err", err)
	}
	c.rec.LastError = msg
	c.m.log.Warn("sign-in token refresh failed; will retry", "provider", rec.ProviderID, "account", rec.Name,
		"retry_at", c.retryAt, "err", cause)
	c.m.changed(rec.AccountID)
	return c.backoffError(now)
}

func (c *cred) backoffError(now time.Time) error {
	return &ir.Error{Kind: ir.KindAuth, Status: http.StatusUnauthorized, Provider: c.provider,
		RetryAfter: c.retryAt.Sub(now),
		Message:    "the sign-in " + c.name + " could not renew its token (" + c.rec.LastError + "); retrying at " + c.retryAt.UTC().Format(time.RFC3339)}
}

func (c *cred) needsSignInError() error {
	return &ir.Error{Kind: ir.KindAuth, Status: http.StatusUnauthorized, Provider: c.provider,
		Message: "the sign-in " + c.name + " needs you to sign in again (Providers page or `switchboard login " + c.provider + "`)"}
}

// leadLocked is how long before expiry to renew: the provider's lead, but
// at most half the token's lifetime, so a vendor issuing tokens shorter
// than the lead does not get a refresh every second.
func (c *cred) leadLocked() time.Duration {
	if life := c.rec.Expiry.Sub(c.rec.RefreshedAt); !c.rec.RefreshedAt.IsZero() && life > 0 && c.lead > life/2 {
		return life / 2
	}
	return c.lead
}

// dueAt is when the scheduler should refresh this account (zero: never).
func (c *cred) dueAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.signedOut.Load() || c.rec.Refresh == "":
		return time.Time{}
	case c.pending != nil:
		return c.retryAt // store the pending tokens again
	case c.rec.Expiry.IsZero():
		return time.Time{}
	}
	due := c.rec.Expiry.Add(-c.leadLocked())
	if c.retryAt.After(due) {
		due = c.retryAt
	}
	return due
}

// kick starts a refresh if none is running and none is backing off.
func (c *cred) kick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.signedOut.Load() && !c.m.now().Before(c.retryAt) {
		c.startLocked()
	}
}
