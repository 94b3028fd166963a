package signin

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/backend/oauth"
)

func TestReadGeminiCLILogin(t *testing.T) {
	guardFixtures(t)
	creds := func(dir string) string { return filepath.Join(dir, ".gemini", "oauth_creds.json") }
	cli := oauth.Claims{Subject: "FAKE-sub-1170", Email: "cli@example.com"}
	tests := []struct {
		name    string
		env     ImportEnv
		source  string
		access  string
		refresh string
		expiry  time.Time
		claims  oauth.Claims
	}{
		{"valid", env("linux", fixture("gemini-valid"), nil), creds(fixture("gemini-valid")),
			"ya29.FAKE-access-valid", "1//FAKE-refresh-gemini", future, cli},
		// No id_token: the address comes from google_accounts.json.
		{"expired with refresh imports", env("linux", fixture("gemini-expired-refresh"), nil), creds(fixture("gemini-expired-refresh")),
			"ya29.FAKE-access-expired", "1//FAKE-refresh-gemini", past, oauth.Claims{Email: "cli@example.com"}},
		{"GEMINI_CLI_HOME", env("linux", fixture("gemini-valid"), map[string]string{"GEMINI_CLI_HOME": fixture("gemini-home")}),
			creds(fixture("gemini-home")), "ya29.FAKE-access-home", "1//FAKE-refresh-home", future,
			oauth.Claims{Subject: "FAKE-sub-2", Email: "home@example.com"}},
		{"windows home from USERPROFILE", env("windows", nowhere, map[string]string{"USERPROFILE": fixture("gemini-valid")}),
			creds(fixture("gemini-valid")), "ya29.FAKE-access-valid", "1//FAKE-refresh-gemini", future, cli},
		{"macOS reads the file", env("darwin", fixture("gemini-valid"), nil), creds(fixture("gemini-valid")),
			"ya29.FAKE-access-valid", "1//FAKE-refresh-gemini", future, cli},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok, source, err := ReadCLILogin("gemini-code-assist", withKeychain(t, tc.env, nil))
			if err != nil {
				t.Fatal(err)
			}
			if source != tc.source || tok.AccessToken.Reveal() != tc.access || tok.RefreshToken.Reveal() != tc.refresh ||
				tok.TokenType != "Bearer" {
				t.Errorf("source %q token %v", source, tok)
			}
			if !tok.Expiry.Truncate(time.Second).Equal(tc.expiry) {
				t.Errorf("expiry %v, want %v", tok.Expiry, tc.expiry)
			}
			if tok.Claims != tc.claims {
				t.Errorf("claims %+v, want %+v", tok.Claims, tc.claims)
			}
			if !strings.Contains(tok.Scope, "cloud-platform") && tc.name != "GEMINI_CLI_HOME" {
				t.Errorf("scope %q", tok.Scope)
			}
		})
	}
}

func TestReadGeminiCLILoginErrors(t *testing.T) {
	guardFixtures(t)
	tests := []struct {
		name     string
		env      ImportEnv
		notFound bool
		want     []string
	}{
		{"not found", env("linux", nowhere, nil), true,
			[]string{filepath.Join(nowhere, ".gemini", "oauth_creds.json"), "run `gemini`", "Login with Google"}},
		{"GEMINI_CLI_HOME not found", env("linux", fixture("gemini-valid"), map[string]string{"GEMINI_CLI_HOME": nowhere}), true,
			[]string{filepath.Join(nowhere, ".gemini", "oauth_creds.json")}},
		{"expired without refresh", env("linux", fixture("gemini-expired-norefresh"), nil), false,
			[]string{"expired at 2025-01-01T00:00:00Z", "no refresh token"}},
		{"workforce identity", env("linux", fixture("gemini-byoid"), nil), false, []string{"workforce identity"}},
		{"malformed", env("linux", fixture("gemini-malformed"), nil), false, []string{"is not valid JSON"}},
		{"no access token", env("linux", fixture("gemini-no-access"), nil), false, []string{"has no access_token"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok, _, err := ReadCLILogin("gemini-code-assist", withKeychain(t, tc.env, nil))
			if err == nil {
				t.Fatalf("got %v, want an error", tok)
			}
			checkImportError(t, err, "gemini-code-assist", tc.notFound, tc.want)
		})
	}
	if src, found := FindCLILogin("gemini-code-assist", env("linux", fixture("gemini-valid"), nil)); !found ||
		src != filepath.Join(fixture("gemini-valid"), ".gemini", "oauth_creds.json") {
		t.Errorf("FindCLILogin = %q, %v", src, found)
	}
}
