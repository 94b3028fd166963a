// Package config is Switchboard's one configuration struct: defaults, the
// declarative YAML file an operator keeps in git, SWITCHBOARD_* environment
// variables and command-line flags, applied in that order (later wins), then
// validated as a whole so every problem is reported at once and nothing
// half-applies.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultListen is where clients find us unless told otherwise.
const DefaultListen = "127.0.0.1:20128"

// Bounds of max_inflight_body_mib. The default holds eight of the largest
// (32 MiB) agent requests at once; the ceiling only keeps the byte count
// far from overflow.
const (
	DefaultMaxInflightBodyMiB = 256
	maxInflightBodyMiBCeiling = 1 << 20
)

// Bounds of max_upload_mib, the largest multipart upload (audio to
// transcribe, images to edit). The default is OpenAI's 25 MB audio limit;
// uploads are spooled to disk, so the ceiling is about disk, not memory.
const (
	DefaultMaxUploadMiB = 25
	maxUploadMiBCeiling = 4 << 10
)

// MaxQuotaReservePercent bounds quota_reserve_percent: keeping more than
// half a plan back is not a reserve.
const MaxQuotaReservePercent = 50

// MaxBackupKeep bounds backup_keep (each backup is a whole database).
const MaxBackupKeep = 100

// Config is the whole configuration. Runtime changes build a new Config and
// swap it in; a Config is never mutated after Validate.
type Config struct {
	Listen    string `yaml:"listen"`
	DataDir   string `yaml:"data_dir"`
	LogFormat string `yaml:"log_format"` // text | json
	LogLevel  string `yaml:"log_level"`  // debug | info | warn | error

	// Keys are local API keys declared by the operator (reproducible
	// deployments). They are stored hashed like any other key.
	Keys []KeyConfig `yaml:"keys"`
	// Providers are upstream connections (see the README for the format).
	Providers []ProviderConfig `yaml:"providers"`
	// Combos are named, ordered fallback chains usable as a model name.
	Combos []ComboConfig `yaml:"combos"`
	// Aliases map a model name clients use to a routable model.
	Aliases map[string]string `yaml:"aliases"`

	// MaxInflightBodyMiB bounds the request bodies the gateway holds in
	// memory at once, all requests together; beyond it clients get 429
	// with Retry-After instead of the process growing without bound.
	MaxInflightBodyMiB int `yaml:"max_inflight_body_mib"`

	// MaxUploadMiB bounds one multipart upload (/v1/audio/transcriptions,
	// /translations, /v1/images/edits); larger ones get 413.
	MaxUploadMiB int `yaml:"max_upload_mib"`

	// QuotaReservePercent keeps the last part of every account's tightest
	// quota window back: below it, routing prefers accounts with more left
	// (nil: the dashboard's setting, default 0 = no reserve).
	QuotaReservePercent *int `yaml:"quota_reserve_percent"`

	// BackupKeep is how many database backups are kept (nil: the
	// dashboard's setting, default 7).
	BackupKeep *int `yaml:"backup_keep"`
	// Metrics turns the Prometheus endpoint (/metrics, loopback clients
	// only) on or off; nil leaves it to the dashboard's setting (default
	// off).
	Metrics *bool `yaml:"metrics"`
	// Prices override the catalog's prices per provider and model (USD per
	// million tokens); the dashboard shows them and cannot change them.
	Prices []PriceConfig `yaml:"prices"`
	// Retention bounds the request log (nil: the dashboard's setting,
	// default 30 days and 1024 MiB).
	Retention *RetentionConfig `yaml:"retention"`

	// Source is the file the config was read from ("" when none). Keys are
	// synced to the store only when it is set: no file means no declaration.
	Source string `yaml:"-"`

	// badOverrides are override values that could not be parsed; Validate
	// reports them.
	badOverrides []Problem
}

// PriceConfig is one model's price (see usage.Override): cache_read and
// cache_write 0 are billed as input, reasoning 0 as output.
type PriceConfig struct {
	Provider   string  `yaml:"provider"`
	Model      string  `yaml:"model"`
	Input      float64 `yaml:"input"`
	Output     float64 `yaml:"output"`
	CacheRead  float64 `yaml:"cache_read"`
	CacheWrite float64 `yaml:"cache_write"`
	Reasoning  float64 `yaml:"reasoning"`
}

// RetentionConfig bounds the request log: rows older than Days and, over
// MaxDBMiB, the oldest rows are deleted after being rolled up hourly
// (0 keeps the default).
type RetentionConfig struct {
	Days     int `yaml:"days"`
	MaxDBMiB int `yaml:"max_db_mib"`
}

// Bounds of the retention settings.
const (
	MaxRetentionDays = 3650
	MinMaxDBMiB      = 16
)

// KeyConfig declares a local API key and its policy (zero: no limit; see
// README "Per-key policy"). The file owns a declared key's policy: the
// dashboard and the CLI cannot change it.
type KeyConfig struct {
	Name          string   `yaml:"name"`
	Key           Secret   `yaml:"key"`
	Models        []string `yaml:"models"` // glob patterns of allowed model/combo names
	RPM           int      `yaml:"rpm"`
	TPM           int      `yaml:"tpm"`
	DailyUSD      float64  `yaml:"daily_usd"`
	MonthlyUSD    float64  `yaml:"monthly_usd"`
	DailyTokens   int64    `yaml:"daily_tokens"`
	MonthlyTokens int64    `yaml:"monthly_tokens"`
	ExpiresAt     string   `yaml:"expires_at"` // 2026-12-31 or RFC 3339
	Disabled      bool     `yaml:"disabled"`
}

// ProviderConfig declares an upstream provider and its accounts.
type ProviderConfig struct {
	ID         string            `yaml:"id"`   // catalog id (openai, anthropic…) or a custom id
	Type       string            `yaml:"type"` // for custom providers: openai-compatible | anthropic-compatible
	Name       string            `yaml:"name"`
	Prefix     string            `yaml:"prefix"`
	BaseURL    string            `yaml:"base_url"`
	AllowLocal bool              `yaml:"allow_local"`
	Headers    map[string]string `yaml:"headers"`
	Models     []string          `yaml:"models"`
	// Capabilities a custom provider's models serve (chat, embedding,
	// image, speech, transcription, moderation, rerank); default chat.
	Capabilities []string        `yaml:"capabilities"`
	Accounts     []AccountConfig `yaml:"accounts"`
	Disabled     bool            `yaml:"disabled"`
	// AccountStrategy picks among the provider's accounts on every request,
	// direct or through a combo (default fill-first; see README).
	AccountStrategy string `yaml:"account_strategy"`
	// SignIn overrides a subscription provider's sign-in endpoints (tests,
	// self-hosted identity servers); nil keeps the vendor's.
	SignIn *SignInConfig `yaml:"sign_in"`
}

// SignInConfig overrides where a subscription provider signs in. Empty
// fields keep the vendor's values.
type SignInConfig struct {
	AuthURL           string  `yaml:"auth_url"`
	TokenURL          string  `yaml:"token_url"`
	DeviceURL         string  `yaml:"device_url"`
	ClientID          string  `yaml:"client_id"`
	ClientSecret      Secret  `yaml:"client_secret"`       // an installed app's secret (Google's sign-ins send one)
	ManualRedirectURL *string `yaml:"manual_redirect_url"` // "" turns the vendor's manual page off
	RedirectPort      *int    `yaml:"redirect_port"`
	RefreshLead       string  `yaml:"refresh_lead"` // e.g. "4h"
	// APIURL is the vendor's API beside its identity server, for sign-ins
	// that need one after signing in (GitHub Copilot: https://api.github.com,
	// which trades the GitHub token for a Copilot token and names the user).
	APIURL string `yaml:"api_url"`
}

// AccountConfig is one credential of a provider.
type AccountConfig struct {
	Name          string `yaml:"name"`
	APIKey        Secret `yaml:"api_key"`
	Priority      int    `yaml:"priority"`
	MaxConcurrent int    `yaml:"max_concurrent"`
	RPM           int    `yaml:"rpm"`
	Disabled      bool   `yaml:"disabled"`
}

// ComboConfig declares a combo.
type ComboConfig struct {
	Name     string        `yaml:"name"`
	Strategy string        `yaml:"strategy"`
	Sticky   int           `yaml:"sticky"`
	Budget   string        `yaml:"budget"` // total time budget, e.g. "90s"
	Targets  []TargetEntry `yaml:"targets"`
}

// TargetEntry is one step of a combo.
type TargetEntry struct {
	Model           string `yaml:"model"`
	Account         string `yaml:"account"`
	Weight          int    `yaml:"weight"`
	OnlyOnExhausted bool   `yaml:"only_when_exhausted"`
}

// Secret is a string that never prints. Its YAML value may reference the
// environment as ${NAME} so secrets stay out of files kept in git.
type Secret string

// String redacts.
func (Secret) String() string { return "[REDACTED]" }

// GoString redacts under %#v too.
func (Secret) GoString() string { return "[REDACTED]" }

// Reveal returns the secret value. Call it only where the value is used.
func (s Secret) Reveal() string { return string(s) }

// Default returns the built-in defaults.
func Default() Config {
	return Config{Listen: DefaultListen, LogFormat: "text", LogLevel: "info", MaxInflightBodyMiB: DefaultMaxInflightBodyMiB,
		MaxUploadMiB: DefaultMaxUploadMiB}
}

// DefaultDataDir is os.UserConfigDir()/switchboard.
func DefaultDataDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("config: no user config dir (use --data-dir): %w", err)
	}
	return filepath.Join(d, "switchboard"), nil
}

// Overrides are values from the environment or flags; nil means "not set".
type Overrides struct {
	Listen, DataDir, LogFormat, LogLevel *string
	MaxInflightBodyMiB, MaxUploadMiB     *string
}

// Apply sets every non-nil override.
func (c *Config) Apply(o Overrides) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.Listen, o.Listen)
	set(&c.DataDir, o.DataDir)
	set(&c.LogFormat, o.LogFormat)
	set(&c.LogLevel, o.LogLevel)
	c.setMiB(&c.MaxInflightBodyMiB, "max_inflight_body_mib", o.MaxInflightBodyMiB)
	c.setMiB(&c.MaxUploadMiB, "max_upload_mib", o.MaxUploadMiB)
}

// setMiB applies a whole-number MiB override (nil: not set).
func (c *Config) setMiB(dst *int, key string, v *string) {
	if v == nil {
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(*v))
	if err != nil {
		c.badOverrides = append(c.badOverrides, Problem{Key: key, Why: fmt.Sprintf("%q is not a whole number of MiB", *v)})
		return
	}
	*dst = n
}

// EnvOverrides reads SWITCHBOARD_LISTEN, SWITCHBOARD_DATA_DIR,
// SWITCHBOARD_LOG_FORMAT, SWITCHBOARD_LOG_LEVEL,
// SWITCHBOARD_MAX_INFLIGHT_BODY_MIB and SWITCHBOARD_MAX_UPLOAD_MIB.
func EnvOverrides(getenv func(string) (string, bool)) Overrides {
	get := func(k string) *string {
		if v, ok := getenv(k); ok && v != "" {
			return &v
		}
		return nil
	}
	return Overrides{
		Listen:    get("SWITCHBOARD_LISTEN"),
		DataDir:   get("SWITCHBOARD_DATA_DIR"),
		LogFormat: get("SWITCHBOARD_LOG_FORMAT"),
		LogLevel:  get("SWITCHBOARD_LOG_LEVEL"),

		MaxInflightBodyMiB: get("SWITCHBOARD_MAX_INFLIGHT_BODY_MIB"),
		MaxUploadMiB:       get("SWITCHBOARD_MAX_UPLOAD_MIB"),
	}
}

var (
	nameRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	prefixRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
)

// Problem is one validation failure, located in the file when possible.
type Problem struct {
	File string
	Line int
	Key  string // dotted path, e.g. providers[0].base_url
	Why  string
}

func (p Problem) Error() string {
	loc := p.File
	if loc == "" {
		loc = "config"
	}
	if p.Line > 0 {
		loc += ":" + strconv.Itoa(p.Line)
	}
	if p.Key != "" {
		return fmt.Sprintf("%s: %s: %s", loc, p.Key, p.Why)
	}
	return fmt.Sprintf("%s: %s", loc, p.Why)
}

// Validate checks the whole config and returns every problem joined.
func (c *Config) Validate() error {
	return c.validate(nil)
}

// validate reports problems, locating keys through lines when known.
func (c *Config) validate(lines map[string]int) error {
	var errs []error
	add := func(key, why string, args ...any) {
		errs = append(errs, Problem{File: c.Source, Line: lookupLine(lines, key), Key: key, Why: fmt.Sprintf(why, args...)})
	}
	if host, port, err := net.SplitHostPort(c.Listen); err != nil {
		add("listen", "%q is not host:port (example: 127.0.0.1:20128)", c.Listen)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		add("listen", "port %q is not a number from 0 to 65535", port)
	} else if host == "" {
		add("listen", "give an explicit host (127.0.0.1 keeps the gateway private to this machine)")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		add("log_format", "%q is not one of text, json", c.LogFormat)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "warning", "error":
	default:
		add("log_level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	for _, p := range c.badOverrides {
		p.File = "" // an override, not a line of the file
		errs = append(errs, p)
	}
	if n := c.MaxInflightBodyMiB; n < 1 || n > maxInflightBodyMiBCeiling {
		add("max_inflight_body_mib", "%d is not a number of MiB from 1 to %d", n, maxInflightBodyMiBCeiling)
	}
	if n := c.MaxUploadMiB; n < 1 || n > maxUploadMiBCeiling {
		add("max_upload_mib", "%d is not a number of MiB from 1 to %d", n, maxUploadMiBCeiling)
	}
	if p := c.QuotaReservePercent; p != nil && (*p < 0 || *p > MaxQuotaReservePercent) {
		add("quota_reserve_percent", "%d is not a percentage from 0 to %d", *p, MaxQuotaReservePercent)
	}
	c.validateCost(add)
	seenKey := map[string]bool{}
	for i, k := range c.Keys {
		p := fmt.Sprintf("keys[%d]", i)
		if !nameRe.MatchString(k.Name) {
			add(p+".name", "%q must be 1-64 letters, digits, '.', '_' or '-'", k.Name)
		} else if seenKey[k.Name] {
			add(p+".name", "duplicate key name %q", k.Name)
		}
		seenKey[k.Name] = true
		if len(k.Key.Reveal()) < 16 {
			add(p+".key", "must be at least 16 characters (create one with `switchboard keys create`)")
		}
		if k.RPM < 0 || k.TPM < 0 || k.DailyUSD < 0 || k.MonthlyUSD < 0 || k.DailyTokens < 0 || k.MonthlyTokens < 0 {
			add(p, "rpm, tpm and budgets must not be negative (0: no limit)")
		}
	}
	c.validateProviders(add)
	c.validateCombos(add)
	for from, to := range c.Aliases {
		if from == "" || to == "" {
			add("aliases", "alias %q → %q: both sides must be non-empty", from, to)
		}
	}
	return errors.Join(errs...)
}

func (c *Config) validateProviders(add func(key, why string, args ...any)) {
	seen := map[string]bool{}
	for i, p := range c.Providers {
		path := fmt.Sprintf("providers[%d]", i)
		if p.ID == "" {
			add(path+".id", "is required (a catalog id such as openai, or your own id with type and base_url)")
		} else if !prefixRe.MatchString(p.ID) {
			add(path+".id", "%q must be lowercase letters, digits and '-'", p.ID)
		}
		if p.Prefix != "" && !prefixRe.MatchString(p.Prefix) {
			add(path+".prefix", "%q must be lowercase letters, digits and '-'", p.Prefix)
		}
		key := p.ID
		if p.Prefix != "" {
			key = p.Prefix
		}
		if seen[key] {
			add(path+".id", "provider %q is declared twice (give the second a different prefix)", key)
		}
		seen[key] = true
		if !strategies[p.AccountStrategy] || p.AccountStrategy == "weighted" || p.AccountStrategy == "cost-optimized" {
			add(path+".account_strategy", "%q is not an account strategy (fill-first, round-robin, p2c, random, least-used, quota-aware, priority)", p.AccountStrategy)
		}
		switch p.Type {
		case "", "openai-compatible", "anthropic-compatible", "gemini-compatible", "responses-compatible":
		default:
			add(path+".type", "%q is not one of openai-compatible, anthropic-compatible, gemini-compatible, responses-compatible", p.Type)
		}
		switch {
		case p.BaseURL == "" || strings.HasPrefix(p.BaseURL, "https://"):
		case !strings.HasPrefix(p.BaseURL, "http://"):
			add(path+".base_url", "%q must start with http:// or https://", p.BaseURL)
		case !p.AllowLocal && !LoopbackURL(p.BaseURL):
			// Loopback traffic never leaves this machine; anything else
			// would carry the API key across the network in clear text.
			add(path+".base_url", "%q would send the API key in clear text to another machine; use https://, or set allow_local: true for a server on your own network", p.BaseURL)
		}
		for j, a := range p.Accounts {
			ap := fmt.Sprintf("%s.accounts[%d]", path, j)
			if a.Name != "" && !nameRe.MatchString(a.Name) {
				add(ap+".name", "%q must be 1-64 letters, digits, '.', '_' or '-'", a.Name)
			}
			if a.MaxConcurrent < 0 || a.RPM < 0 {
				add(ap, "max_concurrent and rpm must not be negative")
			}
		}
	}
}

func (c *Config) validateCost(add func(key, why string, args ...any)) {
	if r := c.Retention; r != nil {
		if r.Days < 0 || r.Days > MaxRetentionDays {
			add("retention.days", "%d is not a number of days from 1 to %d (0: the default)", r.Days, MaxRetentionDays)
		}
		if r.MaxDBMiB != 0 && r.MaxDBMiB < MinMaxDBMiB {
			add("retention.max_db_mib", "%d MiB is below the %d MiB minimum (0: the default)", r.MaxDBMiB, MinMaxDBMiB)
		}
	}
	seen := map[string]bool{}
	for i, p := range c.Prices {
		path := fmt.Sprintf("prices[%d]", i)
		if p.Provider == "" || p.Model == "" {
			add(path, "provider and model are required")
		}
		if k := p.Provider + "/" + p.Model; seen[k] {
			add(path, "%s is priced twice", k)
		} else {
			seen[k] = true
		}
		for _, v := range []float64{p.Input, p.Output, p.CacheRead, p.CacheWrite, p.Reasoning} {
			if v < 0 || v > 100_000 || v != v {
				add(path, "prices must be from 0 to 100000 USD per million tokens")
				break
			}
		}
	}
}

var strategies = map[string]bool{"": true, "priority": true, "fill-first": true, "round-robin": true,
	"weighted": true, "p2c": true, "random": true, "least-used": true, "cost-optimized": true, "quota-aware": true}

func (c *Config) validateCombos(add func(key, why string, args ...any)) {
	seen := map[string]bool{}
	for i, cb := range c.Combos {
		path := fmt.Sprintf("combos[%d]", i)
		if !nameRe.MatchString(cb.Name) {
			add(path+".name", "%q must be 1-64 letters, digits, '.', '_' or '-'", cb.Name)
		} else if seen[cb.Name] {
			add(path+".name", "duplicate combo %q", cb.Name)
		}
		seen[cb.Name] = true
		if !strategies[cb.Strategy] {
			add(path+".strategy", "%q is not a known strategy (priority, fill-first, round-robin, weighted, p2c, random, least-used, cost-optimized, quota-aware)", cb.Strategy)
		}
		if len(cb.Targets) == 0 {
			add(path+".targets", "a combo needs at least one target")
		}
		if cb.Budget != "" {
			if d, err := time.ParseDuration(cb.Budget); err != nil || d <= 0 {
				add(path+".budget", "%q is not a positive duration (e.g. 90s, 2m)", cb.Budget)
			}
		}
		if cb.Sticky < 0 {
			add(path+".sticky", "must not be negative")
		}
		for j, t := range cb.Targets {
			if t.Model == "" {
				add(fmt.Sprintf("%s.targets[%d].model", path, j), "is required")
			}
			if t.Weight < 0 {
				add(fmt.Sprintf("%s.targets[%d].weight", path, j), "must not be negative")
			}
		}
	}
}

// LoopbackURL reports whether raw's host is this machine: a loopback IP
// literal or "localhost". Config validation and the provider layer share it
// so a base_url one accepts as local the other treats as local too.
func LoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.WithZone("").Unmap().IsLoopback()
}

// lookupLine finds the line of key, or of its nearest parent.
func lookupLine(lines map[string]int, key string) int {
	for key != "" {
		if n, ok := lines[key]; ok {
			return n
		}
		i := strings.LastIndexAny(key, ".[")
		if i <= 0 {
			break
		}
		key = key[:i]
	}
	return 0
}
