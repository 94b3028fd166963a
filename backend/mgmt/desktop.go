package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"switchboard/backend/accounts"
	"switchboard/backend/autostart"
	"switchboard/backend/events"
	"switchboard/backend/notify"
	"switchboard/backend/route"
	"switchboard/backend/usage"
)

// Desktop services: notification preferences, launch at login, pausing a
// provider, today's usage, and the hooks the desktop app registers for the
// tray (the macOS tray helper reads the menu over HTTP).

// Bus events published by these services.
const (
	// AutostartChanged: launch at login was switched on or off.
	AutostartChanged events.Kind = "autostart"
	// PausedChanged: a provider was paused or resumed.
	PausedChanged events.Kind = "paused"
)

// Settings keys of their own (the shared 'ui' Settings stay untouched).
const (
	notificationsKey = "notifications"
	pausedKey        = "paused_providers"
)

// DesktopHooks are registered by the desktop app.
type DesktopHooks struct {
	// TrayMenu returns the tray menu as the app computes it (JSON-encoded
	// for GET /api/tray).
	TrayMenu func() any
	// TrayAction performs a menu item's action (POST /api/tray/action).
	TrayAction func(ctx context.Context, action string) error
}

// desktopExt is the desktop-only state of Services (tray hooks, launch at
// login, pause bookkeeping).
type desktopExt struct {
	mu      sync.Mutex
	hooks   DesktopHooks
	login   *autostart.Item
	loginOK bool
	pauseMu sync.Mutex // serialises pause/resume read-modify-write
}

func (s *Services) desktop() *desktopExt { return &s.desk }

// SetDesktopHooks registers the desktop app's tray hooks.
func (s *Services) SetDesktopHooks(h DesktopHooks) {
	d := s.desktop()
	d.mu.Lock()
	d.hooks = h
	d.mu.Unlock()
}

func (s *Services) hooks() DesktopHooks {
	d := s.desktop()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hooks
}

// ErrNoTray is returned when no desktop app registered a tray.
var ErrNoTray = errors.New("no tray: this Switchboard runs headless")

// TrayMenu returns the tray menu computed by the desktop app.
func (s *Services) TrayMenu() (any, error) {
	h := s.hooks()
	if h.TrayMenu == nil {
		return nil, ErrNoTray
	}
	return h.TrayMenu(), nil
}

// TrayAction performs a tray menu action ("open", "pause:openai", …).
func (s *Services) TrayAction(ctx context.Context, action string) error {
	h := s.hooks()
	if h.TrayAction == nil {
		return ErrNoTray
	}
	return h.TrayAction(ctx, action)
}

// ---- notification preferences ----

// GetNotificationPrefs returns the stored preferences (defaults when none;
// kinds added later default to on).
func (s *Services) GetNotificationPrefs(ctx context.Context) (notify.Prefs, error) {
	p := notify.DefaultPrefs()
	if _, err := s.loadJSON(ctx, notificationsKey, &p); err != nil {
		return notify.DefaultPrefs(), err
	}
	if p, err := p.Normalize(); err == nil {
		return p, nil
	}
	return notify.DefaultPrefs(), nil
}

// SaveNotificationPrefs validates and stores the preferences; the running
// notifier picks them up from the bus.
func (s *Services) SaveNotificationPrefs(ctx context.Context, p notify.Prefs) (notify.Prefs, error) {
	p, err := p.Normalize()
	if err != nil {
		return notify.Prefs{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := s.saveJSON(ctx, notificationsKey, p); err != nil {
		return notify.Prefs{}, err
	}
	if s.routing != nil && s.routing.Quota != nil {
		s.routing.Quota.SetThreshold(p.QuotaThresholdPercent, p.QuotaThresholds)
	}
	s.bus.Publish(notify.KindPrefsChanged, p)
	return p, nil
}

// ---- launch at login ----

// LaunchAtLogin is the launch-at-login state.
type LaunchAtLogin struct {
	Enabled   bool   `json:"enabled"`
	Supported bool   `json:"supported"`
	Command   string `json:"command"` // what the login session runs
	Error     string `json:"error,omitempty"`
}

// SetLoginItem replaces the launch-at-login registration (tests; the
// default registers this executable with --minimized).
func (s *Services) SetLoginItem(it *autostart.Item) {
	d := s.desktop()
	d.mu.Lock()
	d.login, d.loginOK = it, it != nil
	d.mu.Unlock()
}

func (s *Services) loginItem() (*autostart.Item, error) {
	d := s.desktop()
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.loginOK {
		it, err := autostart.ForThisApp()
		if err != nil {
			return nil, err
		}
		d.login, d.loginOK = it, true
	}
	return d.login, nil
}

// GetLaunchAtLogin reports whether the app starts at login.
func (s *Services) GetLaunchAtLogin() LaunchAtLogin {
	it, err := s.loginItem()
	if err != nil {
		return LaunchAtLogin{Error: err.Error()}
	}
	return LaunchAtLogin{Enabled: it.Enabled(), Supported: true, Command: strings.Join(it.Exec(), " ")}
}

// SetLaunchAtLogin registers or unregisters the app.
func (s *Services) SetLaunchAtLogin(on bool) (LaunchAtLogin, error) {
	it, err := s.loginItem()
	if err != nil {
		return LaunchAtLogin{Error: err.Error()}, err
	}
	if err := it.Set(on); err != nil {
		return s.GetLaunchAtLogin(), err
	}
	s.bus.Publish(AutostartChanged, on)
	return s.GetLaunchAtLogin(), nil
}

// ---- pausing a provider ----

// pausedEntry records what pausing a provider changed, so resuming undoes
// exactly that (accounts the user had disabled stay disabled).
type pausedEntry struct {
	Accounts []string `json:"accounts,omitempty"` // stored account ids disabled by the pause
	Provider bool     `json:"provider,omitempty"` // the stored provider itself was disabled
	At       int64    `json:"at"`                 // unix ms
}

// PausedProviders lists the paused provider ids, sorted.
func (s *Services) PausedProviders(ctx context.Context) ([]string, error) {
	m, err := s.paused(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}

func (s *Services) paused(ctx context.Context) (map[string]pausedEntry, error) {
	m := map[string]pausedEntry{}
	if _, err := s.loadJSON(ctx, pausedKey, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// CanPause reports whether Switchboard can pause p: it needs an enabled
// account stored in the database, or p itself stored and keyless.
// Accounts from the config file are the file's to change.
func CanPause(p *route.Provider) bool {
	for _, a := range p.Accounts {
		if a.Source == "store" && !a.Disabled {
			return true
		}
	}
	return len(p.Accounts) == 0 && p.Source == "store" && !p.Disabled
}

// PauseProvider stops routing to a provider by disabling its stored
// accounts (or, for a keyless stored provider, the provider), remembering
// what it changed. The pause survives restarts. Pausing twice is a no-op.
func (s *Services) PauseProvider(ctx context.Context, id string) error {
	if s.routing == nil {
		return errNoRouting
	}
	d := s.desktop()
	d.pauseMu.Lock()
	defer d.pauseMu.Unlock()
	p, ok := s.routing.Routes.Load().Provider(id)
	if !ok {
		return fmt.Errorf("%w: provider %q is not configured", ErrInvalid, id)
	}
	pid := p.Entry.ID
	m, err := s.paused(ctx)
	if err != nil {
		return err
	}
	if _, already := m[pid]; already {
		return nil
	}
	if !CanPause(p) {
		return fmt.Errorf("%w: %s has no account Switchboard can pause (its accounts come from the config file: set disabled: true there)", ErrInvalid, pid)
	}
	e := pausedEntry{At: time.Now().UnixMilli()}
	for _, a := range p.Accounts {
		if a.Source != "store" || a.Disabled {
			continue
		}
		off := true
		if err := s.routing.Accounts.UpdateAccount(ctx, a.ID, accounts.AccountPatch{Disabled: &off}); err != nil {
			return err
		}
		e.Accounts = append(e.Accounts, a.ID)
	}
	if len(e.Accounts) == 0 {
		if err := s.setStoredProviderDisabled(ctx, pid, true); err != nil {
			return err
		}
		e.Provider = true
	}
	m[pid] = e
	if err := s.saveJSON(ctx, pausedKey, m); err != nil {
		return err
	}
	s.bus.Publish(PausedChanged, pid)
	return s.changed(ctx)
}

// ResumeProvider undoes PauseProvider. Resuming a provider that is not
// paused is a no-op; accounts deleted meanwhile are skipped.
func (s *Services) ResumeProvider(ctx context.Context, id string) error {
	if s.routing == nil {
		return errNoRouting
	}
	d := s.desktop()
	d.pauseMu.Lock()
	defer d.pauseMu.Unlock()
	pid := id
	if p, ok := s.routing.Routes.Load().Provider(id); ok {
		pid = p.Entry.ID
	}
	m, err := s.paused(ctx)
	if err != nil {
		return err
	}
	e, ok := m[pid]
	if !ok {
		return nil
	}
	on := false
	for _, aid := range e.Accounts {
		if err := s.routing.Accounts.UpdateAccount(ctx, aid, accounts.AccountPatch{Disabled: &on}); err != nil && !errors.Is(err, accounts.ErrNotFound) {
			return err
		}
	}
	if e.Provider {
		if err := s.setStoredProviderDisabled(ctx, pid, false); err != nil && !errors.Is(err, accounts.ErrNotFound) {
			return err
		}
	}
	delete(m, pid)
	if err := s.saveJSON(ctx, pausedKey, m); err != nil {
		return err
	}
	s.bus.Publish(PausedChanged, pid)
	return s.changed(ctx)
}

func (s *Services) setStoredProviderDisabled(ctx context.Context, id string, disabled bool) error {
	sps, err := s.routing.Accounts.Providers(ctx)
	if err != nil {
		return err
	}
	for _, sp := range sps {
		if sp.ID == id {
			sp.Disabled = disabled
			return s.routing.Accounts.UpsertProvider(ctx, sp)
		}
	}
	return accounts.ErrNotFound
}

// ---- today's usage ----

// TodayUsage sums today's requests, tokens and estimated cost (local day).
func (s *Services) TodayUsage(ctx context.Context) (usage.Totals, error) {
	return usage.Today(ctx, s.db, time.Now())
}

// ---- settings rows of their own ----

func (s *Services) loadJSON(ctx context.Context, key string, v any) (bool, error) {
	var raw string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&raw)
	if err != nil {
		if isNoRows(err) {
			return false, nil
		}
		return false, fmt.Errorf("mgmt: settings %s: %w", key, err)
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return false, fmt.Errorf("mgmt: settings %s corrupted: %w", key, err)
	}
	return true, nil
}

func (s *Services) saveJSON(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, string(b), time.Now().Unix())
	if err != nil {
		return fmt.Errorf("mgmt: save settings %s: %w", key, err)
	}
	return nil
}

// CanPause is CanPause for a provider as the dashboard lists it.
func (v ProviderView) CanPause() bool {
	for _, a := range v.Accounts {
		if a.Source == "store" && !a.Disabled {
			return true
		}
	}
	return len(v.Accounts) == 0 && v.Source == "store" && !v.Disabled
}
