package transfer

// Fixture setups of the four peers, built from their documented storage
// layouts (see the readers' doc comments and the project's reference notes)
// with made-up values: no data or code of theirs. TestMakePeerFixtures
// writes them to $SWITCHBOARD_PEER_FIXTURES for the dashboard's e2e test
// (scripts/make-peer-fixtures.sh).

import (
	"crypto/aes"
	"crypto/cipher"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/scrypt"
)

func TestMakePeerFixtures(t *testing.T) {
	out := os.Getenv("SWITCHBOARD_PEER_FIXTURES")
	if out == "" {
		t.Skip("set SWITCHBOARD_PEER_FIXTURES=DIR to write the fixtures there")
	}
	for name, mk := range fixtureMakers {
		dir := filepath.Join(out, name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		mk(t, dir)
	}
}

var fixtureMakers = map[string]func(*testing.T, string){
	"omniroute": makeOmniRoute, "9router": make9router, "cliproxyapi": makeCLIProxy, "cc-switch": makeCCSwitch,
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writeJSONFile(t *testing.T, path string, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	must(t, err)
	must(t, os.WriteFile(path, b, 0o600))
}

func sqliteAt(t *testing.T, path string) *sql.DB {
	db, err := sql.Open("sqlite3", "file:"+path)
	must(t, err)
	db.SetMaxOpenConns(1)
	return db
}

func execAll(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
	}
}

// make9router writes db.json (lowdb, 0.4.x layout).
func make9router(t *testing.T, dir string) {
	yes, no := true, false
	db := map[string]any{
		"providerConnections": []map[string]any{
			{"id": "c1", "provider": "openai", "authType": "apikey", "name": "work", "priority": 1, "isActive": yes, "apiKey": "sk-nr-openai-work-000000000001"},
			{"id": "c2", "provider": "anthropic", "authType": "apikey", "name": "personal", "priority": 2, "isActive": yes, "apiKey": "sk-ant-nr-000000000000000002"},
			{"id": "c3", "provider": "deepseek", "authType": "apikey", "name": "spare", "priority": 1, "isActive": no, "apiKey": "sk-nr-deepseek-00000000000003"},
			{"id": "c4", "provider": "openai-compatible-chat-1a2b", "authType": "apikey", "name": "lab", "priority": 1, "isActive": yes, "apiKey": "sk-nr-lab-000000000000000004"},
			{"id": "c5", "provider": "claude", "authType": "oauth", "email": "dev@example.com", "name": "dev@example.com", "priority": 1, "isActive": yes,
				"accessToken": "nr-claude-access-0005", "refreshToken": "nr-claude-refresh-0005", "expiresAt": "2030-01-02T03:04:05Z"},
			{"id": "c6", "provider": "github", "authType": "oauth", "name": "octo", "priority": 1, "isActive": yes, "accessToken": "gho_nrgithubtoken0006"},
			{"id": "c7", "provider": "gemini-cli", "authType": "oauth", "email": "g@example.com", "priority": 1, "isActive": yes,
				"accessToken": "nr-gemini-access-0007", "refreshToken": "nr-gemini-refresh-0007", "projectId": "proj-123", "expiresAt": 1893456000000},
			{"id": "c8", "provider": "cursor", "authType": "oauth", "name": "cur", "priority": 1, "isActive": yes, "accessToken": "nr-cursor-0008"},
			{"id": "c9", "provider": "codex", "authType": "apikey", "name": "wrong-kind", "priority": 1, "isActive": yes, "apiKey": "sk-nr-codexkey-0000000000009"},
		},
		"providerNodes": []map[string]any{
			{"id": "openai-compatible-chat-1a2b", "type": "openai-compatible", "name": "My Lab", "prefix": "mylab", "apiType": "chat", "baseUrl": "https://llm.example.com/v1"},
			{"id": "custom-embedding-9z", "type": "custom-embedding", "name": "Embedder", "prefix": "emb", "baseUrl": "https://emb.example.com/v1"},
		},
		"proxyPools":   []any{},
		"modelAliases": map[string]string{"fast": "openai/gpt-4.1-mini", "lab": "mylab/llama-3", "cur": "cu/fast"},
		"customModels": []any{},
		"mitmAlias":    map[string]any{},
		"combos": []map[string]any{
			{"id": "k1", "name": "coding", "models": []string{"cc/claude-sonnet-4-5", "openai/gpt-4.1", "mylab/llama-3", "cu/fast"}},
			{"id": "k2", "name": "cheap", "models": []string{"ds/deepseek-chat", "gemini/gemini-2.5-flash"}},
			{"id": "k3", "name": "pictures", "models": []string{"openai/gpt-image-1"}, "kind": "image"},
		},
		"apiKeys": []map[string]any{
			{"id": "ak1", "name": "laptop", "key": "sk-9r-laptop-0000000000000001", "machineId": "m1", "isActive": yes},
			{"id": "ak2", "name": "tiny", "key": "sk-short", "machineId": "m1", "isActive": yes},
			{"id": "ak3", "name": "old", "key": "sk-9r-old-000000000000000003", "machineId": "m1", "isActive": no},
		},
		"settings": map[string]any{"comboStrategy": "fallback", "comboStrategies": map[string]any{"coding": map[string]string{"fallbackStrategy": "round-robin"}},
			"providerStrategies": map[string]any{"openai": map[string]string{"fallbackStrategy": "round-robin"}}, "stickyRoundRobinLimit": 3},
		"pricing": map[string]any{},
	}
	writeJSONFile(t, filepath.Join(dir, "db.json"), db)
}

// omniEncrypt writes a value in OmniRoute's "enc:v1:" at-rest format.
func omniEncrypt(t *testing.T, secret, plaintext string) string {
	key, err := scrypt.Key([]byte(secret), []byte("omniroute-field-encryption-v1"), 16384, 8, 1, 32)
	must(t, err)
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCMWithNonceSize(block, 16)
	iv := []byte("0123456789abcdef")
	sealed := gcm.Seal(nil, iv, []byte(plaintext), nil)
	ct, tag := sealed[:len(sealed)-16], sealed[len(sealed)-16:]
	return "enc:v1:" + hex.EncodeToString(iv) + ":" + hex.EncodeToString(ct) + ":" + hex.EncodeToString(tag)
}

const omniSecret = "fixture-storage-key-not-real"

// makeOmniRoute writes storage.sqlite (the tables of migration 001 that
// hold the setup, migrated to 177) and the .env with the storage key.
func makeOmniRoute(t *testing.T, dir string) {
	makeOmniRouteAt(t, dir, "177")
}

func makeOmniRouteAt(t *testing.T, dir, version string) {
	db := sqliteAt(t, filepath.Join(dir, "storage.sqlite"))
	defer db.Close()
	execAll(t, db, `PRAGMA journal_mode=WAL`,
		`CREATE TABLE _omniroute_migrations (version TEXT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (datetime('now')))`,
		`INSERT INTO _omniroute_migrations(version, name) VALUES ('001', 'initial_schema'), ('`+version+`', 'latest')`,
		`CREATE TABLE provider_connections (id TEXT PRIMARY KEY, provider TEXT NOT NULL, auth_type TEXT, name TEXT, email TEXT, priority INTEGER DEFAULT 0,
			is_active INTEGER DEFAULT 1, access_token TEXT, refresh_token TEXT, expires_at TEXT, token_expires_at TEXT, scope TEXT, project_id TEXT,
			api_key TEXT, id_token TEXT, provider_specific_data TEXT, display_name TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
		`CREATE TABLE provider_nodes (id TEXT PRIMARY KEY, type TEXT NOT NULL, name TEXT NOT NULL, prefix TEXT, api_type TEXT, base_url TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
		`CREATE TABLE key_value (namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (namespace, key))`,
		`CREATE TABLE combos (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, data TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
		`CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, key TEXT NOT NULL UNIQUE, machine_id TEXT, created_at TEXT NOT NULL)`,
	)
	ins := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	const now = "2026-01-01T00:00:00Z"
	ins(`INSERT INTO provider_nodes VALUES ('node-1', 'anthropic-compatible', 'Relay', 'relay', 'anthropic', 'https://relay.example.com/v1', ?, ?)`, now, now)
	ins(`INSERT INTO provider_nodes VALUES ('node-2', 'openai-compatible', 'Local LLM', 'local', 'chat', 'http://127.0.0.1:8080/v1', ?, ?)`, now, now)
	conn := `INSERT INTO provider_connections(id, provider, auth_type, name, email, priority, is_active, access_token, refresh_token, token_expires_at,
		project_id, api_key, id_token, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
	enc := func(s string) string { return omniEncrypt(t, omniSecret, s) }
	ins(conn, "p1", "openai", "apikey", "main", "", 1, 1, nil, nil, nil, nil, enc("sk-omni-openai-main-00000001"), nil, now, now)
	ins(conn, "p2", "groq", "apikey", "fast", "", 2, 1, nil, nil, nil, nil, "gsk_omni_plaintext_key_0000002", nil, now, now)
	ins(conn, "p3", "node-1", "apikey", "relay-key", "", 1, 1, nil, nil, nil, nil, enc("sk-omni-relay-000000000003"), nil, now, now)
	ins(conn, "p4", "codex", "oauth", "", "coder@example.com", 1, 1, enc("omni-codex-access-0004"), enc("omni-codex-refresh-0004"),
		"2030-05-06T07:08:09Z", nil, nil, enc("omni.codex.idtoken"), now, now)
	ins(conn, "p5", "antigravity", "oauth", "ag-acct", "ag@example.com", 1, 0, "omni-ag-access-0005", "omni-ag-refresh-0005", "2030-01-01T00:00:00Z",
		"ag-project-9", nil, nil, now, now)
	ins(conn, "p6", "grok-web", "cookie", "web", "", 1, 1, nil, nil, nil, nil, "sso=cookie", nil, now, now)
	ins(conn, "p7", "node-2", "apikey", "local-key", "", 1, 1, nil, nil, nil, nil, "sk-omni-local-0000000000007", nil, now, now)
	kv := `INSERT INTO key_value(namespace, key, value) VALUES ('modelAliases', ?, ?)`
	ins(kv, "smart", `"cx/gpt-5-codex"`)
	ins(kv, "relay-opus", `"relay/claude-opus-4"`)
	ins(`INSERT INTO key_value(namespace, key, value) VALUES ('settings', 'requireLogin', 'true')`)
	combo := `INSERT INTO combos(id, name, data, created_at, updated_at) VALUES (?,?,?,?,?)`
	ins(combo, "cb1", "best", `{"strategy":"weighted","models":[{"provider":"codex","model":"gpt-5-codex","weight":3},{"model":"relay/claude-opus-4","weight":1}]}`, now, now)
	ins(combo, "cb2", "smart-pick", `{"strategy":"lkgp","models":["openai/gpt-4.1","groq/llama-3.3-70b"]}`, now, now)
	ins(combo, "cb3", "broken", `{not json`, now, now)
	keys := `INSERT INTO api_keys(id, name, key, machine_id, created_at) VALUES (?,?,?,?,?)`
	ins(keys, "k1", "desktop", enc("sk-omni-desktop-key-000000001"), "m", now)
	ins(keys, "k2", "ci", "sk-omni-ci-key-0000000000000002", "m", now)
	ins(keys, "k3", "hashed", "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", "m", now)
	must(t, os.WriteFile(filepath.Join(dir, ".env"), []byte("# OmniRoute\nJWT_SECRET=x\nSTORAGE_ENCRYPTION_KEY="+omniSecret+"\n"), 0o600))
}

// makeCLIProxy writes config.yaml and an auth dir with one file per account.
func makeCLIProxy(t *testing.T, dir string) {
	auth := filepath.Join(dir, "auth")
	must(t, os.MkdirAll(auth, 0o700))
	cfg := `# CLIProxyAPI fixture
host: ""
port: 8317
auth-dir: "` + auth + `"
api-keys:
  - "sk-cpa-client-key-000000000001"
  - "short"
request-retry: 3
routing:
  strategy: "fill-first"
claude-api-key:
  - api-key: "sk-ant-cpa-00000000000000001"
gemini-api-key:
  - api-key: "AIzaCPA-gemini-000000000000001"
    models:
      - name: "gemini-2.5-flash"
        alias: "flash"
codex-api-key:
  - api-key: "sk-cpa-codex-000000000000001"
    base-url: "https://codex-relay.example.com/v1"
    prefix: "relay"
openai-compatibility:
  - name: "openrouter"
    base-url: "https://openrouter.ai/api/v1"
    api-key-entries:
      - api-key: "sk-or-cpa-00000000000000001"
      - api-key: "sk-or-cpa-00000000000000002"
    models:
      - name: "moonshotai/kimi-k2:free"
        alias: "kimi-k2"
`
	must(t, os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o600))
	writeJSONFile(t, filepath.Join(auth, "claude-dev@example.com.json"), map[string]any{"type": "claude", "email": "dev@example.com",
		"access_token": "cpa-claude-access-01", "refresh_token": "cpa-claude-refresh-01", "id_token": "", "expired": "2030-02-03T04:05:06Z", "last_refresh": "2026-01-01T00:00:00Z"})
	writeJSONFile(t, filepath.Join(auth, "codex-team@example.com.json"), map[string]any{"type": "codex", "email": "team@example.com",
		"access_token": "cpa-codex-access-02", "refresh_token": "cpa-codex-refresh-02", "id_token": "cpa.codex.id", "account_id": "acct-777", "expired": "2030-03-04T05:06:07Z"})
	writeJSONFile(t, filepath.Join(auth, "antigravity-x.json"), map[string]any{"type": "antigravity", "email": "ag@example.com",
		"access_token": "cpa-ag-access-03", "refresh_token": "cpa-ag-refresh-03", "project_id": "cpa-proj", "expired": "2030-01-01T00:00:00Z", "disabled": true})
	writeJSONFile(t, filepath.Join(auth, "iflow-y.json"), map[string]any{"type": "iflow", "email": "i@example.com", "access_token": "cpa-iflow-04"})
	must(t, os.WriteFile(filepath.Join(auth, "notes.json"), []byte(`{"hello": "world"}`), 0o600))
}

// makeCCSwitch writes cc-switch.db (schema 17: providers keyed by id and
// app_type, settings_config JSON per app).
func makeCCSwitch(t *testing.T, dir string) {
	makeCCSwitchAt(t, dir, 17)
}

func makeCCSwitchAt(t *testing.T, dir string, version int) {
	db := sqliteAt(t, filepath.Join(dir, "cc-switch.db"))
	defer db.Close()
	execAll(t, db, `CREATE TABLE providers (id TEXT NOT NULL, app_type TEXT NOT NULL, name TEXT NOT NULL, settings_config TEXT NOT NULL,
		website_url TEXT, category TEXT, created_at INTEGER, sort_index INTEGER, notes TEXT, icon TEXT, icon_color TEXT,
		meta TEXT NOT NULL DEFAULT '{}', is_current BOOLEAN NOT NULL DEFAULT 0, in_failover_queue BOOLEAN NOT NULL DEFAULT 0, PRIMARY KEY (id, app_type))`,
		`PRAGMA user_version = `+itoa(version))
	ins := `INSERT INTO providers(id, app_type, name, settings_config, sort_index, is_current, in_failover_queue) VALUES (?,?,?,?,?,?,?)`
	rows := [][]any{
		{"p1", "claude", "Zhipu GLM", `{"env":{"ANTHROPIC_BASE_URL":"https://open.bigmodel.cn/api/anthropic","ANTHROPIC_AUTH_TOKEN":"cc-glm-token-000000000001","ANTHROPIC_MODEL":"glm-4.6"}}`, 1, 1, 1},
		{"p2", "claude", "Kimi", `{"env":{"ANTHROPIC_BASE_URL":"https://api.moonshot.cn/anthropic","ANTHROPIC_API_KEY":"cc-kimi-key-0000000000002","ANTHROPIC_MODEL":"kimi-k2"}}`, 2, 0, 1},
		{"p3", "claude", "Claude Official", `{"env":{}}`, 0, 0, 0},
		{"p4", "codex", "Relay Codex", `{"auth":{"OPENAI_API_KEY":"cc-codex-key-00000000003"},"config":"model_provider = \"relay\"\nmodel = \"gpt-5-codex\"\n\n[model_providers.relay]\nname = \"relay\"\nbase_url = \"https://relay.example.com/v1\"\nwire_api = \"responses\"\n"}`, 1, 1, 0},
		{"p5", "gemini", "Gemini Key", `{"env":{"GEMINI_API_KEY":"cc-gemini-key-0000000004","GEMINI_MODEL":"gemini-2.5-pro"}}`, 1, 1, 0},
		{"p6", "opencode", "OpenCode thing", `{"options":{"baseURL":"https://x.example.com","apiKey":"k"}}`, 1, 1, 0},
		{"p7", "claude", "Broken", `{not json`, 3, 0, 0},
	}
	for _, r := range rows {
		if _, err := db.Exec(ins, r...); err != nil {
			t.Fatal(err)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
