package mgmt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"switchboard/backend/provider"
	"switchboard/backend/route"
	"switchboard/backend/signin"
)

// SignInProvider is a subscription the user can connect.
type SignInProvider struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Prefix   string   `json:"prefix"`
	RiskNote string   `json:"riskNote"`
	Models   []string `json:"models"`
	// ImportFrom is where the vendor's CLI keeps a login that could be
	// imported; "" when none was found.
	ImportFrom string `json:"importFrom"`
}

var errNoSignIns = errors.New("sign-ins are not available here")

// userErr marks a sign-in error as the user's to act on (400, message
// shown as is).
func userErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %v", ErrInvalid, err)
}

func (s *Services) signins() (*signin.Manager, error) {
	if s.routing == nil || s.routing.SignIns == nil {
		return nil, errNoSignIns
	}
	return s.routing.SignIns, nil
}

// SignInProviders lists the subscriptions that can be connected.
func (s *Services) SignInProviders() []SignInProvider {
	out := []SignInProvider{}
	m, err := s.signins()
	if err != nil {
		return out
	}
	for _, e := range provider.All() {
		if e.Auth != provider.AuthOAuth {
			continue
		}
		sp := SignInProvider{ID: e.ID, Name: e.Name, Prefix: e.Prefix, RiskNote: e.RiskNote, Models: []string{}}
		for _, mo := range e.Models {
			sp.Models = append(sp.Models, mo.ID)
		}
		if src, found := m.ImportSource(e.ID); found {
			sp.ImportFrom = src
		}
		out = append(out, sp)
	}
	return out
}

// StartSignIn begins a browser sign-in; the caller opens flow.URL.
func (s *Services) StartSignIn(ctx context.Context, providerID, account string) (signin.FlowView, error) {
	m, err := s.signins()
	if err != nil {
		return signin.FlowView{}, err
	}
	f, err := m.Start(ctx, signin.StartOptions{Provider: providerID, Account: account})
	return f, userErr(err)
}

// SignInFlow reports a sign-in in progress.
func (s *Services) SignInFlow(id string) (signin.FlowView, error) {
	m, err := s.signins()
	if err != nil {
		return signin.FlowView{}, err
	}
	f, err := m.FlowStatus(id)
	return f, userErr(err)
}

// MarkSignInOpened records that the desktop app opened the browser.
func (s *Services) MarkSignInOpened(id string) {
	if m, err := s.signins(); err == nil {
		m.MarkOpened(id)
	}
}

// CompleteSignIn finishes a sign-in with a pasted code or redirect URL.
func (s *Services) CompleteSignIn(ctx context.Context, id, code string) (signin.FlowView, error) {
	m, err := s.signins()
	if err != nil {
		return signin.FlowView{}, err
	}
	f, err := m.Complete(ctx, id, code)
	return f, userErr(err)
}

// CancelSignIn abandons a sign-in; nothing is stored.
func (s *Services) CancelSignIn(id string) error {
	m, err := s.signins()
	if err != nil {
		return err
	}
	return userErr(m.Cancel(id))
}

// ImportSignIn copies the vendor CLI's login into a new account.
func (s *Services) ImportSignIn(ctx context.Context, providerID, account string) (AccountView, error) {
	m, err := s.signins()
	if err != nil {
		return AccountView{}, err
	}
	id, err := m.Import(ctx, providerID, account)
	if err != nil {
		return AccountView{}, userErr(err)
	}
	return s.accountView(id)
}

// RefreshAccount renews a sign-in's token now.
func (s *Services) RefreshAccount(ctx context.Context, id string) (AccountView, error) {
	m, err := s.signins()
	if err != nil {
		return AccountView{}, err
	}
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := m.Refresh(rctx, id); err != nil {
		return AccountView{}, userErr(err)
	}
	return s.accountView(id)
}

// RefreshLog lists what happened to sign-ins' tokens, newest first.
func (s *Services) RefreshLog(ctx context.Context) ([]signin.LogEntry, error) {
	m, err := s.signins()
	if err != nil {
		return []signin.LogEntry{}, err
	}
	return m.Log(ctx, 200)
}

// accountView finds an account in the live providers list.
func (s *Services) accountView(id string) (AccountView, error) {
	for _, p := range s.Providers() {
		for _, a := range p.Accounts {
			if a.ID == id {
				return a, nil
			}
		}
	}
	return AccountView{}, fmt.Errorf("%w: account %s is stored but not routable (see the log)", ErrInvalid, id)
}

// withSignIn adds a sign-in's identity and token state to its view.
func (s *Services) withSignIn(av *AccountView, a *route.Account) {
	if a.Cred == nil {
		av.Kind = "key"
		return
	}
	av.Kind = "signin"
	m, err := s.signins()
	if err != nil {
		return
	}
	st, err := m.StatusOf(context.Background(), a.ID)
	if err != nil {
		return
	}
	av.Email, av.Plan, av.TokenState = st.Email, st.Plan, st.TokenState
	if !st.ExpiresAt.IsZero() {
		av.ExpiresAt = st.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if !st.RefreshedAt.IsZero() {
		av.RefreshedAt = st.RefreshedAt.UTC().Format(time.RFC3339)
	}
	if st.TokenState == "needs_sign_in" {
		av.State, av.Detail = "needs_sign_in", st.LastError
	} else if st.TokenState == "refresh_failing" && av.Detail == "" {
		av.Detail = st.LastError
	}
}
