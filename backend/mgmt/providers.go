package mgmt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"switchboard/backend/accounts"
	"switchboard/backend/config"
	"switchboard/backend/events"
	"switchboard/backend/provider"
	"switchboard/backend/quota"
	"switchboard/backend/route"
	"switchboard/backend/signin"
	"switchboard/backend/usage"
)

// Routing is what the provider services need from the running instance.
type Routing struct {
	Accounts *accounts.Store
	Routes   *route.Table
	Client   *provider.Client
	Reload   func(context.Context) error
	Health   *route.Health
	SignIns  *signin.Manager // nil where sign-ins are not available
	// Quota is the accounts' quota windows (nil where the gateway does not run).
	Quota *quota.Tracker
	// ReserveFromConfig: the config file sets quota_reserve_percent, which
	// the settings cannot change.
	ReserveFromConfig bool
	// ConfigCombos names the combos the config file defines (read-only).
	ConfigCombos []string
}

// SetRouting wires the provider services (nil until the gateway runs).
func (s *Services) SetRouting(r *Routing) { s.routing = r }

// CatalogModel is a known model of a catalog provider.
type CatalogModel struct {
	ID          string  `json:"id"`
	Context     int     `json:"context"`
	InputPrice  float64 `json:"inputPrice"`
	OutputPrice float64 `json:"outputPrice"`
	Embedding   bool    `json:"embedding"`
}

// CatalogEntry is a provider users can add.
type CatalogEntry struct {
	ID      string         `json:"id"`
	Name    string         `json:"name"`
	Prefix  string         `json:"prefix"`
	Dialect string         `json:"dialect"`
	Tier    string         `json:"tier"`
	Local   bool           `json:"local"`
	Docs    string         `json:"docs"`
	BaseURL string         `json:"baseUrl"`
	Models  []CatalogModel `json:"models"`
}

// Catalog lists every known provider, grouped by tier order.
func (s *Services) Catalog() []CatalogEntry {
	var out []CatalogEntry
	for _, e := range provider.All() {
		out = append(out, catalogEntry(e))
	}
	sort.SliceStable(out, func(i, j int) bool { return tierRank(out[i].Tier) < tierRank(out[j].Tier) })
	return out
}

func catalogEntry(e provider.Entry) CatalogEntry {
	c := CatalogEntry{ID: e.ID, Name: e.Name, Prefix: e.Prefix, Dialect: string(e.Dialect), Tier: e.Tier,
		Local: e.Local, Docs: e.Docs, BaseURL: e.BaseURL, Models: []CatalogModel{}}
	for _, m := range e.Models {
		c.Models = append(c.Models, CatalogModel{ID: m.ID, Context: m.Context, InputPrice: m.InputPrice,
			OutputPrice: m.OutputPrice, Embedding: m.Embedding})
	}
	return c
}

func tierRank(t string) int {
	switch t {
	case "subscription":
		return 0
	case "api-key":
		return 1
	case "cheap":
		return 2
	case "free":
		return 3
	case "local":
		return 4
	}
	return 5
}

// AccountView is an account as the dashboard sees it (key masked).
type AccountView struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Last4         string `json:"last4"`
	Source        string `json:"source"` // config | store
	Disabled      bool   `json:"disabled"`
	Priority      int    `json:"priority"`
	MaxConcurrent int    `json:"maxConcurrent"`
	RPM           int    `json:"rpm"`
	State         string `json:"state"` // ok | disabled | rate_limited | quota_exhausted | auth_failed | upstream_error | breaker_open
	// Keyless: the account sends no key (a local or self-hosted server).
	Keyless bool   `json:"keyless,omitempty"`
	Until   string `json:"until,omitempty"` // RFC 3339, when a rest ends
	Detail  string `json:"detail,omitempty"`
	// Sign-in accounts (kind "signin") show who signed in and their token.
	Kind        string `json:"kind"` // key | signin
	Email       string `json:"email,omitempty"`
	Plan        string `json:"plan,omitempty"`
	TokenState  string `json:"tokenState,omitempty"` // valid | expiring | expired | refresh_failing | needs_sign_in
	ExpiresAt   string `json:"expiresAt,omitempty"`
	RefreshedAt string `json:"refreshedAt,omitempty"`
}

// ProviderView is a configured provider with its accounts and state.
type ProviderView struct {
	CatalogEntry
	Source   string `json:"source"`
	Disabled bool   `json:"disabled"`
	Usable   bool   `json:"usable"`
	// Unusable says why no request can go to the provider ("" when usable).
	Unusable string        `json:"unusable,omitempty"`
	Accounts []AccountView `json:"accounts"`
	// Custom: not from the catalog (URL, type and models are the user's).
	Custom     bool   `json:"custom"`
	Type       string `json:"type,omitempty"` // a custom provider's openai-compatible, …
	AllowLocal bool   `json:"allowLocal"`
	// KeyOptional: the provider may run with a keyless account.
	KeyOptional bool `json:"keyOptional"`
	// Check is untested | ok | failed: whether a test or a request has
	// succeeded (ok), the last test failed, or neither happened yet.
	Check      string `json:"check"`
	CheckedAt  string `json:"checkedAt,omitempty"`
	CheckError string `json:"checkError,omitempty"`
}

var errNoRouting = errors.New("the gateway is not running")

// Providers lists configured providers from the live snapshot.
func (s *Services) Providers() []ProviderView {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s.routing == nil {
		return []ProviderView{}
	}
	out := []ProviderView{}
	resting := map[string]route.Cooldown{} // account id → longest rest
	breakers := map[string]route.BreakerView{}
	if s.routing.Health != nil {
		for _, c := range s.routing.Health.Cooldowns() {
			if old, ok := resting[c.AccountID]; !ok || c.Until.After(old.Until) {
				resting[c.AccountID] = c
			}
		}
		for _, b := range s.routing.Health.Breakers() {
			breakers[b.Provider] = b
		}
	}
	for _, p := range s.routing.Routes.Load().Providers() {
		v := ProviderView{CatalogEntry: catalogEntry(p.Entry), Source: p.Source, Disabled: p.Disabled, Usable: p.Usable(),
			Accounts: []AccountView{}, AllowLocal: p.Entry.AllowLocal, KeyOptional: p.Entry.KeyOptional()}
		if e := p.UnusableError(); e != nil {
			v.Unusable = e.Message
		}
		s.describeProvider(ctx, &v, p)
		for _, a := range p.Accounts {
			av := AccountView{ID: a.ID, Name: a.Name, Last4: last4(a.APIKey), Source: a.Source, Keyless: a.APIKey == "" && a.Cred == nil,
				Disabled: a.Disabled, Priority: a.Priority, MaxConcurrent: a.MaxConcurrent, RPM: a.RPM, State: "ok"}
			switch c, rest := resting[a.ID]; {
			case a.Disabled:
				av.State = "disabled"
			case rest:
				av.State, av.Until, av.Detail = string(c.Reason), c.Until.UTC().Format(time.RFC3339), c.Message
			case breakers[p.Entry.ID].State == route.BreakerOpen:
				av.State, av.Until = "breaker_open", breakers[p.Entry.ID].OpenUntil.UTC().Format(time.RFC3339)
			}
			s.withSignIn(&av, a)
			v.Accounts = append(v.Accounts, av)
		}
		out = append(out, v)
	}
	return out
}

func last4(k string) string {
	if len(k) <= 8 {
		return ""
	}
	return k[len(k)-4:]
}

// ProviderInput adds or edits a stored provider.
type ProviderInput struct {
	ID         string   `json:"id"`
	Type       string   `json:"type"`
	Name       string   `json:"name"`
	Prefix     string   `json:"prefix"`
	BaseURL    string   `json:"baseUrl"`
	AllowLocal bool     `json:"allowLocal"`
	Models     []string `json:"models"`
	Disabled   bool     `json:"disabled"`
	// APIKey and Account add an account with the provider (the custom
	// provider form's key field; the CLI's --name). Without them, a
	// provider that can run without a key and has no account gets a
	// keyless one, so it routes at once.
	APIKey  string `json:"apiKey,omitempty"`
	Account string `json:"account,omitempty"`
	// OwnAccount: the caller adds the account itself right after (the
	// CLI's providers add), so no keyless one is made.
	OwnAccount bool `json:"-"`
}

// SaveProvider validates (by building the entry) and stores a provider,
// with its first account (see ProviderInput.APIKey).
func (s *Services) SaveProvider(ctx context.Context, in ProviderInput) error {
	if s.routing == nil {
		return errNoRouting
	}
	pc := config.ProviderConfig{ID: in.ID, Type: in.Type, Name: in.Name, Prefix: in.Prefix, BaseURL: in.BaseURL,
		AllowLocal: in.AllowLocal, Models: in.Models}
	e, err := provider.FromConfig(pc)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, allowLocalHint(err))
	}
	err = s.routing.Accounts.UpsertProvider(ctx, accounts.StoredProvider{ID: in.ID, Type: in.Type, Name: in.Name,
		Prefix: in.Prefix, BaseURL: in.BaseURL, AllowLocal: in.AllowLocal, Models: in.Models, Disabled: in.Disabled})
	if err != nil {
		return err
	}
	if err := s.firstAccount(ctx, e, in); err != nil {
		return err
	}
	return s.changed(ctx)
}

// firstAccount adds the account a saved provider comes with: the one the
// input names or keys, else a keyless one when the provider can run
// without a key and has no account yet.
func (s *Services) firstAccount(ctx context.Context, e provider.Entry, in ProviderInput) error {
	name := strings.TrimSpace(in.Account)
	if name == "" && in.APIKey == "" {
		if in.OwnAccount || !e.KeyOptional() || e.Auth == provider.AuthNone {
			return nil
		}
		if p, ok := s.routing.Routes.Load().Provider(e.ID); ok && len(p.Accounts) > 0 {
			return nil
		}
		have, err := s.routing.Accounts.Accounts(ctx)
		if err != nil {
			return err
		}
		for _, a := range have {
			if a.ProviderID == e.ID {
				return nil
			}
		}
		name = accounts.KeylessName
	}
	if name == "" {
		name = "default"
	}
	_, err := s.routing.Accounts.AddAccount(ctx, accounts.StoredAccount{ProviderID: e.ID, Name: name}, strings.TrimSpace(in.APIKey))
	return err
}

// DeleteProvider removes a stored provider and its accounts.
func (s *Services) DeleteProvider(ctx context.Context, id string) error {
	if s.routing == nil {
		return errNoRouting
	}
	if err := s.routing.Accounts.DeleteProvider(ctx, id); err != nil {
		return err
	}
	return s.changed(ctx)
}

// AccountInput adds an account.
type AccountInput struct {
	Name          string `json:"name"`
	APIKey        string `json:"apiKey"`
	Priority      int    `json:"priority"`
	MaxConcurrent int    `json:"maxConcurrent"`
	RPM           int    `json:"rpm"`
}

// AddAccount stores an account (key sealed). Adding one to a catalog
// provider that is not configured yet configures it.
func (s *Services) AddAccount(ctx context.Context, providerID string, in AccountInput) (AccountView, error) {
	if s.routing == nil {
		return AccountView{}, errNoRouting
	}
	if e, ok := provider.Lookup(providerID); ok && e.Auth == provider.AuthOAuth {
		return AccountView{}, fmt.Errorf("%w: %s is a subscription: connect it with Sign in (or `switchboard login %s`), not an API key", ErrInvalid, e.Name, providerID)
	}
	if _, ok := s.routing.Routes.Load().Provider(providerID); !ok {
		if _, known := provider.Lookup(providerID); !known {
			return AccountView{}, fmt.Errorf("%w: unknown provider %q (add a custom provider first)", ErrInvalid, providerID)
		}
		if err := s.routing.Accounts.UpsertProvider(ctx, accounts.StoredProvider{ID: providerID}); err != nil {
			return AccountView{}, err
		}
	}
	a, err := s.routing.Accounts.AddAccount(ctx, accounts.StoredAccount{ProviderID: providerID, Name: in.Name,
		Priority: in.Priority, MaxConcurrent: in.MaxConcurrent, RPM: in.RPM}, in.APIKey)
	if err != nil {
		return AccountView{}, err
	}
	if strings.TrimSpace(in.APIKey) != "" {
		if err := s.dropKeyless(ctx, providerID); err != nil {
			return AccountView{}, err
		}
	}
	if err := s.changed(ctx); err != nil {
		return AccountView{}, err
	}
	return AccountView{ID: a.ID, Name: a.Name, Last4: a.Last4, Source: "store", Priority: a.Priority,
		MaxConcurrent: a.MaxConcurrent, RPM: a.RPM, State: "ok", Kind: "key"}, nil
}

// dropKeyless removes the keyless account a provider was given
// automatically (see firstAccount) once it has an account with a key: the
// key replaces it, so requests do not try the server without a key first.
func (s *Services) dropKeyless(ctx context.Context, providerID string) error {
	all, err := s.routing.Accounts.Accounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range all {
		if a.ProviderID != providerID || a.Name != accounts.KeylessName || a.Kind == accounts.KindSignIn {
			continue
		}
		if key, err := s.routing.Accounts.Reveal(a); err != nil || key != "" {
			continue
		}
		if err := s.routing.Accounts.DeleteAccount(ctx, a.ID); err != nil {
			return err
		}
	}
	return nil
}

// UpdateAccount patches a stored account.
func (s *Services) UpdateAccount(ctx context.Context, id string, p accounts.AccountPatch) error {
	if s.routing == nil {
		return errNoRouting
	}
	if err := s.routing.Accounts.UpdateAccount(ctx, id, p); err != nil {
		return err
	}
	return s.changed(ctx)
}

// DeleteAccount removes a stored account.
func (s *Services) DeleteAccount(ctx context.Context, id string) error {
	if s.routing == nil {
		return errNoRouting
	}
	if err := s.routing.Accounts.DeleteAccount(ctx, id); err != nil {
		return err
	}
	return s.changed(ctx)
}

// TestResult is the outcome of a provider test.
type TestResult struct {
	OK        bool   `json:"ok"`
	Account   string `json:"account"`
	LatencyMS int64  `json:"latencyMs"`
	Error     string `json:"error,omitempty"`
}

// TestProvider sends a tiny real request with each (or one) account.
func (s *Services) TestProvider(ctx context.Context, providerID, accountID string) ([]TestResult, error) {
	if s.routing == nil {
		return nil, errNoRouting
	}
	p, ok := s.routing.Routes.Load().Provider(providerID)
	if !ok {
		return nil, fmt.Errorf("%w: provider %q is not configured", ErrInvalid, providerID)
	}
	if e := p.UnusableError(); e != nil {
		out := []TestResult{{OK: false, Error: e.Message}}
		return out, s.recordCheck(ctx, providerID, out)
	}
	var out []TestResult
	test := func(name string, a *route.Account) {
		if a != nil && a.Disabled {
			out = append(out, TestResult{Account: name, Error: "this account is disabled: requests do not use it"})
			return
		}
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		auth, err := accountAccess(tctx, a)
		var d time.Duration
		if err == nil {
			d, err = s.routing.Client.Test(tctx, &p.Entry, auth, p.Entry.AllowLocal)
		}
		r := TestResult{OK: err == nil, Account: name, LatencyMS: d.Milliseconds()}
		if err != nil {
			r.Error = allowLocalHint(err).Error()
		}
		out = append(out, r)
	}
	if len(p.Accounts) == 0 {
		test("", nil)
	}
	for _, a := range p.Accounts {
		if accountID == "" || a.ID == accountID || a.Name == accountID {
			test(a.Name, a)
		}
	}
	return out, s.recordCheck(ctx, providerID, out)
}

// accountAccess is what a test call authenticates with: the API key, or a
// sign-in's current token.
func accountAccess(ctx context.Context, a *route.Account) (provider.Access, error) {
	switch {
	case a == nil:
		return provider.Access{}, nil
	case a.Cred != nil:
		return a.Cred.Access(ctx)
	}
	return provider.Access{Token: a.APIKey}, nil
}

// Models lists routable models (for pickers).
func (s *Services) Models() []route.ModelInfo {
	if s.routing == nil {
		return []route.ModelInfo{}
	}
	if m := s.routing.Routes.Load().Models(); m != nil {
		return m
	}
	return []route.ModelInfo{}
}

// SetAlias creates, replaces or (empty target) deletes an alias.
func (s *Services) SetAlias(ctx context.Context, alias, target string) error {
	if s.routing == nil {
		return errNoRouting
	}
	if err := s.routing.Accounts.SetAlias(ctx, alias, target); err != nil {
		return err
	}
	return s.changed(ctx)
}

// Aliases returns the effective aliases.
func (s *Services) Aliases() map[string]string {
	if s.routing == nil {
		return map[string]string{}
	}
	return s.routing.Routes.Load().Aliases()
}

// Logs queries request logs (a page, newest first, without bodies).
func (s *Services) Logs(ctx context.Context, f usage.Filter) ([]usage.Row, error) {
	return usage.Query(ctx, s.db, f)
}

// LogDetail is one log row with its bodies and headers.
func (s *Services) LogDetail(ctx context.Context, id int64) (usage.Row, error) {
	return usage.Detail(ctx, s.db, id)
}

// LogFacets lists the values the Logs page's pickers offer.
func (s *Services) LogFacets(ctx context.Context) (usage.Facets, error) {
	return usage.LogFacets(ctx, s.db)
}

// ExportLogs writes the rows f selects to w as CSV or JSON Lines (streamed).
func (s *Services) ExportLogs(ctx context.Context, f usage.Filter, format string, w io.Writer) (int, error) {
	return usage.Export(ctx, s.db, f, format, w)
}

func (s *Services) changed(ctx context.Context) error {
	err := s.routing.Reload(ctx)
	s.bus.Publish(events.Kind("providers"), nil)
	if err != nil {
		return fmt.Errorf("%w: saved, but some providers cannot be used: %v", ErrInvalid, err)
	}
	return nil
}
