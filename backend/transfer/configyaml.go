package transfer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"switchboard/backend/config"
	"switchboard/backend/route"
)

// EnvVar is one environment variable the exported config references.
type EnvVar struct {
	Name string `json:"name"`
	For  string `json:"for"` // what it holds, e.g. "API key of openai/work"
}

// ConfigExport is a setup as a YAML config file (the format backend/config
// reads) with every secret as a ${ENV} reference, so it can live in git.
type ConfigExport struct {
	YAML       string   `json:"yaml"`
	Env        []EnvVar `json:"env"`
	NotCarried []Item   `json:"notCarried"`
}

var (
	configName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	notEnvChar = regexp.MustCompile(`[^A-Z0-9]+`)
)

// ConfigYAML renders s as a config file. Sign-ins and local keys cannot be
// written there (the config format has no sign-ins, and only the hashes of
// local keys are kept): they are listed as not carried.
func ConfigYAML(s Setup) (ConfigExport, error) {
	out := ConfigExport{Env: []EnvVar{}, NotCarried: []Item{}}
	var cfg config.Config
	byProvider := map[string][]Account{}
	for _, a := range s.Accounts {
		if a.SignIn != nil {
			out.NotCarried = append(out.NotCarried, Item{Kind: KindSignIn, Name: a.Provider + "/" + a.Name, Action: ActSkip,
				Why: "a config file cannot hold sign-ins; sign in again where the file is used (switchboard login " + a.Provider + ")"})
			continue
		}
		byProvider[a.Provider] = append(byProvider[a.Provider], a)
	}
	for _, p := range s.Providers {
		pc := config.ProviderConfig{ID: p.ID, Type: p.Type, Name: p.Name, Prefix: p.Prefix, BaseURL: p.BaseURL,
			AllowLocal: p.AllowLocal, Models: p.Models, Disabled: p.Disabled}
		for _, a := range byProvider[p.ID] {
			name := configAccountName(a.Name)
			env := "SWITCHBOARD_KEY_" + envPart(p.ID) + "_" + envPart(name)
			pc.Accounts = append(pc.Accounts, config.AccountConfig{Name: name, APIKey: config.Secret("${" + env + "}"),
				Priority: a.Priority, MaxConcurrent: a.MaxConcurrent, RPM: a.RPM, Disabled: a.Disabled})
			out.Env = append(out.Env, EnvVar{Name: env, For: "API key of " + p.ID + "/" + a.Name})
		}
		if len(pc.Accounts) == 0 && p.Type == "" && p.BaseURL == "" {
			continue // a catalog provider with only sign-ins: nothing for the file
		}
		cfg.Providers = append(cfg.Providers, pc)
	}
	for _, c := range s.Combos {
		var rc route.Combo
		if err := json.Unmarshal(c.Data, &rc); err != nil {
			out.NotCarried = append(out.NotCarried, Item{Kind: KindCombo, Name: c.Name, Action: ActSkip, Why: "its definition is not readable"})
			continue
		}
		cc := config.ComboConfig{Name: c.Name, Strategy: string(rc.Strategy), Sticky: rc.Sticky}
		if rc.Budget > 0 {
			cc.Budget = rc.Budget.String()
		}
		for _, t := range rc.Targets {
			cc.Targets = append(cc.Targets, config.TargetEntry{Model: t.Model, Account: t.Account, Weight: t.Weight, OnlyOnExhausted: t.OnlyIfExhausted})
		}
		cfg.Combos = append(cfg.Combos, cc)
	}
	if len(s.Aliases) > 0 {
		cfg.Aliases = map[string]string{}
		for _, a := range s.Aliases {
			cfg.Aliases[a.Alias] = a.Target
		}
	}
	for _, k := range s.Keys {
		out.NotCarried = append(out.NotCarried, Item{Kind: KindKey, Name: k.Name, Action: ActSkip,
			Why: "only its hash is stored; declare a key in the file's keys: section with a ${ENV} secret"})
	}
	sort.Slice(out.Env, func(i, j int) bool { return out.Env[i].Name < out.Env[j].Name })
	b, err := marshalConfig(cfg)
	if err != nil {
		return out, err
	}
	out.YAML = "# Switchboard config exported from a running setup. Secrets are ${ENV} references:\n" +
		"# set the variables listed by the export before starting Switchboard with --config.\n" + string(b)
	return out, nil
}

// configAccountName makes a stored account name valid in a config file.
func configAccountName(n string) string {
	if configName.MatchString(n) {
		return n
	}
	c := regexp.MustCompile(`[^A-Za-z0-9._-]+`).ReplaceAllString(n, "-")
	c = strings.TrimLeft(c, "._-")
	if len(c) > 64 {
		c = c[:64]
	}
	if c == "" {
		c = "account"
	}
	return c
}

func envPart(s string) string {
	return strings.Trim(notEnvChar.ReplaceAllString(strings.ToUpper(s), "_"), "_")
}

// marshalConfig writes only what is set (the config struct's zero values
// would otherwise fill the file with empty keys).
func marshalConfig(cfg config.Config) ([]byte, error) {
	type account struct {
		Name          string `yaml:"name"`
		APIKey        string `yaml:"api_key"`
		Priority      int    `yaml:"priority,omitempty"`
		MaxConcurrent int    `yaml:"max_concurrent,omitempty"`
		RPM           int    `yaml:"rpm,omitempty"`
		Disabled      bool   `yaml:"disabled,omitempty"`
	}
	type prov struct {
		ID         string    `yaml:"id"`
		Type       string    `yaml:"type,omitempty"`
		Name       string    `yaml:"name,omitempty"`
		Prefix     string    `yaml:"prefix,omitempty"`
		BaseURL    string    `yaml:"base_url,omitempty"`
		AllowLocal bool      `yaml:"allow_local,omitempty"`
		Models     []string  `yaml:"models,omitempty"`
		Disabled   bool      `yaml:"disabled,omitempty"`
		Accounts   []account `yaml:"accounts,omitempty"`
	}
	type target struct {
		Model           string `yaml:"model"`
		Account         string `yaml:"account,omitempty"`
		Weight          int    `yaml:"weight,omitempty"`
		OnlyOnExhausted bool   `yaml:"only_when_exhausted,omitempty"`
	}
	type combo struct {
		Name     string   `yaml:"name"`
		Strategy string   `yaml:"strategy,omitempty"`
		Sticky   int      `yaml:"sticky,omitempty"`
		Budget   string   `yaml:"budget,omitempty"`
		Targets  []target `yaml:"targets"`
	}
	var doc struct {
		Providers []prov            `yaml:"providers,omitempty"`
		Combos    []combo           `yaml:"combos,omitempty"`
		Aliases   map[string]string `yaml:"aliases,omitempty"`
	}
	for _, p := range cfg.Providers {
		yp := prov{ID: p.ID, Type: p.Type, Name: p.Name, Prefix: p.Prefix, BaseURL: p.BaseURL, AllowLocal: p.AllowLocal, Models: p.Models, Disabled: p.Disabled}
		for _, a := range p.Accounts {
			yp.Accounts = append(yp.Accounts, account{Name: a.Name, APIKey: a.APIKey.Reveal(), Priority: a.Priority,
				MaxConcurrent: a.MaxConcurrent, RPM: a.RPM, Disabled: a.Disabled})
		}
		doc.Providers = append(doc.Providers, yp)
	}
	for _, c := range cfg.Combos {
		yc := combo{Name: c.Name, Strategy: c.Strategy, Sticky: c.Sticky, Budget: c.Budget}
		for _, t := range c.Targets {
			yc.Targets = append(yc.Targets, target(t))
		}
		doc.Combos = append(doc.Combos, yc)
	}
	doc.Aliases = cfg.Aliases
	b, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("transfer: config: %w", err)
	}
	return b, nil
}
