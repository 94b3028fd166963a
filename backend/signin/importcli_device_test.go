package signin

import (
	"path/filepath"
	"testing"
	"time"
)

// The Kimi CLI's and Qwen Code's logins (fixtures under testdata/import,
// see the README there).
func TestReadDeviceCLILogins(t *testing.T) {
	guardFixtures(t)
	kimiFile := func(home string) string { return filepath.Join(home, ".kimi", "credentials", "kimi-code.json") }
	qwenFile := func(home string) string { return filepath.Join(home, ".qwen", "oauth_creds.json") }
	codeHome := fixture("kimi-code-home/.kimi-code")
	kimiExpiry := future.Add(250 * time.Millisecond) // kimi-cli writes fractional seconds
	tests := []struct {
		name, provider  string
		env             ImportEnv
		source          string
		access, refresh string
		expiry          time.Time
		resourceURL     string
	}{
		{"kimi valid", "kimi-coding", env("linux", fixture("kimi-valid"), nil), kimiFile(fixture("kimi-valid")),
			"FAKE-kimi-access-valid", "FAKE-kimi-refresh-valid", kimiExpiry, ""},
		{"kimi KIMI_SHARE_DIR", "kimi-coding",
			env("linux", fixture("kimi-valid"), map[string]string{"KIMI_SHARE_DIR": fixture("kimi-share-dir")}),
			fixture("kimi-share-dir/credentials/kimi-code.json"), "FAKE-kimi-access-share", "FAKE-kimi-refresh-share", kimiExpiry, ""},
		{"kimi-code, the successor CLI", "kimi-coding", env("linux", fixture("kimi-code-home"), nil),
			filepath.Join(codeHome, "credentials", "kimi-code.json"), "FAKE-kimi-access-code", "FAKE-kimi-refresh-code", kimiExpiry, ""},
		{"kimi-code KIMI_CODE_HOME", "kimi-coding", env("linux", nowhere, map[string]string{"KIMI_CODE_HOME": codeHome}),
			filepath.Join(codeHome, "credentials", "kimi-code.json"), "FAKE-kimi-access-code", "FAKE-kimi-refresh-code", kimiExpiry, ""},
		{"kimi expired with refresh imports", "kimi-coding", env("linux", fixture("kimi-expired-refresh"), nil),
			kimiFile(fixture("kimi-expired-refresh")), "FAKE-kimi-access-expired", "FAKE-kimi-refresh-valid", past.Add(250 * time.Millisecond), ""},
		{"kimi windows home from USERPROFILE", "kimi-coding",
			env("windows", nowhere, map[string]string{"USERPROFILE": fixture("kimi-valid")}), kimiFile(fixture("kimi-valid")),
			"FAKE-kimi-access-valid", "FAKE-kimi-refresh-valid", kimiExpiry, ""},
		{"qwen valid", "qwen-code", env("linux", fixture("qwen-valid"), nil), qwenFile(fixture("qwen-valid")),
			"FAKE-qwen-access-valid", "FAKE-qwen-refresh-valid", future, "portal.qwen.ai"},
		{"qwen QWEN_HOME", "qwen-code", env("linux", fixture("qwen-valid"), map[string]string{"QWEN_HOME": fixture("qwen-home")}),
			fixture("qwen-home/oauth_creds.json"), "FAKE-qwen-access-home", "FAKE-qwen-refresh-home", future,
			"https://dashscope.aliyuncs.com/compatible-mode"},
		{"qwen expired with refresh imports", "qwen-code", env("linux", fixture("qwen-expired-refresh"), nil),
			qwenFile(fixture("qwen-expired-refresh")), "FAKE-qwen-access-expired", "FAKE-qwen-refresh-valid", past, "portal.qwen.ai"},
		{"qwen windows home from USERPROFILE", "qwen-code",
			env("windows", nowhere, map[string]string{"USERPROFILE": fixture("qwen-valid")}), qwenFile(fixture("qwen-valid")),
			"FAKE-qwen-access-valid", "FAKE-qwen-refresh-valid", future, "portal.qwen.ai"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok, source, err := ReadCLILogin(tc.provider, withKeychain(t, tc.env, nil))
			if err != nil {
				t.Fatalf("ReadCLILogin: %v", err)
			}
			if source != tc.source {
				t.Errorf("source = %q, want %q", source, tc.source)
			}
			checkToken(t, tok, tc.provider, tc.access, tc.refresh)
			if !tok.Expiry.Equal(tc.expiry) || tok.ResourceURL != tc.resourceURL {
				t.Errorf("expiry %v resource %q; want %v %q", tok.Expiry, tok.ResourceURL, tc.expiry, tc.resourceURL)
			}
		})
	}
}

func TestReadDeviceCLILoginErrors(t *testing.T) {
	guardFixtures(t)
	tests := []struct {
		name, provider string
		env            ImportEnv
		notFound       bool
		want           []string
	}{
		{"kimi not found names both CLIs' files", "kimi-coding", env("linux", nowhere, nil), true, []string{
			filepath.Join(nowhere, ".kimi", "credentials", "kimi-code.json") + " and " +
				filepath.Join(nowhere, ".kimi-code", "credentials", "kimi-code.json"), "no Kimi CLI login", "run `kimi login`"}},
		{"kimi expired without refresh", "kimi-coding", env("linux", fixture("kimi-expired-norefresh"), nil), false,
			[]string{"expired at 2025-01-01T00:00:00Z", "no refresh token", "kimi login"}},
		{"kimi malformed JSON", "kimi-coding", env("linux", fixture("kimi-malformed"), nil), false,
			[]string{"is not valid JSON (syntax error at byte"}},
		{"kimi without access token", "kimi-coding", env("linux", fixture("kimi-no-access"), nil), false,
			[]string{"has no access_token", "kimi login"}},
		{"qwen not found", "qwen-code", env("linux", nowhere, nil), true,
			[]string{filepath.Join(nowhere, ".qwen", "oauth_creds.json"), "no Qwen Code login", "Qwen OAuth"}},
		{"qwen QWEN_HOME not found", "qwen-code",
			env("linux", fixture("qwen-valid"), map[string]string{"QWEN_HOME": filepath.Join(nowhere, "q")}), true,
			[]string{filepath.Join(nowhere, "q", "oauth_creds.json")}},
		{"qwen expired without refresh", "qwen-code", env("linux", fixture("qwen-expired-norefresh"), nil), false,
			[]string{"expired at 2025-01-01T00:00:00Z", "no refresh token"}},
		{"qwen malformed JSON", "qwen-code", env("linux", fixture("qwen-malformed"), nil), false,
			[]string{"is not valid JSON"}},
		{"qwen without access token", "qwen-code", env("linux", fixture("qwen-no-access"), nil), false,
			[]string{"has no access_token"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok, _, err := ReadCLILogin(tc.provider, withKeychain(t, tc.env, nil))
			if err == nil {
				t.Fatalf("got %v, want an error", tok)
			}
			checkImportError(t, err, tc.provider, tc.notFound, tc.want)
		})
	}
}

func TestFindDeviceCLILogin(t *testing.T) {
	guardFixtures(t)
	for _, tc := range []struct {
		name, provider string
		env            ImportEnv
		found          bool
	}{
		{"kimi file", "kimi-coding", env("linux", fixture("kimi-valid"), nil), true},
		{"kimi unusable file still exists", "kimi-coding", env("linux", fixture("kimi-malformed"), nil), true},
		{"kimi none", "kimi-coding", env("linux", nowhere, nil), false},
		{"qwen file", "qwen-code", env("linux", fixture("qwen-valid"), nil), true},
		{"qwen none", "qwen-code", env("darwin", nowhere, nil), false},
	} {
		if _, found := FindCLILogin(tc.provider, withKeychain(t, tc.env, nil)); found != tc.found {
			t.Errorf("%s: found = %v", tc.name, found)
		}
	}
	if CLIName("kimi-coding") != "Kimi CLI" || CLIName("qwen-code") != "Qwen Code" || CLIName("nope") != "" {
		t.Error("CLIName")
	}
}
