package transfer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// cc-switch keeps its providers in SQLite, ~/.cc-switch/cc-switch.db,
// versioned with PRAGMA user_version (schema 17 when this was written). A
// provider row is one app's settings (app_type claude, codex, gemini, …) in
// settings_config JSON: Claude's env ANTHROPIC_BASE_URL and
// ANTHROPIC_AUTH_TOKEN / ANTHROPIC_API_KEY, Codex's auth.OPENAI_API_KEY and
// its TOML config (model_provider, model_providers.<id>.base_url), Gemini's
// env GEMINI_API_KEY and GOOGLE_GEMINI_BASE_URL. Providers queued for
// failover (in_failover_queue, sort_index) become one combo per app.

const ccSwitchMaxSchema = 17

func ccSwitchDir(home string, _ func(string) string) string {
	return filepath.Join(home, ".cc-switch", "cc-switch.db")
}

type ccRow struct {
	id, app, name, settings string
	sort                    int
	failover                bool
}

func readCCSwitch(path string) (Setup, string, error) {
	file := path
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		file = filepath.Join(path, "cc-switch.db")
	}
	db, done, err := openCopy(file)
	if err != nil {
		return Setup{}, "", peerFormat("no cc-switch database at %s: %v", file, err)
	}
	defer done()
	var version int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		return Setup{}, "", peerFormat("%s: %v", file, err)
	}
	found := fmt.Sprintf("cc-switch database, schema %d", version)
	if version > ccSwitchMaxSchema {
		return Setup{}, found, peerFormat("%s is cc-switch schema %d; this reader knows up to %d, so nothing was imported (update Switchboard)", file, version, ccSwitchMaxSchema)
	}
	rows, err := db.Query(`SELECT id, app_type, name, settings_config, coalesce(sort_index, 0), coalesce(in_failover_queue, 0) FROM providers ORDER BY app_type, sort_index, name`)
	if err != nil {
		return Setup{}, found, peerFormat("%s has no readable providers table: %v", file, err)
	}
	var all []ccRow
	for rows.Next() {
		var r ccRow
		if err := rows.Scan(&r.id, &r.app, &r.name, &r.settings, &r.sort, &r.failover); err != nil {
			rows.Close()
			return Setup{}, found, peerFormat("providers: %v", err)
		}
		all = append(all, r)
	}
	rows.Close()
	s := Setup{}
	taken := map[string]bool{}
	queues := map[string][]string{} // app → model names in failover order
	for _, r := range all {
		model, ok := s.addCCProvider(r, taken)
		if ok && r.failover && model != "" {
			queues[r.app] = append(queues[r.app], model)
		}
	}
	for _, app := range sortedKeys(queues) {
		targets := make([]peerTarget, len(queues[app]))
		for i, mdl := range queues[app] {
			targets[i] = peerTarget{model: mdl}
		}
		s.addCombo("cc-switch-"+app, "priority", targets, modelMapper{custom: identityPrefixes(s.Providers)})
	}
	s.Notes = append(s.Notes, "cc-switch has no gateway keys of its own; create one for your tools with `switchboard keys create`")
	return s, found, nil
}

func identityPrefixes(ps []Provider) map[string]string {
	m := map[string]string{}
	for _, p := range ps {
		m[p.Prefix] = p.Prefix
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return sortedStrings(out)
}

// ccSettings is the part of settings_config read.
type ccSettings struct {
	Env    map[string]any `json:"env"`
	Auth   map[string]any `json:"auth"`
	Config string         `json:"config"`
}

// addCCProvider maps one cc-switch provider to a custom endpoint with one
// account; it returns the model its failover step routes to.
func (s *Setup) addCCProvider(r ccRow, taken map[string]bool) (string, bool) {
	label := r.app + "/" + r.name
	skip := func(why string) {
		s.Skipped = append(s.Skipped, Item{Kind: KindProvider, Name: label, Action: ActSkip, Why: why})
	}
	var st ccSettings
	if err := json.Unmarshal([]byte(r.settings), &st); err != nil {
		skip("its settings are not readable JSON")
		return "", false
	}
	env := func(keys ...string) string {
		for _, k := range keys {
			if v, ok := st.Env[k].(string); ok && v != "" {
				return v
			}
		}
		return ""
	}
	var typ, base, key, model string
	switch r.app {
	case "claude", "claude-desktop", "claude_desktop":
		typ, base, key, model = "anthropic-compatible", env("ANTHROPIC_BASE_URL"), env("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY"), env("ANTHROPIC_MODEL")
		if base == "" {
			base = "https://api.anthropic.com"
		}
	case "codex":
		typ = "responses-compatible"
		if v, ok := st.Auth["OPENAI_API_KEY"].(string); ok {
			key = v
		}
		base, model = codexTOML(st.Config)
	case "gemini":
		typ, base, key, model = "gemini-compatible", env("GOOGLE_GEMINI_BASE_URL"), env("GEMINI_API_KEY", "GOOGLE_API_KEY"), env("GEMINI_MODEL")
		if base == "" {
			base = "https://generativelanguage.googleapis.com"
		}
	default:
		skip("cc-switch's " + r.app + " settings configure that tool, not an endpoint Switchboard can route to")
		return "", false
	}
	if key == "" {
		skip("no API key is stored in it (an official sign-in of the tool itself?)")
		return "", false
	}
	if base == "" {
		skip("it has no base URL")
		return "", false
	}
	id := slug(r.app + "-" + r.name)
	if id == "" {
		id = slug(r.app + "-" + r.id)
	}
	id = uniqueName(id, taken)
	p := Provider{ID: id, Type: typ, Name: r.name, Prefix: id, BaseURL: strings.TrimRight(base, "/")}
	if strings.HasPrefix(p.BaseURL, "http://") {
		p.AllowLocal = true
		p.Changes = append(p.Changes, "plain http endpoint: marked local")
	}
	if model != "" {
		p.Models = []string{model}
	}
	s.Providers = append(s.Providers, p)
	s.Accounts = append(s.Accounts, Account{Provider: id, Name: "default", APIKey: key})
	if model == "" {
		return "", true
	}
	return p.Prefix + "/" + model, true
}

// codexTOML reads the active provider's base URL and the model from a
// Codex config.toml held by cc-switch.
func codexTOML(text string) (base, model string) {
	var doc struct {
		Model          string `toml:"model"`
		ModelProvider  string `toml:"model_provider"`
		BaseURL        string `toml:"base_url"`
		ModelProviders map[string]struct {
			BaseURL string `toml:"base_url"`
		} `toml:"model_providers"`
	}
	if toml.Unmarshal([]byte(text), &doc) != nil {
		return "", ""
	}
	base = doc.BaseURL
	if p, ok := doc.ModelProviders[doc.ModelProvider]; ok && p.BaseURL != "" {
		base = p.BaseURL
	}
	return base, doc.Model
}
