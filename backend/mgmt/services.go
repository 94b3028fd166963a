// Package mgmt holds the management services (status, keys, settings…) and
// their HTTP transport under /api. The Wails bindings in app/ call the same
// Services methods: one contract, two transports.
package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"switchboard/backend/clitools"
	"switchboard/backend/events"
	"switchboard/backend/i18n"
	"switchboard/backend/keys"
	"switchboard/backend/playground"
	"switchboard/backend/quota"
	"switchboard/backend/store"
)

// Status is what the dashboard's status panel shows.
type Status struct {
	Version   string `json:"version"`
	Mode      string `json:"mode"` // desktop | headless
	Listen    string `json:"listen"`
	Endpoint  string `json:"endpoint"`
	StartedAt string `json:"startedAt"` // RFC 3339
	UptimeSec int64  `json:"uptimeSec"`
	Requests  int64  `json:"requests"`
	Keys      int    `json:"keys"`
	DataDir   string `json:"dataDir"`
	Keyring   string `json:"keyring"` // os-keyring | key-file
	// QuotaRev moves each time the quota windows are saved changed: a live
	// view (the Limits page, the Overview's card) re-reads GET /api/quota
	// when it sees a new value, not on every push.
	QuotaRev int64 `json:"quotaRev"`
}

// Settings are the runtime settings changed from the dashboard.
type Settings struct {
	LogRequestBodies bool   `json:"logRequestBodies"`
	ResponseCache    bool   `json:"responseCache"`
	Theme            string `json:"theme"` // system | light | dark
	// Language of the dashboard, tray, notifications and CLI: "system"
	// (the OS's) or a locale of i18n.Locales. Left out of a save, the
	// stored value stays (a dashboard that predates it keeps it).
	Language string `json:"language,omitempty"`
	// QuotaReservePercent: below this much left of its tightest quota
	// window, routing prefers an account's siblings (0: no reserve; a
	// config file's quota_reserve_percent wins). Left out of a save, the
	// stored value stays (a dashboard that predates it keeps it).
	QuotaReservePercent *int `json:"quotaReservePercent,omitempty"`
	// Metrics serves Prometheus metrics at /metrics (loopback clients
	// only). Left out of a save, the stored value stays; a config file's
	// metrics: wins (MetricsFromConfig).
	Metrics           *bool `json:"metrics,omitempty"`
	MetricsFromConfig bool  `json:"metricsFromConfig,omitempty"`
}

// DefaultSettings are used until the user saves any.
func DefaultSettings() Settings {
	r := quota.DefaultReservePercent
	return Settings{Theme: "system", Language: i18n.System, QuotaReservePercent: &r}
}

// CreatedKey is a new key with its one-time secret.
type CreatedKey struct {
	Key    keys.Key `json:"key"`
	Secret string   `json:"secret"`
}

// Runtime is what Services reads from the running gateway.
type Runtime struct {
	Version   string
	Mode      string
	Listen    func() string // the real address once listening
	DataDir   string
	Keyring   string
	StartedAt time.Time
	Requests  func() int64
	// RowsStored wakes after request log rows were written (the request
	// counter and today's totals moved); nil: nothing is pushed for them.
	RowsStored *events.Signal
	// ApplySettings pushes saved settings into the running gateway.
	ApplySettings func(Settings)
	// Metrics serves /metrics (nil: 404); MetricsFromConfig is the config
	// file's metrics: value, which wins over the setting.
	Metrics           http.Handler
	MetricsFromConfig *bool
}

// Services is the management API. Methods are safe for concurrent use.
type Services struct {
	db   *store.DB
	keys *keys.Service
	bus  *events.Bus
	rt   Runtime

	showWindow atomic.Pointer[func()]
	quitApp    atomic.Pointer[func()]
	routing    *Routing
	tools      *clitools.Service
	desk       desktopExt
	quotaRev   atomic.Int64
	portable   Portable
	onb        onboardingExt

	cost *CostDeps
	play *playground.Playground
}

// SetShowWindow registers how to bring the desktop window forward (nil in
// headless mode). A second launch uses it through /api/instance/show.
func (s *Services) SetShowWindow(f func()) { s.showWindow.Store(&f) }

// SetQuit registers how to quit the desktop app (the macOS tray helper's
// Quit item uses it through /api/app/quit).
func (s *Services) SetQuit(f func()) { s.quitApp.Store(&f) }

// Quit quits the desktop app; false when there is none.
func (s *Services) Quit() bool {
	f := s.quitApp.Load()
	if f == nil || *f == nil {
		return false
	}
	go (*f)()
	return true
}

// ShowWindow brings the window forward; false when there is none.
func (s *Services) ShowWindow() bool {
	f := s.showWindow.Load()
	if f == nil || *f == nil {
		return false
	}
	(*f)()
	return true
}

// NewServices wires the services.
func NewServices(db *store.DB, k *keys.Service, bus *events.Bus, rt Runtime) *Services {
	return &Services{db: db, keys: k, bus: bus, rt: rt}
}

// Bus is the event bus live views subscribe to.
func (s *Services) Bus() *events.Bus { return s.bus }

// WaitRowsStored is Runtime.RowsStored's Wait: a channel that receives after
// request log rows were written, and its stop function. Without a signal the
// channel never receives.
func (s *Services) WaitRowsStored() (<-chan struct{}, func()) {
	if s.rt.RowsStored == nil {
		return nil, func() {}
	}
	return s.rt.RowsStored.Wait()
}

// Status reports the live status.
func (s *Services) Status() Status {
	listen := s.rt.Listen()
	var req int64
	if s.rt.Requests != nil {
		req = s.rt.Requests()
	}
	return Status{
		Version: s.rt.Version, Mode: s.rt.Mode, Listen: listen, Endpoint: "http://" + listen,
		StartedAt: s.rt.StartedAt.UTC().Format(time.RFC3339),
		UptimeSec: int64(time.Since(s.rt.StartedAt).Seconds()),
		Requests:  req, Keys: s.keys.Count(), DataDir: s.rt.DataDir, Keyring: s.rt.Keyring,
		QuotaRev: s.quotaRev.Load(),
	}
}

// QuotaSaved tells live views that the quota windows changed: the bus
// event quota, then a status push carrying the new Status.QuotaRev.
func (s *Services) QuotaSaved() {
	s.quotaRev.Add(1)
	s.bus.Publish(events.QuotaChanged, nil)
	s.bus.Publish(events.StatusChanged, nil)
}

// ListKeys lists local API keys (never their secrets).
func (s *Services) ListKeys() []keys.Key { return s.keys.List() }

// CreateKey makes a key; the secret is returned once.
func (s *Services) CreateKey(ctx context.Context, name, source string) (CreatedKey, error) {
	k, secret, err := s.keys.Create(ctx, name, source)
	if err != nil {
		return CreatedKey{}, err
	}
	s.bus.Publish(events.KeysChanged, nil)
	s.bus.Publish(events.StatusChanged, nil)
	return CreatedKey{Key: k, Secret: secret}, nil
}

// CreateKeyWithPolicy makes a key with its policy set; the secret is
// returned once.
func (s *Services) CreateKeyWithPolicy(ctx context.Context, name, source string, p keys.Policy) (CreatedKey, error) {
	k, secret, err := s.keys.CreateWithPolicy(ctx, name, source, p)
	if err != nil {
		return CreatedKey{}, err
	}
	s.bus.Publish(events.KeysChanged, nil)
	s.bus.Publish(events.StatusChanged, nil)
	return CreatedKey{Key: k, Secret: secret}, nil
}

// SetKeyPolicy replaces a key's policy (models, rates, budgets, expiry,
// disabled). Keys declared in the config file are refused.
func (s *Services) SetKeyPolicy(ctx context.Context, idOrName string, p keys.Policy) (keys.Key, error) {
	k, err := s.keys.SetPolicy(ctx, idOrName, p)
	if err != nil {
		return keys.Key{}, err
	}
	s.bus.Publish(events.KeysChanged, nil)
	return k, nil
}

// KeyWarnings lists the key budgets at 80% or more (the tray's line).
func (s *Services) KeyWarnings() []keys.Warning { return s.keys.Warnings() }

// RevokeKey deletes a key by id or name.
func (s *Services) RevokeKey(ctx context.Context, idOrName string) error {
	if err := s.keys.Revoke(ctx, idOrName); err != nil {
		return err
	}
	s.bus.Publish(events.KeysChanged, nil)
	s.bus.Publish(events.StatusChanged, nil)
	return nil
}

// ErrInvalid marks a request the user must correct.
var ErrInvalid = errors.New("invalid")

// GetSettings returns the stored settings (defaults when none), with the
// values a config file imposes.
func (s *Services) GetSettings(ctx context.Context) (Settings, error) {
	st, err := LoadSettings(ctx, s.db)
	return s.withConfig(st), err
}

func (s *Services) withConfig(st Settings) Settings {
	if m := s.rt.MetricsFromConfig; m != nil {
		v := *m
		st.Metrics, st.MetricsFromConfig = &v, true
	}
	return st
}

// LoadSettings reads the stored settings (defaults when none).
func LoadSettings(ctx context.Context, db *store.DB) (Settings, error) {
	st := DefaultSettings()
	var raw string
	err := db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'ui'`).Scan(&raw)
	if err != nil {
		if isNoRows(err) {
			return st, nil
		}
		return st, fmt.Errorf("mgmt: settings: %w", err)
	}
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return DefaultSettings(), fmt.Errorf("mgmt: settings corrupted: %w", err)
	}
	if st.QuotaReservePercent == nil {
		st.QuotaReservePercent = DefaultSettings().QuotaReservePercent
	}
	if !i18n.Valid(st.Language) {
		st.Language = i18n.System
	}
	return st, nil
}

// SaveSettings validates and stores settings.
func (s *Services) SaveSettings(ctx context.Context, st Settings) (Settings, error) {
	switch st.Theme {
	case "system", "light", "dark":
	default:
		return Settings{}, fmt.Errorf("%w: theme %q is not one of system, light, dark", ErrInvalid, st.Theme)
	}
	if st.Language == "" {
		cur, err := LoadSettings(ctx, s.db)
		if err != nil {
			return Settings{}, err
		}
		st.Language = cur.Language
	} else if !i18n.Valid(st.Language) {
		return Settings{}, fmt.Errorf("%w: language %q is not one of system, %s", ErrInvalid, st.Language, strings.Join(i18n.Locales, ", "))
	}
	if p := st.QuotaReservePercent; p == nil {
		cur, err := LoadSettings(ctx, s.db)
		if err != nil {
			return Settings{}, err
		}
		st.QuotaReservePercent = cur.QuotaReservePercent
	} else if *p < 0 || *p > quota.MaxReservePercent {
		return Settings{}, fmt.Errorf("%w: quotaReservePercent %d is not from 0 to %d", ErrInvalid, *p, quota.MaxReservePercent)
	}
	if st.Metrics == nil {
		cur, err := LoadSettings(ctx, s.db)
		if err != nil {
			return Settings{}, err
		}
		st.Metrics = cur.Metrics
	}
	st.MetricsFromConfig = false // computed, never stored
	b, _ := json.Marshal(st)
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings(key, value, updated_at) VALUES ('ui', ?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, string(b), time.Now().Unix())
	if err != nil {
		return Settings{}, fmt.Errorf("mgmt: save settings: %w", err)
	}
	if s.rt.ApplySettings != nil {
		s.rt.ApplySettings(st)
	}
	return s.withConfig(st), nil
}
