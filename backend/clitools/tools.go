package clitools

import (
	"fmt"
	"net/url"
	"strings"
)

// Each tool is data plus three small functions: where its files are, what
// we write into them, and how to read back where it points. What each tool
// reads is listed in shared/REFERENCE.md ("How each CLI is pointed at a
// local gateway") and anchors §1.9.

// providerID names our entry wherever a tool keys providers by id.
const providerID = "switchboard"

// markerName starts the display name of list entries we own (Continue,
// Factory Droid, Qwen Code), so we can find them again.
const markerName = "Switchboard"

type params struct {
	Root  string // http://127.0.0.1:20128
	V1    string // Root + "/v1"
	Key   string
	Model string
	Slots map[string]string
}

func (p params) slot(name string) string {
	if m := strings.TrimSpace(p.Slots[name]); m != "" {
		return m
	}
	return p.Model
}

type docs map[string]*doc

type toolDef struct {
	id, name  string
	binaries  []string
	slots     []string
	needModel bool
	notes     string
	files     func(e Env) []fileSpec
	readKey   func(d docs) string
	apply     func(d docs, p params) error
	inspect   func(d docs, root string) (state, model, detail string)
}

var registry = []*toolDef{claudeCode, codex, geminiCLI, openCode, openClaw, cline, kiloCode, continueDev, factoryDroid, qwenCode}

func lookupTool(id string) *toolDef {
	for _, t := range registry {
		if t.id == id {
			return t
		}
	}
	return nil
}

// sameEndpoint compares base URLs loosely: scheme/host case, localhost vs
// 127.0.0.1, a trailing slash and the /v1 or /v1beta suffix do not matter.
func sameEndpoint(u, root string) bool {
	norm := func(s string) string {
		s = strings.TrimRight(strings.TrimSpace(s), "/")
		for _, suf := range []string{"/v1beta", "/v1"} {
			s = strings.TrimSuffix(s, suf)
		}
		pu, err := url.Parse(s)
		if err != nil || pu.Host == "" {
			return strings.ToLower(s)
		}
		host := strings.ToLower(pu.Hostname())
		if host == "localhost" || host == "::1" {
			host = "127.0.0.1"
		}
		port := pu.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(pu.Scheme)]
		}
		return strings.ToLower(pu.Scheme) + "://" + host + ":" + port + strings.TrimRight(pu.Path, "/")
	}
	return u != "" && norm(u) == norm(root)
}

func pointing(u, root string) string {
	switch {
	case u == "":
		return StateUntouched
	case sameEndpoint(u, root):
		return StateOurs
	default:
		return StateOther
	}
}

// ---- Claude Code ----

var claudeSlots = map[string]string{
	"opus":   "ANTHROPIC_DEFAULT_OPUS_MODEL",
	"sonnet": "ANTHROPIC_DEFAULT_SONNET_MODEL",
	"haiku":  "ANTHROPIC_DEFAULT_HAIKU_MODEL",
}

var claudeCode = &toolDef{
	id: "claude-code", name: "Claude Code", binaries: []string{"claude"},
	slots: []string{"opus", "sonnet", "haiku"},
	notes: "settings.json env: ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN, ANTHROPIC_MODEL and the opus/sonnet/haiku slots (each defaults to the main model). An ANTHROPIC_API_KEY there is set aside while Switchboard is in use and put back on undo.",
	files: func(e Env) []fileSpec {
		dir := e.get("CLAUDE_CONFIG_DIR")
		if dir == "" {
			dir = e.join(e.Home, ".claude")
		}
		return []fileSpec{{role: "settings", path: e.join(dir, "settings.json"), format: fmtJSON, secret: true}}
	},
	readKey: func(d docs) string { return d["settings"].json.GetString([]string{"env", "ANTHROPIC_AUTH_TOKEN"}) },
	apply: func(d docs, p params) error {
		s := d["settings"]
		if n := s.json.Node([]string{"env"}); n != nil && n.kind != jObject {
			return fmt.Errorf("%s: \"env\" is not an object", s.spec.path)
		}
		if err := s.set([]string{"env", "ANTHROPIC_BASE_URL"}, p.Root); err != nil {
			return err
		}
		if err := s.set([]string{"env", "ANTHROPIC_AUTH_TOKEN"}, p.Key); err != nil {
			return err
		}
		// with both set Claude Code sends the other key too; set it aside
		if err := s.del([]string{"env", "ANTHROPIC_API_KEY"}); err != nil {
			return err
		}
		if p.Model == "" {
			return nil
		}
		if err := s.set([]string{"env", "ANTHROPIC_MODEL"}, p.Model); err != nil {
			return err
		}
		for _, slot := range []string{"opus", "sonnet", "haiku"} {
			if err := s.set([]string{"env", claudeSlots[slot]}, p.slot(slot)); err != nil {
				return err
			}
		}
		return nil
	},
	inspect: func(d docs, root string) (string, string, string) {
		j := d["settings"].json
		u := j.GetString([]string{"env", "ANTHROPIC_BASE_URL"})
		m := j.GetString([]string{"env", "ANTHROPIC_MODEL"})
		if m == "" {
			m = j.GetString([]string{"model"})
		}
		detail := ""
		if u != "" && !sameEndpoint(u, root) {
			detail = "ANTHROPIC_BASE_URL is " + u
		}
		return pointing(u, root), m, detail
	},
}

// ---- Codex ----

var codex = &toolDef{
	id: "codex", name: "Codex", binaries: []string{"codex"}, needModel: true,
	notes: "config.toml: model, model_provider = \"switchboard\" and a [model_providers.switchboard] table (Responses API at <endpoint>/v1) carrying the key as experimental_bearer_token, so no shell variable is needed.",
	files: func(e Env) []fileSpec {
		dir := e.get("CODEX_HOME")
		if dir == "" {
			dir = e.join(e.Home, ".codex")
		}
		return []fileSpec{{role: "config", path: e.join(dir, "config.toml"), format: fmtTOML, secret: true}}
	},
	readKey: func(d docs) string {
		return d["config"].toml.GetString("model_providers."+providerID, "experimental_bearer_token")
	},
	apply: func(d docs, p params) error {
		c := d["config"]
		t := []string{"model_providers", providerID}
		steps := []struct {
			path []string
			v    any
		}{
			{[]string{"model"}, p.Model},
			{[]string{"model_provider"}, providerID},
			{append(t, "name"), "Switchboard"},
			{append(t, "base_url"), p.V1},
			{append(t, "wire_api"), "responses"},
			{append(t, "experimental_bearer_token"), p.Key},
		}
		for _, s := range steps {
			if err := c.set(append([]string{}, s.path...), s.v); err != nil {
				return err
			}
		}
		return nil
	},
	inspect: func(d docs, root string) (string, string, string) {
		c := d["config"].toml
		model := c.GetString("", "model")
		mp := c.GetString("", "model_provider")
		if mp == "" || mp == "openai" {
			if u := c.GetString("", "openai_base_url"); u != "" {
				return pointing(u, root), model, "openai_base_url is " + u
			}
			return StateUntouched, model, ""
		}
		u := c.GetString(joinTOMLKey([]string{"model_providers", mp}), "base_url")
		if u == "" {
			return StateOther, model, "model_provider is " + mp
		}
		st := pointing(u, root)
		if st == StateOther {
			return st, model, "model_provider " + mp + " at " + u
		}
		return st, model, ""
	},
}

// ---- Gemini CLI ----

var geminiCLI = &toolDef{
	id: "gemini-cli", name: "Gemini CLI", binaries: []string{"gemini"}, needModel: true,
	notes: "~/.gemini/.env: GOOGLE_GEMINI_BASE_URL (read by @google/genai), GEMINI_API_KEY, GEMINI_MODEL; settings.json security.auth.selectedType = \"gemini-api-key\". Variables already exported in the shell, or a project .env, take precedence over ~/.gemini/.env.",
	files: func(e Env) []fileSpec {
		dir := e.join(e.Home, ".gemini")
		return []fileSpec{
			{role: "env", path: e.join(dir, ".env"), format: fmtEnv, secret: true},
			{role: "settings", path: e.join(dir, "settings.json"), format: fmtJSON},
		}
	},
	readKey: func(d docs) string { v, _ := d["env"].env.Get("GEMINI_API_KEY"); return v },
	apply: func(d docs, p params) error {
		e, s := d["env"], d["settings"]
		for _, kv := range [][2]string{{"GOOGLE_GEMINI_BASE_URL", p.Root}, {"GEMINI_API_KEY", p.Key}, {"GEMINI_MODEL", p.Model}} {
			if err := e.set([]string{kv[0]}, kv[1]); err != nil {
				return err
			}
		}
		return s.set([]string{"security", "auth", "selectedType"}, "gemini-api-key")
	},
	inspect: func(d docs, root string) (string, string, string) {
		u, _ := d["env"].env.Get("GOOGLE_GEMINI_BASE_URL")
		m, _ := d["env"].env.Get("GEMINI_MODEL")
		if m == "" {
			m = d["settings"].json.GetString([]string{"model", "name"})
		}
		detail := ""
		if at := d["settings"].json.GetString([]string{"security", "auth", "selectedType"}); at != "" && at != "gemini-api-key" {
			detail = "signed in with " + at
		}
		return pointing(u, root), m, detail
	},
}

// ---- OpenCode ----

var openCode = &toolDef{
	id: "opencode", name: "OpenCode", binaries: []string{"opencode"}, needModel: true,
	slots: []string{"small"},
	notes: "opencode.json: provider.switchboard (@ai-sdk/openai-compatible at <endpoint>/v1) and model = \"switchboard/<model>\"; the small slot sets small_model (titles, summaries).",
	files: func(e Env) []fileSpec {
		return []fileSpec{{role: "config", path: openCodeConfig(e), format: fmtJSON, secret: true,
			initial: "{\n  \"$schema\": \"https://opencode.ai/config.json\"\n}\n"}}
	},
	readKey: func(d docs) string {
		return d["config"].json.GetString([]string{"provider", providerID, "options", "apiKey"})
	},
	apply: func(d docs, p params) error {
		c := d["config"]
		models := obj{{p.Model, obj{{"name", p.Model}}}}
		small := p.Slots["small"]
		if small != "" && small != p.Model {
			models = append(models, kv{small, obj{{"name", small}}})
		}
		prov := obj{
			{"npm", "@ai-sdk/openai-compatible"},
			{"name", "Switchboard"},
			{"options", obj{{"baseURL", p.V1}, {"apiKey", p.Key}}},
			{"models", models},
		}
		if err := c.set([]string{"provider", providerID}, prov); err != nil {
			return err
		}
		if err := c.set([]string{"model"}, providerID+"/"+p.Model); err != nil {
			return err
		}
		if small != "" {
			return c.set([]string{"small_model"}, providerID+"/"+small)
		}
		return nil
	},
	inspect: func(d docs, root string) (string, string, string) {
		j := d["config"].json
		model := j.GetString([]string{"model"})
		prov, _, _ := strings.Cut(model, "/")
		if prov == "" {
			return StateUntouched, model, ""
		}
		u := j.GetString([]string{"provider", prov, "options", "baseURL"})
		if u == "" {
			return StateOther, model, "provider " + prov
		}
		return pointing(u, root), model, ""
	},
}

// openCodeConfig is the global opencode config file: $XDG_CONFIG_HOME or
// ~/.config (OpenCode uses XDG paths on every OS); on Windows, an existing
// file under ~/.config wins, else %APPDATA%. opencode.jsonc is used when it
// is the one that exists.
func openCodeConfig(e Env) string {
	var dirs []string
	if x := e.get("XDG_CONFIG_HOME"); x != "" {
		dirs = append(dirs, e.join(x, "opencode"))
	} else {
		dirs = append(dirs, e.join(e.Home, ".config", "opencode"))
		if e.GOOS == "windows" {
			if a := e.get("APPDATA"); a != "" {
				dirs = append(dirs, e.join(a, "opencode"))
			}
		}
	}
	for _, dir := range dirs {
		for _, name := range []string{"opencode.json", "opencode.jsonc"} {
			if fileExists(e.join(dir, name)) {
				return e.join(dir, name)
			}
		}
	}
	return e.join(dirs[len(dirs)-1], "opencode.json")
}

// ---- OpenClaw ----

var openClaw = &toolDef{
	id: "openclaw", name: "OpenClaw", binaries: []string{"openclaw"}, needModel: true,
	notes: "openclaw.json (JSON5 is kept as written): models.providers.switchboard (openai-completions at <endpoint>/v1) and agents.defaults.model.primary = \"switchboard/<model>\".",
	files: func(e Env) []fileSpec {
		p := e.get("OPENCLAW_CONFIG_PATH")
		if p == "" {
			dir := e.get("OPENCLAW_STATE_DIR")
			if dir == "" {
				dir = e.join(e.Home, ".openclaw")
			}
			p = e.join(dir, "openclaw.json")
		}
		return []fileSpec{{role: "config", path: p, format: fmtJSON, secret: true}}
	},
	readKey: func(d docs) string {
		return d["config"].json.GetString([]string{"models", "providers", providerID, "apiKey"})
	},
	apply: func(d docs, p params) error {
		c := d["config"]
		name := p.Model
		if i := strings.LastIndex(name, "/"); i >= 0 {
			name = name[i+1:]
		}
		prov := obj{
			{"baseUrl", p.V1},
			{"apiKey", p.Key},
			{"api", "openai-completions"},
			{"models", []any{obj{{"id", p.Model}, {"name", name}}}},
		}
		if err := c.set([]string{"models", "providers", providerID}, prov); err != nil {
			return err
		}
		target := []string{"agents", "defaults", "model", "primary"}
		if n := c.json.Node([]string{"agents", "defaults", "model"}); n != nil && n.kind == jString {
			target = target[:3] // "model": "provider/name" shorthand
		}
		return c.set(target, providerID+"/"+p.Model)
	},
	inspect: func(d docs, root string) (string, string, string) {
		j := d["config"].json
		model := j.GetString([]string{"agents", "defaults", "model", "primary"})
		if model == "" {
			model = j.GetString([]string{"agents", "defaults", "model"})
		}
		prov, _, _ := strings.Cut(model, "/")
		if prov == "" {
			return StateUntouched, model, ""
		}
		u := j.GetString([]string{"models", "providers", prov, "baseUrl"})
		if u == "" {
			return StateOther, model, "provider " + prov
		}
		return pointing(u, root), model, ""
	},
}

// ---- Cline ----

var cline = &toolDef{
	id: "cline", name: "Cline", binaries: []string{"cline"}, needModel: true,
	slots: []string{"plan", "act"},
	notes: "~/.cline/data/globalState.json: plan and act modes use the OpenAI-compatible provider at <endpoint>/v1 with the chosen model(s); secrets.json holds openAiApiKey. Undo puts the previous provider back.",
	files: func(e Env) []fileSpec {
		dir := e.get("CLINE_DIR")
		if dir == "" {
			dir = e.join(e.Home, ".cline")
		}
		return []fileSpec{
			{role: "state", path: e.join(dir, "data", "globalState.json"), format: fmtJSON},
			{role: "secrets", path: e.join(dir, "data", "secrets.json"), format: fmtJSON, secret: true},
		}
	},
	readKey: func(d docs) string { return d["secrets"].json.GetString([]string{"openAiApiKey"}) },
	apply: func(d docs, p params) error {
		s := d["state"]
		steps := []kv{
			{"actModeApiProvider", "openai"},
			{"planModeApiProvider", "openai"},
			{"openAiBaseUrl", p.V1},
			{"openAiModelId", p.slot("act")},
			{"actModeOpenAiModelId", p.slot("act")},
			{"planModeOpenAiModelId", p.slot("plan")},
		}
		for _, st := range steps {
			if err := s.set([]string{st.K}, st.V); err != nil {
				return err
			}
		}
		return d["secrets"].set([]string{"openAiApiKey"}, p.Key)
	},
	inspect: func(d docs, root string) (string, string, string) {
		j := d["state"].json
		prov := j.GetString([]string{"actModeApiProvider"})
		model := j.GetString([]string{"actModeOpenAiModelId"})
		if model == "" {
			model = j.GetString([]string{"openAiModelId"})
		}
		switch prov {
		case "":
			return StateUntouched, "", ""
		case "openai":
			u := j.GetString([]string{"openAiBaseUrl"})
			if u == "" {
				return StateOther, model, "OpenAI provider"
			}
			return pointing(u, root), model, ""
		}
		return StateOther, "", "provider " + prov
	},
}

// ---- Kilo Code ----

var kiloCode = &toolDef{
	id: "kilo-code", name: "Kilo Code", binaries: []string{"kilo", "kilocode"}, needModel: true,
	notes: "~/.local/share/kilo/auth.json (XDG_DATA_HOME aware): the \"openai-compatible\" entry gets the key, <endpoint>/v1 and the model.",
	files: func(e Env) []fileSpec {
		dir := e.get("XDG_DATA_HOME")
		if dir == "" {
			dir = e.join(e.Home, ".local", "share")
		}
		return []fileSpec{{role: "auth", path: e.join(dir, "kilo", "auth.json"), format: fmtJSON, secret: true}}
	},
	readKey: func(d docs) string { return d["auth"].json.GetString([]string{"openai-compatible", "apiKey"}) },
	apply: func(d docs, p params) error {
		return d["auth"].set([]string{"openai-compatible"}, obj{{"type", "api-key"}, {"apiKey", p.Key}, {"baseUrl", p.V1}, {"model", p.Model}})
	},
	inspect: func(d docs, root string) (string, string, string) {
		j := d["auth"].json
		return pointing(j.GetString([]string{"openai-compatible", "baseUrl"}), root), j.GetString([]string{"openai-compatible", "model"}), ""
	},
}

// ---- Continue ----

var continueDev = &toolDef{
	id: "continue", name: "Continue", binaries: []string{"cn"}, needModel: true,
	notes: "~/.continue/config.yaml (or config.json when that is the file in use): a models entry named \"Switchboard (<model>)\" with provider openai and apiBase <endpoint>/v1, placed first; your other models stay.",
	files: func(e Env) []fileSpec {
		dir := e.get("CONTINUE_GLOBAL_DIR")
		if dir == "" {
			dir = e.join(e.Home, ".continue")
		}
		y, j := e.join(dir, "config.yaml"), e.join(dir, "config.json")
		if !fileExists(y) && fileExists(j) {
			return []fileSpec{{role: "config", path: j, format: fmtJSON, secret: true}}
		}
		return []fileSpec{{role: "config", path: y, format: fmtYAML, secret: true,
			initial: "name: Local Config\nversion: 1.0.0\nschema: v1\n"}}
	},
	readKey: func(d docs) string {
		c := d["config"]
		if c.spec.format == fmtJSON {
			if arr := c.json.Items([]string{"models"}); arr != nil {
				for _, it := range arr.items {
					if strings.HasPrefix(itemField(it.val, "title"), markerName) {
						return itemField(it.val, "apiKey")
					}
				}
			}
			return ""
		}
		if seq := c.yaml.Seq("models"); seq != nil {
			for _, it := range seq.Content {
				if strings.HasPrefix(mapField(it, "name"), markerName) {
					return mapField(it, "apiKey")
				}
			}
		}
		return ""
	},
	apply: func(d docs, p params) error {
		c := d["config"]
		title := markerName + " (" + p.Model + ")"
		if c.spec.format == fmtJSON {
			return c.items([]string{"models"}, "title", markerName, []obj{{{"title", title}, {"provider", "openai"}, {"model", p.Model}, {"apiBase", p.V1}, {"apiKey", p.Key}}})
		}
		return c.items([]string{"models"}, "name", markerName, []obj{{{"name", title}, {"provider", "openai"}, {"model", p.Model}, {"apiBase", p.V1}, {"apiKey", p.Key}}})
	},
	inspect: func(d docs, root string) (string, string, string) {
		c := d["config"]
		var ours, base string
		count := 0
		if c.spec.format == fmtJSON {
			if arr := c.json.Items([]string{"models"}); arr != nil {
				count = len(arr.items)
				for _, it := range arr.items {
					if strings.HasPrefix(itemField(it.val, "title"), markerName) {
						ours, base = itemField(it.val, "model"), itemField(it.val, "apiBase")
						break
					}
				}
			}
		} else if seq := c.yaml.Seq("models"); seq != nil {
			count = len(seq.Content)
			for _, it := range seq.Content {
				if strings.HasPrefix(mapField(it, "name"), markerName) {
					ours, base = mapField(it, "model"), mapField(it, "apiBase")
					break
				}
			}
		}
		if ours != "" {
			return pointing(base, root), ours, ""
		}
		if count > 0 {
			return StateOther, "", fmt.Sprintf("%d model(s) configured", count)
		}
		return StateUntouched, "", ""
	},
}

// ---- Factory Droid ----

const droidIDPrefix = "custom:" + markerName + "-"

var factoryDroid = &toolDef{
	id: "factory-droid", name: "Factory Droid", binaries: []string{"droid"}, needModel: true,
	notes: "~/.factory/settings.json: a customModels entry with id \"custom:Switchboard-0\" placed first; pick \"Switchboard: <model>\" with /model in droid. Other custom models stay.",
	files: func(e Env) []fileSpec {
		return []fileSpec{{role: "settings", path: e.join(e.Home, ".factory", "settings.json"), format: fmtJSON, secret: true}}
	},
	readKey: func(d docs) string {
		if arr := d["settings"].json.Items([]string{"customModels"}); arr != nil {
			for _, it := range arr.items {
				if strings.HasPrefix(itemField(it.val, "id"), droidIDPrefix) {
					return itemField(it.val, "apiKey")
				}
			}
		}
		return ""
	},
	apply: func(d docs, p params) error {
		entry := obj{
			{"model", p.Model},
			{"id", droidIDPrefix + "0"},
			{"index", 0},
			{"baseUrl", p.V1},
			{"apiKey", p.Key},
			{"displayName", markerName + ": " + p.Model},
			{"maxOutputTokens", 131072},
			{"noImageSupport", false},
			{"provider", "openai"},
		}
		return d["settings"].items([]string{"customModels"}, "id", droidIDPrefix, []obj{entry})
	},
	inspect: func(d docs, root string) (string, string, string) {
		arr := d["settings"].json.Items([]string{"customModels"})
		if arr == nil || len(arr.items) == 0 {
			return StateUntouched, "", ""
		}
		for _, it := range arr.items {
			if strings.HasPrefix(itemField(it.val, "id"), droidIDPrefix) {
				return pointing(itemField(it.val, "baseUrl"), root), itemField(it.val, "model"), ""
			}
		}
		return StateOther, "", fmt.Sprintf("%d custom model(s)", len(arr.items))
	},
}

// ---- Qwen Code ----

// qwenKeyVar is the variable our modelProviders entry reads its key from;
// a name of our own, so a user's OPENAI_API_KEY is never touched.
const qwenKeyVar = "SWITCHBOARD_API_KEY"

var qwenCode = &toolDef{
	id: "qwen-code", name: "Qwen Code", binaries: []string{"qwen"}, needModel: true,
	notes: "~/.qwen/.env holds SWITCHBOARD_API_KEY; settings.json gets a modelProviders.openai entry (baseUrl <endpoint>/v1, envKey SWITCHBOARD_API_KEY), model.name and security.auth.selectedType = \"openai\".",
	files: func(e Env) []fileSpec {
		dir := e.join(e.Home, ".qwen")
		return []fileSpec{
			{role: "env", path: e.join(dir, ".env"), format: fmtEnv, secret: true},
			{role: "settings", path: e.join(dir, "settings.json"), format: fmtJSON},
		}
	},
	readKey: func(d docs) string { v, _ := d["env"].env.Get(qwenKeyVar); return v },
	apply: func(d docs, p params) error {
		if err := d["env"].set([]string{qwenKeyVar}, p.Key); err != nil {
			return err
		}
		s := d["settings"]
		entry := obj{{"id", p.Model}, {"name", markerName + ": " + p.Model}, {"envKey", qwenKeyVar}, {"baseUrl", p.V1}}
		if err := s.items([]string{"modelProviders", "openai"}, "name", markerName, []obj{entry}); err != nil {
			return err
		}
		if err := s.set([]string{"security", "auth", "selectedType"}, "openai"); err != nil {
			return err
		}
		return s.set([]string{"model", "name"}, p.Model)
	},
	inspect: func(d docs, root string) (string, string, string) {
		j := d["settings"].json
		model := j.GetString([]string{"model", "name"})
		at := j.GetString([]string{"security", "auth", "selectedType"})
		if arr := j.Items([]string{"modelProviders", "openai"}); arr != nil {
			for _, it := range arr.items {
				if strings.HasPrefix(itemField(it.val, "name"), markerName) && itemField(it.val, "id") == model && at == "openai" {
					return pointing(itemField(it.val, "baseUrl"), root), model, ""
				}
			}
		}
		if at != "" {
			return StateOther, model, "auth " + at
		}
		return StateUntouched, model, ""
	},
}

// ---- tools configured in their own UI ----

type manualTool struct{ id, name, text string }

var manualTools = []manualTool{
	{"cursor", "Cursor", `Cursor → Settings → Models:
  1. Turn on "OpenAI API Key" and paste a Switchboard key (switchboard keys create --name cursor).
  2. Turn on "Override OpenAI Base URL" and enter {{V1}}
  3. Add the model names you route through Switchboard (e.g. a combo name) with "+ Add model".
Note: Cursor sends these requests from its own cloud, so it cannot reach 127.0.0.1; it needs a
public URL (a tunnel) in front of Switchboard.`},
	{"roo-code", "Roo Code", `Roo Code (VS Code) → Settings → Providers:
  API Provider: OpenAI Compatible
  Base URL:     {{V1}}
  API Key:      a Switchboard key (switchboard keys create --name roo-code)
  Model:        any Switchboard model, alias or combo name`},
	{"vscode-copilot", "VS Code Copilot", `VS Code → Chat → Manage Models → Add Models → "OpenAI Compatible"
(or the "Custom OpenAI" provider in Copilot's language-model settings):
  URL:     {{V1}}
  API key: a Switchboard key (switchboard keys create --name vscode)
  Models:  the Switchboard model, alias or combo names you want in the model picker`},
}

// Instructions tells how to point a tool configured in its own UI (Cursor,
// Roo Code, VS Code Copilot) at Switchboard; ok is false for other ids.
func (s *Service) Instructions(id string) (string, bool) {
	for _, m := range manualTools {
		if m.id == id {
			r := strings.NewReplacer("{{V1}}", s.root()+"/v1", "{{ROOT}}", s.root())
			return r.Replace(m.text), true
		}
	}
	return "", false
}

// ShellSnippet exports the variables most SDKs and CLIs read.
func (s *Service) ShellSnippet() string {
	r := s.root()
	return fmt.Sprintf(`# Switchboard: paste into your shell (create a key with: switchboard keys create --name shell)
export SWITCHBOARD_KEY="sk-sb-…"
export OPENAI_BASE_URL=%q
export OPENAI_API_KEY="$SWITCHBOARD_KEY"
export ANTHROPIC_BASE_URL=%q
export ANTHROPIC_AUTH_TOKEN="$SWITCHBOARD_KEY"
export GOOGLE_GEMINI_BASE_URL=%q
export GEMINI_API_KEY="$SWITCHBOARD_KEY"
`, r+"/v1", r, r)
}
