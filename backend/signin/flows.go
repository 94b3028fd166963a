package signin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"switchboard/backend/oauth"
)

// flowTimeout ends a sign-in nobody finished (the listener closes with it).
const flowTimeout = 10 * time.Minute

// pasteSettle is how long Complete waits for a failed exchange to end the
// flow before it reports the paste itself as unusable.
const pasteSettle = 300 * time.Millisecond

// flowKeep is how long a finished flow can still be read by a page polling
// it.
const flowKeep = 10 * time.Minute

// Flow states.
const (
	FlowPending  = "pending"
	FlowDone     = "done"
	FlowFailed   = "failed"
	FlowCanceled = "canceled"
)

// FlowView is a sign-in in progress as the dashboard, CLI and window see
// it. URL and ManualURL carry no secret (PKCE keeps the verifier here).
type FlowView struct {
	ID        string `json:"id"`
	Provider  string `json:"provider"`
	Account   string `json:"account"`
	URL       string `json:"url"`
	ManualURL string `json:"manualUrl"`
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`
	AccountID string `json:"accountId,omitempty"`
	Email     string `json:"email,omitempty"`
	Opened    bool   `json:"opened"` // the desktop app opened the system browser
	// Device sign-ins (RFC 8628): the user opens URL on any device and
	// enters UserCode; nothing is pasted back.
	Device   bool   `json:"device"`
	UserCode string `json:"userCode,omitempty"`
}

// Flow is one browser sign-in: the loopback listener waits for the
// redirect while the user may also paste the code (manual mode).
type Flow struct {
	m       *Manager
	pending *oauth.Pending    // browser sign-ins
	device  *oauth.DeviceAuth // device-code sign-ins
	cancel  context.CancelFunc
	done    chan struct{}

	mu   sync.Mutex
	view FlowView
	end  time.Time
}

// StartOptions choose how a sign-in runs.
type StartOptions struct {
	Provider string
	Account  string // "" names the account after the signed-in email
}

// Start begins a sign-in: it binds the redirect listener (the port the
// vendor requires, else a free one) and returns the URL to open. The flow
// ends by itself when the browser comes back, a code is pasted
// (Complete), it is canceled, or after 10 minutes; nothing is stored
// unless it succeeds.
func (m *Manager) Start(ctx context.Context, o StartOptions) (FlowView, error) {
	if m.ctx.Err() != nil {
		return FlowView{}, errors.New("signin: shutting down")
	}
	ep, err := m.endpoint(o.Provider)
	if err != nil {
		return FlowView{}, err
	}
	name, err := checkAccountName(o.Account)
	if err != nil {
		return FlowView{}, err
	}
	f := &Flow{m: m, done: make(chan struct{}), view: FlowView{ID: newFlowID(), Provider: o.Provider, Account: name, Status: FlowPending}}
	if ep.AuthURL == "" && ep.DeviceURL != "" {
		d, err := oauth.StartDevice(ctx, ep)
		if err != nil {
			return FlowView{}, fmt.Errorf("signin: %s: %w", o.Provider, err)
		}
		f.device, f.view.Device, f.view.UserCode, f.view.URL = d, true, d.UserCode, d.VerificationURI
		if d.VerificationURIComplete != "" {
			f.view.URL = d.VerificationURIComplete
		}
	} else {
		p, err := oauth.Begin(ctx, ep)
		if err != nil {
			return FlowView{}, fmt.Errorf("signin: %s: %w", o.Provider, err)
		}
		f.pending, f.view.URL, f.view.ManualURL = p, p.URL(), p.ManualURL()
	}
	fctx, cancel := context.WithTimeout(m.ctx, flowTimeout)
	f.cancel = cancel
	m.mu.Lock()
	m.pruneFlowsLocked()
	m.flows[f.view.ID] = f
	m.mu.Unlock()
	m.wg.Add(1)
	go f.run(fctx)
	return f.View(), nil
}

func newFlowID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "f_" + hex.EncodeToString(b)
}

// checkAccountName trims and bounds a user-chosen account name.
func checkAccountName(n string) (string, error) {
	n = strings.TrimSpace(n)
	if len(n) > 80 || strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", errors.New("signin: the account name must be at most 80 printable characters")
	}
	return n, nil
}

// run waits for the redirect (or a pasted code: both end in Wait's one
// exchange) and stores the account.
func (f *Flow) run(ctx context.Context) {
	defer f.m.wg.Done()
	defer f.cancel()
	defer close(f.done)
	var tok *oauth.Token
	var err error
	if f.device != nil {
		tok, err = f.device.Poll(ctx)
	} else {
		tok, err = f.pending.Wait(ctx)
	}
	if err == nil {
		var id string
		id, err = f.m.store(context.WithoutCancel(ctx), f.view.Provider, f.view.Account, tok, "signed_in", OutcomeSignedIn, "")
		if err == nil {
			f.finish(FlowDone, nil, id, tok.Claims.Email)
			return
		}
	}
	status := FlowFailed
	if errors.Is(ctx.Err(), context.Canceled) && f.isCanceled() {
		status = FlowCanceled
	}
	f.finish(status, err, "", "")
}

func (f *Flow) isCanceled() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.view.Status == FlowCanceled
}

func (f *Flow) finish(status string, err error, accountID, email string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.view.Status == FlowPending || status == FlowCanceled {
		f.view.Status = status
	}
	if err != nil && f.view.Status == FlowFailed {
		f.view.Error = flowError(f.view.Provider, err)
	}
	f.view.AccountID, f.view.Email = accountID, email
	f.end = f.m.now()
	f.m.changed(accountID)
}

// flowError is the message the user reads: what went wrong and what to do.
func flowError(providerID string, err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "the sign-in timed out after 10 minutes; start again"
	case errors.Is(err, oauth.ErrAccessDenied):
		return "the sign-in was declined in the browser; nothing was stored"
	case errors.Is(err, oauth.ErrExpired):
		return "the code expired before it was entered; start again"
	case errors.Is(err, oauth.ErrStateMismatch):
		return "the answer did not belong to this sign-in (state mismatch); nothing was stored, start again"
	}
	return strings.TrimPrefix(err.Error(), "signin: ")
}

// View returns the flow's current state.
func (f *Flow) View() FlowView {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.view
}

// flow finds a flow by id.
func (m *Manager) flow(id string) (*Flow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.flows[id]
	if f == nil {
		return nil, fmt.Errorf("signin: no sign-in %q in progress (it may have ended more than 10 minutes ago)", id)
	}
	return f, nil
}

// FlowStatus reports a flow.
func (m *Manager) FlowStatus(id string) (FlowView, error) {
	f, err := m.flow(id)
	if err != nil {
		return FlowView{}, err
	}
	return f.View(), nil
}

// Complete finishes a flow with what the user pasted: the code (Claude's
// page shows "code#state") or the whole redirect URL. It waits for the
// account to be stored and returns the final state.
func (m *Manager) Complete(ctx context.Context, id, pasted string) (FlowView, error) {
	f, err := m.flow(id)
	if err != nil {
		return FlowView{}, err
	}
	if f.device != nil {
		return f.View(), errors.New("signin: this sign-in finishes by itself once you enter the code in the browser; there is nothing to paste")
	}
	if _, err := f.pending.Complete(ctx, pasted); err != nil {
		// An exchange that failed has ended the flow (run reports it within
		// moments); a paste that could not even be read (another sign-in's
		// state, garbage) leaves it pending for another try.
		select {
		case <-f.done:
			return f.View(), nil
		case <-time.After(pasteSettle):
			return f.View(), fmt.Errorf("signin: %s", flowError(f.View().Provider, err))
		}
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		return f.View(), ctx.Err()
	}
	return f.View(), nil
}

// Cancel ends a pending flow; nothing is stored.
func (m *Manager) Cancel(id string) error {
	f, err := m.flow(id)
	if err != nil {
		return err
	}
	f.mu.Lock()
	if f.view.Status == FlowPending {
		f.view.Status = FlowCanceled
	}
	f.mu.Unlock()
	f.cancel()
	if f.pending != nil {
		_ = f.pending.Close()
	}
	<-f.done
	return nil
}

// Wait blocks until the flow ends (the CLI) and returns its final state.
func (m *Manager) Wait(ctx context.Context, id string) (FlowView, error) {
	f, err := m.flow(id)
	if err != nil {
		return FlowView{}, err
	}
	select {
	case <-f.done:
		return f.View(), nil
	case <-ctx.Done():
		return f.View(), ctx.Err()
	}
}

// MarkOpened records that the desktop app opened the browser itself.
func (m *Manager) MarkOpened(id string) {
	if f, err := m.flow(id); err == nil {
		f.mu.Lock()
		f.view.Opened = true
		f.mu.Unlock()
	}
}

func (m *Manager) pruneFlowsLocked() {
	now := m.now()
	for id, f := range m.flows {
		f.mu.Lock()
		old := !f.end.IsZero() && now.Sub(f.end) > flowKeep
		f.mu.Unlock()
		if old {
			delete(m.flows, id)
		}
	}
}

// store saves a fresh sign-in (or import) and makes it live.
func (m *Manager) store(ctx context.Context, providerID, name string, tok *oauth.Token, source, outcome, detail string) (string, error) {
	if tok.AccessToken == "" {
		return "", errors.New("signin: the identity server issued no access token")
	}
	extra, err := m.finishSignIn(ctx, providerID, tok)
	if err != nil {
		return "", err
	}
	for _, n := range []string{extra.Name, tok.Claims.Email, "default"} {
		if name == "" {
			name = n
		}
	}
	r := record{ProviderID: providerID, Name: name, Expiry: tok.Expiry, Claims: tok.Claims, State: stateOK, Source: source,
		Extra:  extra,
		tokens: tokens{Access: tok.AccessToken.Reveal(), Refresh: tok.RefreshToken.Reveal(), IDToken: tok.IDToken.Reveal()}}
	if detail == "" && tok.Claims.Email != "" {
		detail = tok.Claims.Email
	}
	id, err := m.db.save(ctx, r, outcome, detail, m.now())
	if err != nil {
		return "", err
	}
	r.AccountID, r.RefreshedAt = id, m.now()
	m.adopt(r)
	m.log.Info("signed in", "provider", providerID, "account", name, "via", outcome)
	if m.onSignIn != nil {
		m.onSignIn(ctx, id)
	}
	m.changed(id)
	return id, nil
}
