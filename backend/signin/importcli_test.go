package signin

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/backend/oauth"
)

// The fixtures under testdata/import are homes and config dirs as the CLIs
// leave them. Every token in them is fake (see testdata/import/README.md);
// every secret contains "FAKE" and every JWT starts with "eyJ", which lets
// the tests check that no error quotes one.
var (
	fixedNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	future   = time.Unix(1893456000, 0) // 2030-01-01, the valid fixtures' expiry
	past     = time.Unix(1735689600, 0) // 2025-01-01, the expired fixtures' expiry
)

func fixture(name string) string { return filepath.Join("testdata", "import", name) }

// nowhere is a home with nothing in it.
var nowhere = fixture("nowhere")

// env builds an ImportEnv for goos with home and environment variables.
func env(goos, home string, vars map[string]string) ImportEnv {
	return ImportEnv{Home: home, GOOS: goos, Getenv: func(k string) string { return vars[k] }, Now: func() time.Time { return fixedNow }}
}

// keychain fakes the macOS keychain: service → fixture file; any other
// service is missing, as `security` reports it.
func keychain(items map[string]string) func(string) ([]byte, error) {
	return func(service string) ([]byte, error) {
		if name, ok := items[service]; ok {
			return os.ReadFile(fixture(name))
		}
		return nil, errors.New("keychain item not found or not readable")
	}
}

// withKeychain gives e the fake keychain holding items, or, with nil items,
// one that fails the test if consulted: only Claude Code on macOS uses it.
func withKeychain(t *testing.T, e ImportEnv, items map[string]string) ImportEnv {
	e.Keychain = keychain(items)
	if items == nil {
		e.Keychain = func(service string) ([]byte, error) {
			t.Errorf("keychain read for %q; only Claude Code on macOS uses it", service)
			return nil, errors.New("unexpected")
		}
	}
	return e
}

// guardFixtures fails the test if reading changed any fixture file's bytes
// or modification time: import must never write the CLIs' files.
func guardFixtures(t *testing.T) {
	t.Helper()
	type state struct {
		data  []byte
		mtime time.Time
	}
	snapshot := func() map[string]state {
		m := map[string]state{}
		err := filepath.WalkDir(fixture(""), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			m[p] = state{data, fi.ModTime()}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := snapshot()
	t.Cleanup(func() {
		after := snapshot()
		if len(after) != len(before) {
			t.Errorf("fixture files: %d before, %d after", len(before), len(after))
		}
		for p, b := range before {
			a := after[p]
			if !bytes.Equal(a.data, b.data) || !a.mtime.Equal(b.mtime) {
				t.Errorf("%s changed while importing", p)
			}
		}
	})
}

// claudeValid is what claude-valid/ holds.
var claudeValid = oauth.Claims{
	AccountID: "11111111-aaaa-4aaa-8aaa-111111111111", Email: "dev@example.com",
	OrganizationID: "22222222-bbbb-4bbb-8bbb-222222222222", PlanType: "max",
}

// codexValid is what codex-valid/'s id_token says.
var codexValid = oauth.Claims{Subject: "auth0|FAKE-subject", Email: "dev@example.com", AccountID: "acct-FAKE-1111", PlanType: "plus"}

func TestReadCLILogin(t *testing.T) {
	guardFixtures(t)
	profile := fixture("claude-configdir/profile")
	tests := []struct {
		name, provider string
		env            ImportEnv
		keychain       map[string]string // darwin only
		source         string
		access         string // "" checks only that it is a JWT
		refresh        string
		expiry         time.Time
		claims         oauth.Claims
	}{
		{name: "claude valid", provider: "claude", env: env("linux", fixture("claude-valid"), nil),
			source: fixture("claude-valid/.claude/.credentials.json"), access: "sk-ant-oat01-FAKE-access-valid",
			refresh: "sk-ant-ort01-FAKE-refresh-valid", expiry: future, claims: claudeValid},
		{name: "claude expired with refresh imports", provider: "claude", env: env("linux", fixture("claude-expired-refresh"), nil),
			source: fixture("claude-expired-refresh/.claude/.credentials.json"), access: "sk-ant-oat01-FAKE-access-expired",
			refresh: "sk-ant-ort01-FAKE-refresh-valid", expiry: past, claims: oauth.Claims{PlanType: "max"}},
		{name: "claude CLAUDE_CONFIG_DIR", provider: "claude",
			env:    env("linux", fixture("claude-valid"), map[string]string{"CLAUDE_CONFIG_DIR": profile}),
			source: filepath.Join(profile, ".credentials.json"), access: "sk-ant-oat01-FAKE-access-profile",
			refresh: "sk-ant-ort01-FAKE-refresh-profile", expiry: future,
			claims: oauth.Claims{AccountID: "33333333-cccc-4ccc-8ccc-333333333333", Email: "work@example.com",
				OrganizationID: "44444444-dddd-4ddd-8ddd-444444444444", PlanType: "pro"}},
		{name: "claude windows home from USERPROFILE", provider: "claude",
			env:    env("windows", nowhere, map[string]string{"USERPROFILE": fixture("claude-valid")}),
			source: fixture("claude-valid/.claude/.credentials.json"), access: "sk-ant-oat01-FAKE-access-valid",
			refresh: "sk-ant-ort01-FAKE-refresh-valid", expiry: future, claims: claudeValid},
		{name: "claude macOS keychain", provider: "claude", env: env("darwin", nowhere, nil),
			keychain: map[string]string{"Claude Code-credentials": "claude-keychain/item.json"},
			source:   `macOS keychain item "Claude Code-credentials"`, access: "sk-ant-oat01-FAKE-access-keychain",
			refresh: "sk-ant-ort01-FAKE-refresh-keychain", expiry: future, claims: oauth.Claims{PlanType: "team"}},
		{name: "claude macOS keychain fails, file is read", provider: "claude", env: env("darwin", fixture("claude-valid"), nil),
			keychain: map[string]string{},
			source:   fixture("claude-valid/.claude/.credentials.json"), access: "sk-ant-oat01-FAKE-access-valid",
			refresh: "sk-ant-ort01-FAKE-refresh-valid", expiry: future, claims: claudeValid},
		{name: "claude macOS keychain item without a login, file is read", provider: "claude",
			env:      env("darwin", fixture("claude-valid"), nil),
			keychain: map[string]string{"Claude Code-credentials": "claude-keychain/mcp-only.json"},
			source:   fixture("claude-valid/.claude/.credentials.json"), access: "sk-ant-oat01-FAKE-access-valid",
			refresh: "sk-ant-ort01-FAKE-refresh-valid", expiry: future, claims: claudeValid},
		{name: "claude macOS CLAUDE_CONFIG_DIR has its own keychain item", provider: "claude",
			env:      env("darwin", nowhere, map[string]string{"CLAUDE_CONFIG_DIR": "/Users/me/.claude-work"}),
			keychain: map[string]string{"Claude Code-credentials-1e91dd84": "claude-keychain/item.json"},
			source:   `macOS keychain item "Claude Code-credentials-1e91dd84"`, access: "sk-ant-oat01-FAKE-access-keychain",
			refresh: "sk-ant-ort01-FAKE-refresh-keychain", expiry: future, claims: oauth.Claims{PlanType: "team"}},
		{name: "claude macOS CLAUDE_CONFIG_DIR ignores the shared keychain item", provider: "claude",
			env:      env("darwin", nowhere, map[string]string{"CLAUDE_CONFIG_DIR": profile}),
			keychain: map[string]string{"Claude Code-credentials": "claude-keychain/item.json"},
			source:   filepath.Join(profile, ".credentials.json"), access: "sk-ant-oat01-FAKE-access-profile",
			refresh: "sk-ant-ort01-FAKE-refresh-profile", expiry: future,
			claims: oauth.Claims{AccountID: "33333333-cccc-4ccc-8ccc-333333333333", Email: "work@example.com",
				OrganizationID: "44444444-dddd-4ddd-8ddd-444444444444", PlanType: "pro"}},
		{name: "codex valid", provider: "codex", env: env("linux", fixture("codex-valid"), nil),
			source: fixture("codex-valid/.codex/auth.json"), refresh: "FAKE-refresh-codex", expiry: future, claims: codexValid},
		{name: "codex expired with refresh imports", provider: "codex", env: env("linux", fixture("codex-expired-refresh"), nil),
			source: fixture("codex-expired-refresh/.codex/auth.json"), refresh: "FAKE-refresh-codex", expiry: past, claims: codexValid},
		// The id_token lacks chatgpt_account_id: auth.json's account_id wins
		// over the access token's claim.
		{name: "codex CODEX_HOME, account id from the file", provider: "codex",
			env:    env("linux", fixture("codex-valid"), map[string]string{"CODEX_HOME": fixture("codex-home")}),
			source: fixture("codex-home/auth.json"), refresh: "FAKE-refresh-codex", expiry: future,
			claims: oauth.Claims{Subject: "auth0|FAKE-subject", Email: "pro@example.com", AccountID: "acct-FAKE-from-field", PlanType: "pro"}},
		{name: "codex windows home from USERPROFILE", provider: "codex",
			env:    env("windows", nowhere, map[string]string{"USERPROFILE": fixture("codex-valid")}),
			source: fixture("codex-valid/.codex/auth.json"), refresh: "FAKE-refresh-codex", expiry: future, claims: codexValid},
		{name: "codex on macOS reads the file", provider: "codex", env: env("darwin", fixture("codex-valid"), nil),
			source: fixture("codex-valid/.codex/auth.json"), refresh: "FAKE-refresh-codex", expiry: future, claims: codexValid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := withKeychain(t, tc.env, tc.keychain)
			tok, source, err := ReadCLILogin(tc.provider, e)
			if err != nil {
				t.Fatalf("ReadCLILogin: %v", err)
			}
			if source != tc.source {
				t.Errorf("source = %q, want %q", source, tc.source)
			}
			checkToken(t, tok, tc.provider, tc.access, tc.refresh)
			if !tok.Expiry.Equal(tc.expiry) {
				t.Errorf("expiry = %v, want %v", tok.Expiry, tc.expiry)
			}
			if tok.Claims != tc.claims {
				t.Errorf("claims = %+v, want %+v", tok.Claims, tc.claims)
			}
		})
	}
}

// checkToken checks the secrets and the fields every import sets.
func checkToken(t *testing.T, tok *oauth.Token, provider, access, refresh string) {
	t.Helper()
	if access != "" && tok.AccessToken.Reveal() != access {
		t.Errorf("access token = %q, want %q", tok.AccessToken.Reveal(), access)
	}
	if tok.RefreshToken.Reveal() != refresh {
		t.Errorf("refresh token = %q, want %q", tok.RefreshToken.Reveal(), refresh)
	}
	if tok.TokenType != "Bearer" {
		t.Errorf("token type = %q", tok.TokenType)
	}
	switch provider {
	case "claude":
		if tok.Scope != "user:inference user:profile" || tok.IDToken != "" {
			t.Errorf("scope = %q, id token set = %v", tok.Scope, tok.IDToken != "")
		}
	case "codex":
		if !strings.HasPrefix(tok.AccessToken.Reveal(), "eyJ") || !strings.HasPrefix(tok.IDToken.Reveal(), "eyJ") {
			t.Error("codex access and id tokens should be the file's JWTs")
		}
	}
}

func TestReadCLILoginErrors(t *testing.T) {
	guardFixtures(t)
	tmp := t.TempDir()
	write := func(name, content string) string {
		dir := filepath.Join(tmp, name, ".claude")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ".credentials.json"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(tmp, name)
	}
	tooLarge := write("large", `{"claudeAiOauth":{"accessToken":"sk-ant-oat01-FAKE`+strings.Repeat("x", maxLoginFile)+`"}}`)
	wrongType := write("type", `{"claudeAiOauth":{"accessToken":"sk-ant-oat01-FAKE-access","expiresAt":"soon"}}`)
	tests := []struct {
		name, provider string
		env            ImportEnv
		keychain       map[string]string
		notFound       bool
		want           []string // substrings of the message
	}{
		{name: "claude not found", provider: "claude", env: env("linux", nowhere, nil), notFound: true,
			want: []string{filepath.Join(nowhere, ".claude", ".credentials.json"), "run `claude`", "/login"}},
		{name: "claude macOS not found names keychain and file", provider: "claude", env: env("darwin", nowhere, nil),
			keychain: map[string]string{}, notFound: true,
			want: []string{`macOS keychain item "Claude Code-credentials" and ` + filepath.Join(nowhere, ".claude", ".credentials.json")}},
		{name: "claude expired without refresh", provider: "claude", env: env("linux", fixture("claude-expired-norefresh"), nil),
			want: []string{"expired at 2025-01-01T00:00:00Z", "no refresh token", "log in with the CLI again"}},
		{name: "claude malformed JSON", provider: "claude", env: env("linux", fixture("claude-malformed"), nil),
			want: []string{fixture("claude-malformed/.claude/.credentials.json"), "is not valid JSON"}},
		{name: "claude without claudeAiOauth", provider: "claude", env: env("linux", fixture("claude-no-oauth"), nil),
			want: []string{"claudeAiOauth is missing"}},
		{name: "claude without access token", provider: "claude", env: env("linux", fixture("claude-no-access"), nil),
			want: []string{"has no accessToken"}},
		{name: "claude field of the wrong type", provider: "claude", env: env("linux", wrongType, nil),
			want: []string{`field "claudeAiOauth.expiresAt" has the wrong type`}},
		{name: "claude file too large", provider: "claude", env: env("linux", tooLarge, nil),
			want: []string{"too large for a CLI login"}},
		{name: "codex not found", provider: "codex", env: env("linux", nowhere, nil), notFound: true,
			want: []string{filepath.Join(nowhere, ".codex", "auth.json"), "run `codex login`"}},
		{name: "codex CODEX_HOME not found", provider: "codex",
			env:      env("linux", fixture("codex-valid"), map[string]string{"CODEX_HOME": filepath.Join(nowhere, "codex")}),
			notFound: true, want: []string{filepath.Join(nowhere, "codex", "auth.json")}},
		{name: "codex expired without refresh", provider: "codex", env: env("linux", fixture("codex-expired-norefresh"), nil),
			want: []string{"expired at 2025-01-01T00:00:00Z", "log in with the CLI again", "codex login"}},
		{name: "codex malformed JSON", provider: "codex", env: env("linux", fixture("codex-malformed"), nil),
			want: []string{"is not valid JSON (syntax error at byte"}},
		{name: "codex without tokens", provider: "codex", env: env("linux", fixture("codex-no-tokens"), nil),
			want: []string{"holds no ChatGPT login", "codex login"}},
		{name: "codex without access token", provider: "codex", env: env("linux", fixture("codex-no-access"), nil),
			want: []string{"has no access_token"}},
		{name: "codex API key only", provider: "codex", env: env("linux", fixture("codex-apikey"), nil),
			want: []string{"API-key login", "add that key as an OpenAI API key instead"}},
		{name: "unknown provider", provider: "gemini", env: env("linux", nowhere, nil),
			want: []string{`signin: import "gemini": unknown provider`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := withKeychain(t, tc.env, tc.keychain)
			tok, _, err := ReadCLILogin(tc.provider, e)
			if err == nil {
				t.Fatalf("got %v, want an error", tok)
			}
			checkImportError(t, err, tc.provider, tc.notFound, tc.want)
		})
	}
}

// checkImportError: prefix, sentinel, wanted text, and no token text.
func checkImportError(t *testing.T, err error, provider string, notFound bool, want []string) {
	t.Helper()
	msg := err.Error()
	if provider != "gemini" && !strings.HasPrefix(msg, "signin: import "+provider+": ") {
		t.Errorf("error %q lacks the prefix", msg)
	}
	if errors.Is(err, ErrCLILoginNotFound) != notFound {
		t.Errorf("errors.Is(ErrCLILoginNotFound) = %v, want %v", !notFound, notFound)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not say %q", msg, w)
		}
	}
	if strings.Contains(strings.ToLower(msg), "fake") || strings.Contains(msg, "eyJ") {
		t.Errorf("error quotes token text: %q", msg)
	}
}

func TestFindCLILogin(t *testing.T) {
	guardFixtures(t)
	credentials := func(home string) string { return filepath.Join(home, ".claude", ".credentials.json") }
	tests := []struct {
		name, provider string
		env            ImportEnv
		keychain       map[string]string
		source         string
		found          bool
	}{
		{"claude file", "claude", env("linux", fixture("claude-valid"), nil), nil, credentials(fixture("claude-valid")), true},
		{"claude unusable file still exists", "claude", env("linux", fixture("claude-malformed"), nil), nil,
			credentials(fixture("claude-malformed")), true},
		{"claude none", "claude", env("linux", nowhere, nil), nil, credentials(nowhere), false},
		{"claude windows", "claude", env("windows", nowhere, map[string]string{"USERPROFILE": fixture("claude-valid")}), nil,
			credentials(fixture("claude-valid")), true},
		{"claude macOS keychain", "claude", env("darwin", nowhere, nil),
			map[string]string{"Claude Code-credentials": "claude-keychain/item.json"}, `macOS keychain item "Claude Code-credentials"`, true},
		{"claude macOS keychain without a login", "claude", env("darwin", nowhere, nil),
			map[string]string{"Claude Code-credentials": "claude-keychain/mcp-only.json"},
			`macOS keychain item "Claude Code-credentials" and ` + credentials(nowhere), false},
		{"codex file", "codex", env("linux", fixture("codex-valid"), nil), nil, fixture("codex-valid/.codex/auth.json"), true},
		{"codex CODEX_HOME", "codex", env("linux", nowhere, map[string]string{"CODEX_HOME": fixture("codex-home")}), nil,
			fixture("codex-home/auth.json"), true},
		{"codex none", "codex", env("linux", nowhere, nil), nil, filepath.Join(nowhere, ".codex", "auth.json"), false},
		{"unknown provider", "gemini", env("linux", fixture("claude-valid"), nil), nil, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := withKeychain(t, tc.env, tc.keychain)
			source, found := FindCLILogin(tc.provider, e)
			if source != tc.source || found != tc.found {
				t.Errorf("FindCLILogin = %q, %v; want %q, %v", source, found, tc.source, tc.found)
			}
		})
	}
}

// A zero env (no Getenv, no Now) must not panic.
func TestReadCLILoginZeroEnv(t *testing.T) {
	_, _, err := ReadCLILogin("codex", ImportEnv{Home: nowhere})
	if !errors.Is(err, ErrCLILoginNotFound) {
		t.Fatalf("err = %v, want not found", err)
	}
}
