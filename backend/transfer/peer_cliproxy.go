package transfer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// CLIProxyAPI keeps its setup in config.yaml (client api-keys, provider key
// lists, openai-compatibility endpoints, routing.strategy, auth-dir) and
// one JSON file per signed-in account in auth-dir (default
// ~/.cli-proxy-api): {type, email, access_token, refresh_token, id_token,
// expired (RFC 3339), account_id, project_id, disabled}. The config carries
// no version; a version key (which it never writes) means a layout this
// reader does not know.

func cliProxyDir(home string, _ func(string) string) string {
	return filepath.Join(home, ".cli-proxy-api")
}

type cpaKeyEntry struct {
	APIKey  string `yaml:"api-key"`
	BaseURL string `yaml:"base-url"`
	Prefix  string `yaml:"prefix"`
	Models  []struct {
		Name  string `yaml:"name"`
		Alias string `yaml:"alias"`
	} `yaml:"models"`
}

type cpaConfig struct {
	Version any      `yaml:"version"`
	AuthDir string   `yaml:"auth-dir"`
	APIKeys []string `yaml:"api-keys"`
	Gemini  []cpaKeyEntry
	Claude  []cpaKeyEntry
	Codex   []cpaKeyEntry
	XAI     []cpaKeyEntry
	OpenAI  []cpaCompat `yaml:"openai-compatibility"`
	Routing struct {
		Strategy string `yaml:"strategy"`
	} `yaml:"routing"`
}

type cpaCompat struct {
	Name     string `yaml:"name"`
	Disabled bool   `yaml:"disabled"`
	Prefix   string `yaml:"prefix"`
	BaseURL  string `yaml:"base-url"`
	Entries  []struct {
		APIKey string `yaml:"api-key"`
	} `yaml:"api-key-entries"`
	Models []struct {
		Name  string `yaml:"name"`
		Alias string `yaml:"alias"`
	} `yaml:"models"`
}

// cpaKeyLists are the provider key lists and the catalog provider (or
// custom type, with a base-url) each maps to.
var cpaKeyLists = []struct {
	key, provider, customType string
	pick                      func(*cpaConfig) []cpaKeyEntry
}{
	{"gemini-api-key", "gemini", "gemini-compatible", func(c *cpaConfig) []cpaKeyEntry { return c.Gemini }},
	{"claude-api-key", "anthropic", "anthropic-compatible", func(c *cpaConfig) []cpaKeyEntry { return c.Claude }},
	{"codex-api-key", "openai", "responses-compatible", func(c *cpaConfig) []cpaKeyEntry { return c.Codex }},
	{"xai-api-key", "xai", "responses-compatible", func(c *cpaConfig) []cpaKeyEntry { return c.XAI }},
}

func readCLIProxy(path string) (Setup, string, error) {
	file, dir := path, filepath.Dir(path)
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		file, dir = filepath.Join(path, "config.yaml"), path
	}
	s := Setup{}
	var cfg cpaConfig
	found := "CLIProxyAPI auth files"
	if data, err := readFileLimited(file); err == nil {
		var raw map[string]yaml.Node
		if err := yaml.Unmarshal(data, &raw); err != nil {
			return Setup{}, "", peerFormat("%s is not valid YAML: %v", file, err)
		}
		if err := decodeCPA(raw, &cfg); err != nil {
			return Setup{}, "", peerFormat("%s is not CLIProxyAPI's config.yaml: %v", file, err)
		}
		found = "CLIProxyAPI config.yaml"
		if cfg.Version != nil {
			v := fmt.Sprint(cfg.Version)
			return Setup{}, found + " version " + v, peerFormat("%s says version %s; this reader knows the unversioned config.yaml of CLIProxyAPI v7, so nothing was imported", file, v)
		}
		s.cpaConfig(cfg)
	} else if !os.IsNotExist(err) {
		return Setup{}, "", peerFormat("%s: %v", file, err)
	}
	authDir := expandHome(cfg.AuthDir)
	if authDir == "" {
		authDir = dir
	}
	n, err := s.cpaAuthFiles(authDir)
	if err != nil {
		return Setup{}, found, err
	}
	if found == "CLIProxyAPI auth files" && n == 0 {
		return Setup{}, "", peerFormat("no CLIProxyAPI config.yaml or auth files at %s", path)
	}
	return s, found, nil
}

// decodeCPA decodes the keys read; the rest of the (large) config is
// CLIProxyAPI's own behaviour and is not carried.
func decodeCPA(raw map[string]yaml.Node, c *cpaConfig) error {
	dec := func(k string, v any) error {
		n, ok := raw[k]
		if !ok {
			return nil
		}
		if err := n.Decode(v); err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
		return nil
	}
	for _, f := range []struct {
		k string
		v any
	}{{"version", &c.Version}, {"auth-dir", &c.AuthDir}, {"api-keys", &c.APIKeys}, {"gemini-api-key", &c.Gemini},
		{"claude-api-key", &c.Claude}, {"codex-api-key", &c.Codex}, {"xai-api-key", &c.XAI},
		{"openai-compatibility", &c.OpenAI}, {"routing", &c.Routing}} {
		if err := dec(f.k, f.v); err != nil {
			return err
		}
	}
	return nil
}

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") || p == "~" {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}

func (s *Setup) cpaConfig(cfg cpaConfig) {
	aliases := map[string]string{}
	taken := map[string]bool{}
	for _, list := range cpaKeyLists {
		for i, e := range list.pick(&cfg) {
			prov, prefix := list.provider, ""
			if e.BaseURL != "" {
				p := Provider{ID: uniqueName(slug("cpa-"+list.provider), taken), Type: list.customType, BaseURL: strings.TrimRight(e.BaseURL, "/"),
					Name: list.key + " " + e.BaseURL}
				p.Prefix = p.ID
				if strings.HasPrefix(p.BaseURL, "http://") {
					p.AllowLocal = true
				}
				s.Providers = append(s.Providers, p)
				prov, prefix = p.ID, p.Prefix
			} else if e, ok := catalogPrefix(list.provider); ok {
				prefix = e
			}
			a := Account{Provider: prov, Name: fmt.Sprintf("%s-%d", list.key, i+1), APIKey: e.APIKey}
			if e.Prefix != "" {
				a.Changes = append(a.Changes, "its prefix "+e.Prefix+"/ is not carried; its models route as "+prefix+"/…")
			}
			s.Accounts = append(s.Accounts, a)
			for _, m := range e.Models {
				if m.Alias != "" && m.Name != "" {
					aliases[m.Alias] = prefix + "/" + m.Name
				}
			}
		}
	}
	for _, oc := range cfg.OpenAI {
		p, why := nodeProvider("openai-compatible", "chat", oc.Name, oc.Prefix, oc.BaseURL)
		if why != "" {
			s.Skipped = append(s.Skipped, Item{Kind: KindProvider, Name: oc.Name, Action: ActSkip, Why: why})
			continue
		}
		p.ID, p.Disabled = uniqueName(p.ID, taken), oc.Disabled
		for _, m := range oc.Models {
			if m.Name != "" {
				p.Models = append(p.Models, m.Name)
			}
			if m.Alias != "" && m.Name != "" {
				aliases[m.Alias] = p.Prefix + "/" + m.Name
			}
		}
		s.Providers = append(s.Providers, p)
		for i, e := range oc.Entries {
			s.Accounts = append(s.Accounts, Account{Provider: p.ID, Name: fmt.Sprintf("key-%d", i+1), APIKey: e.APIKey})
		}
	}
	for from, to := range aliases {
		s.Aliases = append(s.Aliases, Alias{Alias: from, Target: to})
	}
	for i, k := range cfg.APIKeys {
		s.Keys = append(s.Keys, Key{Name: fmt.Sprintf("cliproxyapi-%d", i+1), Secret: k, Source: "import"})
	}
	if cfg.Routing.Strategy != "" {
		s.Notes = append(s.Notes, "CLIProxyAPI's routing.strategy ("+cfg.Routing.Strategy+") is not carried: Switchboard sets account strategies per provider in the config file (account_strategy)")
	}
}

func catalogPrefix(id string) (string, bool) {
	m := modelMapper{}
	out, ok := m.mapModel(id + "/x")
	return strings.TrimSuffix(out, "/x"), ok
}

// cpaAuthTypes maps an auth file's type to a Switchboard sign-in.
var cpaAuthTypes = map[string]string{"claude": "claude", "codex": "codex", "antigravity": "antigravity",
	"kimi": "kimi-coding", "qwen": "qwen-code", "gemini": "gemini-code-assist", "gemini-cli": "gemini-code-assist"}

type cpaAuth struct {
	Type         string `json:"type"`
	Email        string `json:"email"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Expired      string `json:"expired"`
	AccountID    string `json:"account_id"`
	ProjectID    string `json:"project_id"`
	Disabled     bool   `json:"disabled"`
}

// cpaAuthFiles reads the auth files in dir; it returns how many it read.
func (s *Setup) cpaAuthFiles(dir string) (int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return 0, peerFormat("%s: %v", dir, err)
	}
	sort.Strings(files)
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".json")
		data, err := readFileLimited(f)
		if err != nil {
			return 0, peerFormat("%s: %v", f, err)
		}
		var a cpaAuth
		if err := json.Unmarshal(data, &a); err != nil || a.Type == "" {
			s.Skipped = append(s.Skipped, Item{Kind: KindSignIn, Name: base, Action: ActSkip, Why: "not a CLIProxyAPI auth file (no type)"})
			continue
		}
		ours, ok := cpaAuthTypes[a.Type]
		if !ok {
			s.Skipped = append(s.Skipped, Item{Kind: KindSignIn, Name: a.Type + "/" + base, Action: ActSkip, Why: "Switchboard has no " + a.Type + " sign-in"})
			continue
		}
		name := a.Email
		if name == "" {
			name = base
		}
		s.addConnection(peerConn{provider: ours, authType: "oauth", name: name, email: a.Email, active: !a.Disabled,
			access: a.AccessToken, refresh: a.RefreshToken, idToken: a.IDToken, expires: parseExpiry(json.RawMessage(`"` + a.Expired + `"`)),
			project: a.ProjectID, accountRef: a.AccountID, source: "cliproxyapi"}, nil)
	}
	return len(files), nil
}
