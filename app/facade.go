package app

import (
	"context"

	"switchboard/backend/accounts"
	"switchboard/backend/clitools"
	"switchboard/backend/events"
	"switchboard/backend/keys"
	"switchboard/backend/mgmt"
	"switchboard/backend/notify"
	"switchboard/backend/quota"
	"switchboard/backend/route"
	"switchboard/backend/signin"
	"switchboard/backend/usage"
)

// App is bound into the window (window.go.app.App.*). Each method is a
// one-liner over mgmt.Services, the same services /api serves over HTTP.
type App struct {
	ctx context.Context
	svc *mgmt.Services
	// openURL opens the system browser (the window sets it; nil leaves it
	// to the page).
	openURL func(string)
	// saveAs asks where to save a file (the window's save dialog; "" when
	// the user cancels).
	saveAs func(defaultName string) (string, error)
}

// GetStatus reports the live status.
func (a *App) GetStatus() mgmt.Status { return a.svc.Status() }

// ListKeys lists local API keys.
func (a *App) ListKeys() []keys.Key { return a.svc.ListKeys() }

// CreateKey creates a key; its secret is returned once.
func (a *App) CreateKey(name string) (mgmt.CreatedKey, error) {
	return a.svc.CreateKey(a.ctx, name, keys.SourceDashboard)
}

// CreateKeyWithPolicy creates a key with its policy; the secret is returned once.
func (a *App) CreateKeyWithPolicy(name string, p keys.Policy) (mgmt.CreatedKey, error) {
	return a.svc.CreateKeyWithPolicy(a.ctx, name, keys.SourceDashboard, p)
}

// SetKeyPolicy replaces a key's policy.
func (a *App) SetKeyPolicy(id string, p keys.Policy) (keys.Key, error) {
	return a.svc.SetKeyPolicy(a.ctx, id, p)
}

// RevokeKey revokes a key by id or name.
func (a *App) RevokeKey(id string) error { return a.svc.RevokeKey(a.ctx, id) }

// GetSettings returns the runtime settings.
func (a *App) GetSettings() (mgmt.Settings, error) { return a.svc.GetSettings(a.ctx) }

// SaveSettings stores the runtime settings.
func (a *App) SaveSettings(s mgmt.Settings) (mgmt.Settings, error) {
	return a.svc.SaveSettings(a.ctx, s)
}

// GetCatalog lists every known provider.
func (a *App) GetCatalog() []mgmt.CatalogEntry { return a.svc.Catalog() }

// ListProviders lists configured providers with their accounts.
func (a *App) ListProviders() []mgmt.ProviderView { return a.svc.Providers() }

// SaveProvider adds or edits a stored provider.
func (a *App) SaveProvider(in mgmt.ProviderInput) error { return a.svc.SaveProvider(a.ctx, in) }

// DiscoverModels lists the models a provider's upstream serves.
func (a *App) DiscoverModels(in mgmt.ProviderInput) ([]string, error) {
	return a.svc.DiscoverModels(a.ctx, in)
}

// DeleteProvider removes a stored provider.
func (a *App) DeleteProvider(id string) error { return a.svc.DeleteProvider(a.ctx, id) }

// AddAccount adds an account to a provider.
func (a *App) AddAccount(providerID string, in mgmt.AccountInput) (mgmt.AccountView, error) {
	return a.svc.AddAccount(a.ctx, providerID, in)
}

// UpdateAccount patches an account.
func (a *App) UpdateAccount(id string, p accounts.AccountPatch) error {
	return a.svc.UpdateAccount(a.ctx, id, p)
}

// DeleteAccount removes an account.
func (a *App) DeleteAccount(id string) error { return a.svc.DeleteAccount(a.ctx, id) }

// TestProvider sends a tiny real request per account.
func (a *App) TestProvider(providerID, accountID string) ([]mgmt.TestResult, error) {
	return a.svc.TestProvider(a.ctx, providerID, accountID)
}

// ListModels lists routable models.
func (a *App) ListModels() []route.ModelInfo { return a.svc.Models() }

// ListAliases returns the effective aliases.
func (a *App) ListAliases() map[string]string { return a.svc.Aliases() }

// SetAlias creates, replaces or deletes (empty target) an alias.
func (a *App) SetAlias(alias, target string) error { return a.svc.SetAlias(a.ctx, alias, target) }

// ListLogs queries the request log.
func (a *App) ListLogs(f usage.Filter) ([]usage.Row, error) { return a.svc.Logs(a.ctx, f) }

// GetLogDetail returns one log row with its bodies and headers.
func (a *App) GetLogDetail(id int64) (usage.Row, error) { return a.svc.LogDetail(a.ctx, id) }

// GetLogFacets lists the values the Logs page's pickers offer.
func (a *App) GetLogFacets() (usage.Facets, error) { return a.svc.LogFacets(a.ctx) }

// ExportLogs asks where to save, then streams the filtered log there as csv
// or jsonl; it returns the file written ("" when the user cancelled).
func (a *App) ExportLogs(f usage.Filter, format string) (string, error) {
	return exportLogsTo(a.ctx, a.svc, a.saveAs, f, format)
}

// GetHealth reports breakers and cooldowns.
func (a *App) GetHealth() mgmt.HealthView { return a.svc.Health() }

// ResetHealth clears cooldowns and breakers (all, a provider or an account).
func (a *App) ResetHealth(provider, account string) int { return a.svc.ResetHealth(provider, account) }

// ListCombos lists combos with each target's live state.
func (a *App) ListCombos() []mgmt.ComboView { return a.svc.Combos() }

// SaveCombo creates or replaces a combo.
func (a *App) SaveCombo(in mgmt.ComboInput) error { return a.svc.SaveCombo(a.ctx, in) }

// SuggestCombo proposes a fallback combo, subscriptions first.
func (a *App) SuggestCombo() mgmt.ComboInput { return a.svc.SuggestedCombo() }

// DeleteCombo removes a combo.
func (a *App) DeleteCombo(name string) error { return a.svc.DeleteCombo(a.ctx, name) }

// ListEvents lists recent routing events.
func (a *App) ListEvents(limit int) ([]events.Row, error) { return a.svc.Events(a.ctx, limit) }

// GetTools detects coding tools and lists manual ones.
func (a *App) GetTools() (mgmt.ToolsOverview, error) { return a.svc.ToolsOverview(a.ctx) }

// PlanTool previews the change for a tool (a diff per file).
func (a *App) PlanTool(id string, c clitools.Choice) (*clitools.Plan, error) {
	return a.svc.PlanTool(a.ctx, id, c)
}

// ApplyTool points a tool at Switchboard.
func (a *App) ApplyTool(id string, c clitools.Choice) (*clitools.Result, error) {
	return a.svc.ApplyTool(a.ctx, id, c)
}

// UndoTool restores a tool's configuration.
func (a *App) UndoTool(id string) (*clitools.Result, error) { return a.svc.UndoTool(a.ctx, id) }

// GetNotificationPrefs returns which notifications are shown and how often.
func (a *App) GetNotificationPrefs() (notify.Prefs, error) { return a.svc.GetNotificationPrefs(a.ctx) }

// SaveNotificationPrefs stores the notification preferences.
func (a *App) SaveNotificationPrefs(p notify.Prefs) (notify.Prefs, error) {
	return a.svc.SaveNotificationPrefs(a.ctx, p)
}

// GetLaunchAtLogin reports whether Switchboard starts (minimised) at login.
func (a *App) GetLaunchAtLogin() mgmt.LaunchAtLogin { return a.svc.GetLaunchAtLogin() }

// SetLaunchAtLogin turns launch at login on or off.
func (a *App) SetLaunchAtLogin(on bool) (mgmt.LaunchAtLogin, error) {
	return a.svc.SetLaunchAtLogin(on)
}

// PauseProvider stops routing to a provider until it is resumed.
func (a *App) PauseProvider(id string) error { return a.svc.PauseProvider(a.ctx, id) }

// ResumeProvider routes to a paused provider again.
func (a *App) ResumeProvider(id string) error { return a.svc.ResumeProvider(a.ctx, id) }

// ListPausedProviders lists the paused provider ids.
func (a *App) ListPausedProviders() ([]string, error) { return a.svc.PausedProviders(a.ctx) }

// GetTodayUsage sums today's requests, tokens and estimated cost.
func (a *App) GetTodayUsage() (usage.Totals, error) { return a.svc.TodayUsage(a.ctx) }

// ListSignIns lists the subscriptions that can be connected.
func (a *App) ListSignIns() []mgmt.SignInProvider { return a.svc.SignInProviders() }

// StartSignIn begins a sign-in and opens the system browser on it, unless
// manual (the user signs in from a browser on another machine).
func (a *App) StartSignIn(provider, account string, manual bool) (signin.FlowView, error) {
	f, err := a.svc.StartSignIn(a.ctx, provider, account)
	if err == nil && a.openURL != nil && !manual {
		a.openURL(f.URL)
		a.svc.MarkSignInOpened(f.ID)
		f.Opened = true
	}
	return f, err
}

// GetSignInFlow reports a sign-in in progress.
func (a *App) GetSignInFlow(id string) (signin.FlowView, error) { return a.svc.SignInFlow(id) }

// CompleteSignIn finishes a sign-in with a pasted code or redirect URL.
func (a *App) CompleteSignIn(id, code string) (signin.FlowView, error) {
	return a.svc.CompleteSignIn(a.ctx, id, code)
}

// CancelSignIn abandons a sign-in.
func (a *App) CancelSignIn(id string) error { return a.svc.CancelSignIn(id) }

// ImportSignIn copies the vendor CLI's login into a new account.
func (a *App) ImportSignIn(provider, account string) (mgmt.AccountView, error) {
	return a.svc.ImportSignIn(a.ctx, provider, account)
}

// RefreshAccount renews a sign-in's token now.
func (a *App) RefreshAccount(id string) (mgmt.AccountView, error) {
	return a.svc.RefreshAccount(a.ctx, id)
}

// GetRefreshLog lists what happened to sign-ins' tokens.
func (a *App) GetRefreshLog() ([]signin.LogEntry, error) { return a.svc.RefreshLog(a.ctx) }

// ListQuota lists every account's quota windows and state (Limits page).
func (a *App) ListQuota() quota.Overview { return a.svc.Quota() }

// RefreshQuota asks an account's usage endpoint now.
func (a *App) RefreshQuota(accountID string) (quota.AccountView, error) {
	return a.svc.RefreshQuota(a.ctx, accountID)
}

// TrayQuota is each provider's tightest quota window (tray lines, icon).
func (a *App) TrayQuota() []quota.ProviderLine { return a.svc.TrayQuota() }

// GetAnalytics aggregates the request log (Analytics page).
func (a *App) GetAnalytics(q usage.AnalyticsQuery) (usage.Report, error) {
	return a.svc.Analytics(a.ctx, q)
}

// ListPrices lists every model's effective price.
func (a *App) ListPrices() []usage.ModelPrice { return a.svc.Prices() }

// SetPrice overrides a model's price for new requests.
func (a *App) SetPrice(o usage.Override) error { return a.svc.SetPrice(a.ctx, o) }

// DeletePrice drops a price override.
func (a *App) DeletePrice(provider, model string) error {
	return a.svc.DeletePrice(a.ctx, provider, model)
}

// GetStorage reports the request log's retention and the database size.
func (a *App) GetStorage() (mgmt.StorageView, error) { return a.svc.Storage(a.ctx) }

// SaveRetention sets the request log's retention.
func (a *App) SaveRetention(r usage.Retention) (mgmt.StorageView, error) {
	return a.svc.SaveRetention(a.ctx, r)
}
