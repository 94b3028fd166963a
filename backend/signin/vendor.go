package signin

import (
	"context"
	"encoding/json"

	"switchboard/backend/oauth"
	"switchboard/backend/provider"
)

// Extra is what a vendor assigns a sign-in besides its tokens, kept (not
// sealed: nothing here grants access) with the account.
type Extra struct {
	// BaseURL is the API base this account must use, when the vendor
	// names one per account (Qwen's resource_url, Copilot's API endpoint).
	BaseURL string `json:"base_url,omitempty"`
	// Project is the vendor project the account runs in (Google Cloud Code).
	Project string `json:"project,omitempty"`
	// Ref identifies the account to the upstream beside the token (Kiro's
	// profile ARN); Codex's account id comes from the id token instead.
	Ref string `json:"ref,omitempty"`
	// Name is what to call the account when the user named it nothing
	// (Copilot: the GitHub login, its sign-in carrying no email); not kept.
	Name string `json:"-"`
}

func (x Extra) json() string {
	b, _ := json.Marshal(x)
	return string(b)
}

func parseExtra(s string) Extra {
	var x Extra
	_ = json.Unmarshal([]byte(s), &x)
	return x
}

// vendor is what a subscription needs beyond the standard sign-in and
// refresh. Providers without one use the stored access token as is.
// Implementations live in one file per vendor and register in init.
type vendor interface {
	// finish runs after a sign-in or import and before anything is stored:
	// it checks the token is usable and returns what to keep beside it
	// (a discovered project, the account's API base). An error stores
	// nothing and is shown to the user.
	finish(ctx context.Context, m *Manager, providerID string, tok *oauth.Token) (Extra, error)
}

// exchanger is a vendor whose upstream takes another token than the one
// signed in (Copilot trades its GitHub token for a short-lived Copilot
// token). base is the stored sign-in's access; rejected is a token the
// upstream just refused with 401 ("" otherwise): drop it and get another
// (renewNow: drop whatever is held). Implementations cache per account and
// exchange at most once at a time; m gives them the provider's config
// overrides, clock and lifetime.
type exchanger interface {
	exchange(ctx context.Context, m *Manager, providerID, accountID string, base provider.Access, rejected string) (provider.Access, error)
}

// reassigner is a vendor whose refresh answers may change what finish
// kept (Qwen names the account's API host again with each token): it
// returns what to keep from now on.
type reassigner interface {
	refreshed(prev Extra, tok *oauth.Token) Extra
}

// renewNow as the rejected token asks an exchanger for a fresh token
// whatever it holds (the dashboard's "Refresh now" on such a sign-in).
const renewNow = "\x00renew"

// vendors by provider id.
var vendors = map[string]vendor{}

// registerVendor adds a vendor (called from init).
func registerVendor(providerID string, v vendor) { vendors[providerID] = v }

// finishSignIn runs the provider's vendor step, if it has one.
func (m *Manager) finishSignIn(ctx context.Context, providerID string, tok *oauth.Token) (Extra, error) {
	if v, ok := vendors[providerID]; ok {
		return v.finish(ctx, m, providerID, tok)
	}
	return Extra{}, nil
}

// refreshedExtra is what an account keeps beside its tokens after a
// refresh answered tok.
func refreshedExtra(providerID string, prev Extra, tok *oauth.Token) Extra {
	if r, ok := vendors[providerID].(reassigner); ok {
		return r.refreshed(prev, tok)
	}
	return prev
}

// upstreamAccess turns the sign-in's access into what the upstream takes.
func (m *Manager) upstreamAccess(ctx context.Context, providerID, accountID string, base provider.Access, rejected string) (provider.Access, error) {
	if ex, ok := vendors[providerID].(exchanger); ok {
		return ex.exchange(ctx, m, providerID, accountID, base, rejected)
	}
	return base, nil
}

// providerBase is providerID's API base as the config sets it (tests,
// self-hosted relays), else def: vendor steps call the vendor's API there.
func (m *Manager) providerBase(providerID, def string) string {
	if b := m.bases[providerID]; b != "" {
		return b
	}
	return def
}
