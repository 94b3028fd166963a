package transfer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"switchboard/backend/route"
)

// 9router keeps its setup in one lowdb JSON file, db.json, in DATA_DIR,
// %APPDATA%\9router or ~/.9router (v0.4.x). The file carries no version;
// its documented top-level arrays and maps are what is read, and a
// version field (which v0.4 never writes) means a layout this reader does
// not know.

func nineRouterDir(home string, getenv func(string) string) string {
	if d := getenv("DATA_DIR"); d != "" {
		return d
	}
	if runtime.GOOS == "windows" && getenv("APPDATA") != "" {
		return filepath.Join(getenv("APPDATA"), "9router")
	}
	return filepath.Join(home, ".9router")
}

type nrConnection struct {
	ID                   string          `json:"id"`
	Provider             string          `json:"provider"`
	AuthType             string          `json:"authType"`
	Name                 string          `json:"name"`
	Email                string          `json:"email"`
	Priority             int             `json:"priority"`
	IsActive             *bool           `json:"isActive"`
	APIKey               string          `json:"apiKey"`
	AccessToken          string          `json:"accessToken"`
	RefreshToken         string          `json:"refreshToken"`
	IDToken              string          `json:"idToken"`
	ExpiresAt            json.RawMessage `json:"expiresAt"`
	ProjectID            string          `json:"projectId"`
	ProviderSpecificData map[string]any  `json:"providerSpecificData"`
}

type nrNode struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	Prefix  string `json:"prefix"`
	APIType string `json:"apiType"`
	BaseURL string `json:"baseUrl"`
}

type nrDB struct {
	Version             json.RawMessage   `json:"version"`
	SchemaVersion       json.RawMessage   `json:"schemaVersion"`
	ProviderConnections *[]nrConnection   `json:"providerConnections"`
	ProviderNodes       []nrNode          `json:"providerNodes"`
	ModelAliases        map[string]string `json:"modelAliases"`
	Combos              []struct {
		Name   string   `json:"name"`
		Models []string `json:"models"`
		Kind   *string  `json:"kind"`
	} `json:"combos"`
	APIKeys []struct {
		Name     string `json:"name"`
		Key      string `json:"key"`
		IsActive *bool  `json:"isActive"`
	} `json:"apiKeys"`
	Settings struct {
		ComboStrategy   string `json:"comboStrategy"`
		ComboStrategies map[string]struct {
			FallbackStrategy string `json:"fallbackStrategy"`
		} `json:"comboStrategies"`
		ProviderStrategies map[string]struct {
			FallbackStrategy string `json:"fallbackStrategy"`
		} `json:"providerStrategies"`
	} `json:"settings"`
}

func readNineRouter(path string) (Setup, string, error) {
	file := path
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		file = filepath.Join(path, "db.json")
	}
	data, err := readFileLimited(file)
	if err != nil {
		return Setup{}, "", peerFormat("no 9router setup at %s: %v", file, err)
	}
	var db nrDB
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&db); err != nil {
		return Setup{}, "", peerFormat("%s is not 9router's db.json: %v", file, err)
	}
	if v := firstRaw(db.Version, db.SchemaVersion); v != "" {
		found := "9router db.json with version " + v
		return Setup{}, found, peerFormat("%s says version %s; this reader knows the unversioned db.json of 9router 0.4.x, so nothing was imported", file, v)
	}
	if db.ProviderConnections == nil {
		return Setup{}, "", peerFormat("%s has no providerConnections list: not 9router's db.json", file)
	}
	found := "9router db.json (lowdb, 0.4.x layout)"
	s := Setup{}
	m := modelMapper{custom: map[string]string{}}
	nodes := map[string]Provider{}
	taken := map[string]bool{}
	for _, n := range db.ProviderNodes {
		p, why := nodeProvider(n.Type, n.APIType, n.Name, n.Prefix, n.BaseURL)
		if why != "" {
			s.Skipped = append(s.Skipped, Item{Kind: KindProvider, Name: n.Name, Action: ActSkip, Why: why})
			continue
		}
		p.ID = uniqueName(p.ID, taken)
		nodes[n.ID] = p
		m.custom[n.ID], m.custom[n.Prefix] = p.Prefix, p.Prefix
		s.Providers = append(s.Providers, p)
	}
	for _, c := range *db.ProviderConnections {
		s.addConnection(peerConn{provider: c.Provider, authType: c.AuthType, name: c.Name, email: c.Email, priority: c.Priority,
			active: c.IsActive == nil || *c.IsActive, apiKey: c.APIKey, access: c.AccessToken, refresh: c.RefreshToken,
			idToken: c.IDToken, expires: parseExpiry(c.ExpiresAt), project: c.ProjectID, source: "9router"}, nodes)
	}
	for _, c := range db.Combos {
		if c.Kind != nil && *c.Kind != "" && *c.Kind != "llm" {
			s.Skipped = append(s.Skipped, Item{Kind: KindCombo, Name: c.Name, Action: ActSkip, Why: "its kind is " + *c.Kind + "; Switchboard's combos route chat models"})
			continue
		}
		strategy := db.Settings.ComboStrategy
		if cs, ok := db.Settings.ComboStrategies[c.Name]; ok && cs.FallbackStrategy != "" {
			strategy = cs.FallbackStrategy
		}
		targets := make([]peerTarget, len(c.Models))
		for i, mdl := range c.Models {
			targets[i] = peerTarget{model: mdl}
		}
		s.addCombo(c.Name, strategy, targets, m)
	}
	s.addAliases(db.ModelAliases, m)
	for _, k := range db.APIKeys {
		if k.IsActive != nil && !*k.IsActive {
			s.Skipped = append(s.Skipped, Item{Kind: KindKey, Name: k.Name, Action: ActSkip, Why: "it is turned off in 9router"})
			continue
		}
		s.Keys = append(s.Keys, Key{Name: k.Name, Secret: k.Key, Source: "import"})
	}
	if len(db.Settings.ProviderStrategies) > 0 {
		s.Notes = append(s.Notes, "9router's per-provider account strategies are not carried: Switchboard sets them in the config file (account_strategy)")
	}
	return s, found, nil
}

func firstRaw(vs ...json.RawMessage) string {
	for _, v := range vs {
		if t := strings.TrimSpace(string(v)); t != "" && t != "null" {
			return strings.Trim(t, `"`)
		}
	}
	return ""
}

// parseExpiry reads an expiry stored as an ISO time, unix seconds or ms.
func parseExpiry(raw json.RawMessage) int64 {
	t := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if t == "" || t == "null" {
		return 0
	}
	if ts, err := time.Parse(time.RFC3339, t); err == nil {
		return ts.UnixMilli()
	}
	var n int64
	if _, err := fmt.Sscan(t, &n); err == nil {
		if n < 1e12 {
			return n * 1000
		}
		return n
	}
	return 0
}

// maxPeerFile bounds what is read of a peer's file.
const maxPeerFile = 64 << 20

func readFileLimited(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxPeerFile {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, maxPeerFile>>20)
	}
	return os.ReadFile(path)
}

// strategyFor maps a peer's combo strategy to ours.
func strategyFor(peerStrategy string) (route.Strategy, string) {
	switch s := strings.ToLower(strings.TrimSpace(peerStrategy)); s {
	case "", "fallback", "priority", "ordered":
		return route.Priority, ""
	case "weighted-round-robin":
		return route.Weighted, ""
	default:
		for _, ours := range route.Strategies {
			if string(ours) == s {
				return ours, ""
			}
		}
		return route.Priority, "strategy " + s + " is not in Switchboard; the targets keep their order (priority)"
	}
}
