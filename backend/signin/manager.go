// Package signin keeps subscription accounts signed in: it runs the
// browser and manual sign-ins (package oauth does the protocol), stores
// each sign-in's tokens sealed beside its account row, hands routing a live
// provider.Credential per account, and renews tokens ahead of expiry with
// one scheduler for every account.
//
// The rules it keeps, because the vendors rotate refresh tokens and a lost
// one logs the user out:
//   - one refresh at a time per account, however many requests need it;
//   - a refreshed token pair is stored (sealed, with its log row, in one
//     transaction) before the new access token is used;
//   - a refused refresh token (invalid_grant) marks the account "needs sign
//     in": routing skips it and the oauth_refresh_failed event fires once;
//   - transient failures back off and never mark the account.
//
// Lifecycle: New, then Run in a goroutine (the refresh scheduler), Close on
// shutdown. Credential is what accounts.Build attaches to route.Account.
package signin

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/events"
	"switchboard/backend/oauth"
	"switchboard/backend/provider"
	"switchboard/backend/route"
	"switchboard/backend/secret"
	"switchboard/backend/store"
)

// Options wire a Manager.
type Options struct {
	DB     *store.DB
	Sealer *secret.Sealer
	Bus    *events.Bus
	Log    *slog.Logger
	// Providers is the config file's providers: their sign_in blocks
	// override the vendors' endpoints (tests, self-hosted identity servers).
	Providers []config.ProviderConfig
	Now       func() time.Time
	// OnSignedIn runs after a sign-in or import stored an account (the
	// instance rebuilds routing and clears the account's old cooldowns).
	OnSignedIn func(ctx context.Context, accountID string)
	// OnSignedOut reports a sign-in whose refresh token was refused (the
	// instance records it and publishes it; nil publishes on Bus only).
	OnSignedOut func(route.Change)
	// ImportEnv is where CLI logins are read from (DefaultImportEnv if nil).
	ImportEnv *ImportEnv
}

// maxSchedulerSleep bounds the scheduler's sleep so a machine that was
// suspended re-checks expiries soon after waking (monotonic timers stop
// during suspend). Once an hour is no measurable CPU.
const maxSchedulerSleep = time.Hour

// Manager owns every sign-in account's live credential.
type Manager struct {
	db        db
	bus       *events.Bus
	log       *slog.Logger
	now       func() time.Time
	overrides map[string]config.SignInConfig
	bases     map[string]string // the config's base_url per provider (see providerBase)
	onSignIn  func(context.Context, string)
	onOut     func(route.Change)
	importEnv ImportEnv

	ctx    context.Context // ends on Close; refreshes run on it
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{}

	mu     sync.Mutex
	creds  map[string]*cred // account id → live credential
	flows  map[string]*Flow
	synced int64 // the last refresh-log row Sync has seen
	marked bool  // Sync has set synced once (an empty log marks 0)
	// syncRead, when set (tests), runs after Sync has read an account's
	// row and before it compares the row with the live credential.
	syncRead func()
}

// New returns a Manager; call Run to start renewing tokens.
func New(o Options) *Manager {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Manager{db: db{DB: o.DB, sealer: o.Sealer}, bus: o.Bus, log: o.Log, now: o.Now,
		overrides: map[string]config.SignInConfig{}, bases: map[string]string{}, onSignIn: o.OnSignedIn, onOut: o.OnSignedOut,
		wake: make(chan struct{}, 1), creds: map[string]*cred{}, flows: map[string]*Flow{}}
	if o.ImportEnv != nil {
		m.importEnv = *o.ImportEnv
	} else {
		m.importEnv = DefaultImportEnv()
	}
	for _, pc := range o.Providers {
		if pc.SignIn != nil {
			m.overrides[pc.ID] = *pc.SignIn
		}
		if pc.BaseURL != "" {
			m.bases[pc.ID] = strings.TrimRight(pc.BaseURL, "/")
		}
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m
}

// Close stops the scheduler, cancels flows and waits for refreshes in
// flight (they end with the context, storing nothing half-done).
func (m *Manager) Close() {
	m.cancel()
	m.mu.Lock()
	for _, f := range m.flows {
		f.cancel()
	}
	m.mu.Unlock()
	m.wg.Wait()
}

// Entry is the sign-in provider's catalog entry with the config's
// overrides; ok is false for providers that are not sign-ins.
func (m *Manager) entry(providerID string) (provider.Entry, bool) {
	e, ok := provider.Lookup(providerID)
	if !ok || e.Auth != provider.AuthOAuth {
		return provider.Entry{}, false
	}
	if o, ok := m.overrides[providerID]; ok && o.RefreshLead != "" {
		if d, err := time.ParseDuration(o.RefreshLead); err == nil && d > 0 {
			e.RefreshLead = d
		}
	}
	return e, true
}

// endpoint is the vendor's sign-in for providerID, with the config's
// overrides.
func (m *Manager) endpoint(providerID string) (oauth.Endpoint, error) {
	e, ok := m.entry(providerID)
	if !ok {
		return oauth.Endpoint{}, fmt.Errorf("signin: %q is not a subscription provider (known: %s)", providerID, strings.Join(provider.SignInIDs(), ", "))
	}
	ep, ok := oauth.Lookup(e.SignIn)
	if !ok {
		return oauth.Endpoint{}, fmt.Errorf("signin: provider %s names an unknown sign-in %q", providerID, e.SignIn)
	}
	o := m.overrides[providerID]
	for _, f := range []struct {
		dst *string
		v   string
	}{{&ep.AuthURL, o.AuthURL}, {&ep.TokenURL, o.TokenURL}, {&ep.DeviceURL, o.DeviceURL}, {&ep.ClientID, o.ClientID},
		{&ep.ClientSecret, o.ClientSecret.Reveal()}} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	if o.ManualRedirectURL != nil {
		ep.ManualRedirectURL = *o.ManualRedirectURL
	}
	if o.RedirectPort != nil {
		ep.RedirectPort = *o.RedirectPort
	}
	return ep, nil
}

// Credential returns the live credential of a sign-in account, loading it
// from the store the first time. accounts.Build calls it for every row of
// kind "signin".
func (m *Manager) Credential(ctx context.Context, accountID string) (provider.Credential, error) {
	m.mu.Lock()
	c := m.creds[accountID]
	m.mu.Unlock()
	if c != nil {
		return c, nil
	}
	recs, err := m.db.load(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("signin: account %s has no stored sign-in; sign in again", accountID)
	}
	return m.adoptNew(recs[0]), nil
}

// adopt makes (or replaces) the live credential for a stored record.
func (m *Manager) adopt(r record) *cred {
	c := m.newCred(r)
	m.mu.Lock()
	if old := m.creds[r.AccountID]; old != nil {
		old.replaced.Store(true) // anyone still holding it is sent to c
	}
	m.creds[r.AccountID] = c
	m.mu.Unlock()
	m.poke()
	return c
}

// adoptNew is adopt for an account first loaded, unless another caller
// loaded it meanwhile: that one is kept. Two routing rebuilds at once (an
// import and the watch on other processes) both load a new account; had
// the second replaced the first while it refreshed, it would hold the
// refresh token the first had just rotated away, and sign the account out.
func (m *Manager) adoptNew(r record) *cred {
	c := m.newCred(r)
	m.mu.Lock()
	if old := m.creds[r.AccountID]; old != nil {
		m.mu.Unlock()
		return old
	}
	m.creds[r.AccountID] = c
	m.mu.Unlock()
	m.poke()
	return c
}

func (m *Manager) newCred(r record) *cred {
	e, _ := m.entry(r.ProviderID)
	lead := e.RefreshLead
	if lead <= 0 {
		lead = 5 * time.Minute
	}
	c := &cred{m: m, rec: r, lead: lead, id: r.AccountID, provider: r.ProviderID, name: r.Name}
	c.signedOut.Store(r.State == stateNeedsSignIn)
	return c
}

// forget drops a removed account's credential.
func (m *Manager) forget(accountID string) {
	m.mu.Lock()
	delete(m.creds, accountID)
	m.mu.Unlock()
}

// Retain drops the credentials of accounts that no longer exist (called
// after routing is rebuilt with the ids it still has).
func (m *Manager) Retain(ids map[string]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, c := range m.creds {
		if !ids[id] {
			c.signedOut.Store(true)
			delete(m.creds, id)
		}
	}
}

// poke wakes the scheduler to recompute its next deadline.
func (m *Manager) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run renews tokens ahead of expiry until ctx ends or Close. It sleeps
// until the earliest due account: no polling while nothing is due.
func (m *Manager) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		next := m.kickDue()
		sleep := maxSchedulerSleep
		if !next.IsZero() {
			sleep = min(max(next.Sub(m.now()), time.Second), maxSchedulerSleep)
		}
		t.Reset(sleep)
		select {
		case <-ctx.Done():
			return
		case <-m.ctx.Done():
			return
		case <-m.wake:
		case <-t.C:
		}
	}
}

// kickDue starts the refreshes that are due and returns the next due time
// of the rest (zero when nothing is scheduled).
func (m *Manager) kickDue() time.Time {
	m.mu.Lock()
	cs := make([]*cred, 0, len(m.creds))
	for _, c := range m.creds {
		cs = append(cs, c)
	}
	m.mu.Unlock()
	now := m.now()
	var next time.Time
	for _, c := range cs {
		due := c.dueAt()
		switch {
		case due.IsZero():
		case !due.After(now):
			c.kick()
		case next.IsZero() || due.Before(next):
			next = due
		}
	}
	return next
}

// changed tells the dashboard and tray that an account's token changed.
func (m *Manager) changed(string) {
	m.poke()
	if m.bus != nil {
		m.bus.Publish(events.StatusChanged, nil)
	}
}

// signedOut publishes the one notification of a refused refresh token.
func (m *Manager) signedOut(r record, msg string) {
	m.log.Warn("a sign-in needs the user: its refresh token was refused", "provider", r.ProviderID, "account", r.Name)
	c := route.Change{Kind: route.ChangeKind(events.OAuthRefreshFailed), Provider: r.ProviderID, Account: r.Name, Message: msg}
	switch {
	case m.onOut != nil:
		m.onOut(c)
	case m.bus != nil:
		m.bus.Publish(events.OAuthRefreshFailed, c)
		m.bus.Publish(events.StatusChanged, nil)
	}
}

// Refresh renews an account's token now (the dashboard's "Refresh now").
func (m *Manager) Refresh(ctx context.Context, accountID string) error {
	credential, err := m.Credential(ctx, accountID)
	if err != nil {
		return err
	}
	c := credential.(*cred)
	c.mu.Lock()
	if c.signedOut.Load() {
		c.mu.Unlock()
		return c.needsSignInError()
	}
	if _, ok := vendors[c.provider].(exchanger); ok && c.rec.Refresh == "" {
		// A sign-in that never expires (GitHub's): renew the token the
		// upstream takes instead.
		c.mu.Unlock()
		_, err := c.Reauthorize(ctx, renewNow)
		return err
	}
	c.retryAt = time.Time{} // the user asked: no backoff
	f := c.startLocked()
	c.mu.Unlock()
	_, err = c.wait(ctx, f)
	return err
}

// Log returns the refresh log, newest first.
func (m *Manager) Log(ctx context.Context, limit int) ([]LogEntry, error) {
	if limit <= 0 || limit > logKeep {
		limit = 200
	}
	return m.db.readLog(ctx, limit)
}

// Status is what the dashboard, tray and CLI show of a sign-in.
type Status struct {
	Email       string
	Plan        string
	TokenState  string // valid | expiring | expired | refresh_failing | needs_sign_in
	ExpiresAt   time.Time
	RefreshedAt time.Time
	LastError   string
	Source      string
}

// StatusOf reports a sign-in account's token state.
func (m *Manager) StatusOf(ctx context.Context, accountID string) (Status, error) {
	credential, err := m.Credential(ctx, accountID)
	if err != nil {
		return Status{}, err
	}
	c := credential.(*cred)
	c.mu.Lock()
	defer c.mu.Unlock()
	st := Status{Email: c.rec.Claims.Email, Plan: c.rec.Claims.PlanType, ExpiresAt: c.rec.Expiry,
		RefreshedAt: c.rec.RefreshedAt, LastError: c.rec.LastError, Source: c.rec.Source}
	now := m.now()
	switch {
	case c.signedOut.Load():
		st.TokenState = "needs_sign_in"
	case c.failures > 0:
		st.TokenState = "refresh_failing"
	case c.rec.Expiry.IsZero() || now.Before(c.rec.Expiry.Add(-c.leadLocked())):
		st.TokenState = "valid"
	case now.Before(c.rec.Expiry):
		st.TokenState = "expiring"
	default:
		st.TokenState = "expired"
	}
	return st, nil
}

// RiskNote is what the user should read before connecting providerID.
func (m *Manager) RiskNote(providerID string) (string, bool) {
	e, ok := m.entry(providerID)
	return e.RiskNote, ok && e.RiskNote != ""
}

// IsSignInProvider reports whether providerID is a subscription sign-in.
func (m *Manager) IsSignInProvider(providerID string) bool {
	_, ok := m.entry(providerID)
	return ok
}

// Sync adopts sign-ins another process changed (`switchboard login`, or a
// CLI command that refreshed a token): every sign-in event since the last
// call whose stored tokens differ from the live ones replaces them, so a
// rotated refresh token written elsewhere is the one used here. It reports
// whether anything changed (the caller rebuilds routing).
func (m *Manager) Sync(ctx context.Context) (bool, error) {
	var last int64
	if err := m.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM signin_log`).Scan(&last); err != nil {
		return false, fmt.Errorf("signin: sync: %w", err)
	}
	m.mu.Lock()
	since, marked := m.synced, m.marked
	m.synced, m.marked = last, true
	m.mu.Unlock()
	if !marked || last <= since {
		return false, nil // first call only sets the mark
	}
	rows, err := m.db.QueryContext(ctx, `SELECT DISTINCT account_id FROM signin_log WHERE id > ? AND id <= ?`, since, last)
	if err != nil {
		return false, fmt.Errorf("signin: sync: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	rows.Close()
	changed := false
	for _, id := range ids {
		m.mu.Lock()
		c := m.creds[id]
		m.mu.Unlock()
		var held tokens // what c holds before the store is read
		var heldState string
		if c != nil {
			c.mu.Lock()
			held, heldState = c.rec.tokens, c.rec.State
			c.mu.Unlock()
		}
		recs, err := m.db.load(ctx, id)
		if m.syncRead != nil {
			m.syncRead()
		}
		if err != nil || len(recs) == 0 {
			continue
		}
		if c == nil {
			changed = true // a new account: the rebuild loads it
			continue
		}
		c.mu.Lock()
		same := c.rec.tokens == recs[0].tokens && c.rec.State == recs[0].State
		// busy, or its tokens or state changed while the row was read: this
		// process refreshed or was refused meanwhile, and the row is older
		// than what it holds (its own log row brings it back here).
		busy := c.flight != nil || c.rec.tokens != held || c.rec.State != heldState
		c.mu.Unlock()
		if !same && !busy {
			m.adopt(recs[0])
			changed = true
		}
	}
	return changed, nil
}
