package app

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(nil, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLIKeysAndConfigErrors(t *testing.T) {
	t.Setenv("SWITCHBOARD_KEYRING", "off")
	dir := t.TempDir()
	code, out, _ := run("--version")
	if code != 0 || !strings.HasPrefix(out, "switchboard ") {
		t.Fatalf("--version: %d %q", code, out)
	}
	code, secret, errs := run("keys", "create", "--name", "laptop", "--data-dir", dir)
	if code != 0 || !strings.HasPrefix(secret, "sk-sb-") || !strings.Contains(errs, "not shown again") {
		t.Fatalf("keys create: %d %q %q", code, secret, errs)
	}
	code, out, _ = run("keys", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "laptop") || strings.Contains(out, strings.TrimSpace(secret)) {
		t.Fatalf("keys list: %d %q", code, out)
	}
	code, _, _ = run("keys", "revoke", "laptop", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("revoke: %d", code)
	}
	if code, _, _ = run("keys", "revoke", "laptop", "--data-dir", dir); code != 1 {
		t.Fatalf("revoke unknown: %d", code)
	}
	// Environment overrides and a bad value is refused before anything starts.
	t.Setenv("SWITCHBOARD_LOG_FORMAT", "xml")
	code, _, errs = run("serve", "--data-dir", dir, "--listen", "nonsense")
	if code != 2 || !strings.Contains(errs, "log_format") || !strings.Contains(errs, "listen") {
		t.Fatalf("bad config: %d %q", code, errs)
	}
	// Providers that cannot be built refuse the whole file, every problem
	// listed.
	t.Setenv("SWITCHBOARD_LOG_FORMAT", "")
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(bad, []byte("providers:\n  - id: openai\n    base_url: http://127.0.0.1:9/v1\n"+
		"  - id: claude\n    sign_in:\n      token_url: http://idp.example/token\n"), 0o600)
	code, _, errs = run("serve", "--data-dir", dir, "--config", bad)
	if code != 2 || !strings.Contains(errs, "clear text") || !strings.Contains(errs, "sign_in.token_url") {
		t.Fatalf("unbuildable provider and combo: %d %q", code, errs)
	}
	if code, _, _ = run("frobnicate"); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
}

// TestCLIWithoutConfigKeepsConfigKeys: the reported defect was that
// `switchboard keys list` without --config revoked the config file's keys.
func TestCLIWithoutConfigKeepsConfigKeys(t *testing.T) {
	t.Setenv("SWITCHBOARD_KEYRING", "off")
	t.Setenv("SWITCHBOARD_CONFIG", "")
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "switchboard.yaml")
	if err := os.WriteFile(file, []byte("keys:\n  - name: ci\n    key: sk-sb-ci-0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run("keys", "list", "--config", file, "--data-dir", dir); code != 0 || !strings.Contains(out, " ci ") {
		t.Fatalf("keys list --config: %d %q %q", code, out, errs)
	}
	if code, out, errs := run("keys", "list", "--data-dir", dir); code != 0 || !strings.Contains(out, " ci ") {
		t.Fatalf("keys list without --config lost the config key: %d %q %q", code, out, errs)
	}
}

func TestCLIProviders(t *testing.T) {
	t.Setenv("SWITCHBOARD_KEYRING", "off")
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sk-upstream-abcdef123456" {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"message":"bad key","type":"authentication_error"}}`)
			return
		}
		io.WriteString(w, `{"object":"list","data":[{"id":"m1","object":"model"}]}`)
	}))
	defer up.Close()
	dir := t.TempDir()
	t.Setenv("SB_TEST_UPSTREAM_KEY", "sk-upstream-abcdef123456")
	code, _, errs := run("providers", "add", "local", "--name", "main", "--key-env", "SB_TEST_UPSTREAM_KEY",
		"--type", "openai-compatible", "--base-url", up.URL+"/v1", "--models", "m1", "--allow-local", "--data-dir", dir)
	if code != 0 || !strings.Contains(errs, "…3456") {
		t.Fatalf("add: %d %s", code, errs)
	}
	code, out, _ := run("providers", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "main(…3456,ok)") || strings.Contains(out, "abcdef") {
		t.Fatalf("list: %d %s", code, out)
	}
	code, out, _ = run("providers", "test", "local", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "local/main: ok") {
		t.Fatalf("test: %d %s", code, out)
	}
	// The key is sealed in the database: not in plain text on disk.
	files, _ := filepath.Glob(filepath.Join(dir, "switchboard.db*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte("sk-upstream-abcdef123456")) {
			t.Fatalf("upstream key in plain text in %s", f)
		}
	}
	t.Setenv("SB_TEST_UPSTREAM_KEY", "sk-wrong-key-000000000")
	run("providers", "add", "local", "--name", "bad", "--key-env", "SB_TEST_UPSTREAM_KEY", "--data-dir", dir)
	code, out, _ = run("providers", "test", "local", "--account", "bad", "--data-dir", dir)
	if code != 1 || !strings.Contains(out, "FAILED") || strings.Contains(out, "sk-wrong") {
		t.Fatalf("failing test: %d %s", code, out)
	}
}

func TestCLIToolsApplyUndo(t *testing.T) {
	t.Setenv("SWITCHBOARD_KEYRING", "off")
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("CLAUDE_CONFIG_DIR", "")
	dir := t.TempDir()
	settings := filepath.Join(home, ".claude", "settings.json")
	os.MkdirAll(filepath.Dir(settings), 0o755)
	orig := "{\n  // my hooks\n  \"hooks\": {\"Stop\": []},\n  \"statusLine\": {\"type\": \"command\"}\n}\n"
	os.WriteFile(settings, []byte(orig), 0o644)
	code, out, errs := run("tools", "apply", "claude-code", "--model", "combo-x", "--yes", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("apply: %d %s %s", code, out, errs)
	}
	b, _ := os.ReadFile(settings)
	if !strings.Contains(string(b), "ANTHROPIC_BASE_URL") || !strings.Contains(string(b), "// my hooks") || !strings.Contains(string(b), "statusLine") {
		t.Fatalf("applied file lost something or misses our keys:\n%s", b)
	}
	code, out, _ = run("keys", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "claude-code") {
		t.Fatalf("the tool's own key was not created: %s", out)
	}
	if code, _, errs = run("tools", "undo", "claude-code", "--data-dir", dir); code != 0 {
		t.Fatalf("undo: %d %s", code, errs)
	}
	if b, _ := os.ReadFile(settings); string(b) != orig {
		t.Fatalf("undo did not restore the original bytes:\n%s", b)
	}
}

// Key policies round-trip through the CLI and the config file.
func TestCLIKeyPolicy(t *testing.T) {
	t.Setenv("SWITCHBOARD_KEYRING", "off")
	dir := t.TempDir()
	if code, _, errs := run("keys", "create", "--name", "ci", "--models", "cheap-*, coding", "--rpm", "5", "--data-dir", dir); code != 0 {
		t.Fatalf("create with policy: %d %q", code, errs)
	}
	if code, _, errs := run("keys", "set", "ci", "--daily-usd", "2.5", "--expires", "2031-01-02", "--disable", "--data-dir", dir); code != 0 {
		t.Fatalf("set: %d %q", code, errs)
	}
	code, out, _ := run("keys", "list", "--data-dir", dir)
	for _, want := range []string{"DISABLED", "models cheap-*,coding", "rpm 5", "daily $2.5", "expires 2031-01-0", "$0.00 0tok"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("list lacks %q: %d %q", want, code, out)
		}
	}
	if code, _, errs := run("keys", "set", "ci", "--rpm", "-1", "--data-dir", dir); code != 2 || !strings.Contains(errs, "negative") {
		t.Fatalf("negative rpm: %d %q", code, errs)
	}
	if code, _, errs := run("keys", "set", "ci", "--enable", "--disable", "--data-dir", dir); code != 2 {
		t.Fatalf("contradiction accepted: %d %q", code, errs)
	}
	if code, _, _ := run("keys", "set", "ci", "--enable", "--models", "", "--data-dir", dir); code != 0 {
		t.Fatal("enable")
	}
	if _, out, _ := run("keys", "list", "--data-dir", dir); strings.Contains(out, "DISABLED") || strings.Contains(out, "models") {
		t.Fatalf("enable / clearing models not stored: %q", out)
	}
	file := filepath.Join(dir, "sb.yaml")
	_ = os.WriteFile(file, []byte("keys:\n  - name: team\n    key: sk-sb-team-0123456789abcdef\n    models: [\"openai/*\"]\n"+
		"    tpm: 1000\n    monthly_tokens: 500000\n"), 0o600)
	if code, out, errs := run("keys", "list", "--config", file, "--data-dir", dir); code != 0 ||
		!strings.Contains(out, "models openai/*; tpm 1000; monthly tokens 500000") {
		t.Fatalf("config policy: %d %q %q", code, out, errs)
	}
	if code, _, errs := run("keys", "set", "team", "--rpm", "1", "--config", file, "--data-dir", dir); code != 1 || !strings.Contains(errs, "config file") {
		t.Fatalf("config key changed from the CLI: %d %q", code, errs)
	}
	for _, bad := range []string{"daily_usd: -1", "expires_at: soon"} {
		_ = os.WriteFile(file, []byte("keys:\n  - name: team\n    key: sk-sb-team-0123456789abcdef\n    "+bad+"\n"), 0o600)
		if code, _, errs := run("keys", "list", "--config", file, "--data-dir", dir); code != 2 || !strings.Contains(errs, "keys[0]") {
			t.Fatalf("bad config policy %q: %d %q", bad, code, errs)
		}
	}
}
