package signin

import (
	"path/filepath"
	"testing"
)

func TestReadCopilotLogin(t *testing.T) {
	guardFixtures(t)
	abs := func(name string) string {
		p, err := filepath.Abs(fixture(name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name          string
		env           ImportEnv
		source, token string
		user          string
	}{
		// The Copilot app's entry wins over another app's and over GitHub
		// Enterprise hosts.
		{"apps.json", env("linux", fixture("copilot-apps"), nil),
			fixture("copilot-apps/.config/github-copilot/apps.json"), "ghu_FAKE-copilot-app-token", "octo-dev"},
		{"older hosts.json", env("darwin", fixture("copilot-hosts"), nil),
			fixture("copilot-hosts/.config/github-copilot/hosts.json"), "gho_FAKE-hosts-token", "octo-old"},
		{"XDG_CONFIG_HOME", env("linux", nowhere, map[string]string{"XDG_CONFIG_HOME": abs("copilot-xdg")}),
			filepath.Join(abs("copilot-xdg"), "github-copilot", "apps.json"), "ghu_FAKE-xdg-token", "octo-xdg"},
		// A relative XDG_CONFIG_HOME is ignored, as the language server does.
		{"relative XDG_CONFIG_HOME ignored", env("linux", fixture("copilot-apps"), map[string]string{"XDG_CONFIG_HOME": "rel"}),
			fixture("copilot-apps/.config/github-copilot/apps.json"), "ghu_FAKE-copilot-app-token", "octo-dev"},
		{"windows LOCALAPPDATA", env("windows", nowhere, map[string]string{"LOCALAPPDATA": fixture("copilot-windows")}),
			filepath.Join(fixture("copilot-windows"), "github-copilot", "apps.json"), "ghu_FAKE-windows-token", "octo-win"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok, source, err := ReadCLILogin("copilot", withKeychain(t, tc.env, nil))
			if err != nil {
				t.Fatal(err)
			}
			if source != tc.source || tok.AccessToken.Reveal() != tc.token || tok.Claims.AccountID != tc.user {
				t.Errorf("got %s %q user %q; want %s %q user %q", source, tok.AccessToken.Reveal(), tok.Claims.AccountID,
					tc.source, tc.token, tc.user)
			}
			checkToken(t, tok, "copilot", tc.token, "")
			if !tok.Expiry.IsZero() {
				t.Errorf("expiry %v: GitHub tokens do not expire", tok.Expiry)
			}
		})
	}
}

func TestReadCopilotLoginErrors(t *testing.T) {
	guardFixtures(t)
	tests := []struct {
		name     string
		env      ImportEnv
		notFound bool
		want     []string
	}{
		{"not found names both files", env("linux", nowhere, nil), true, []string{
			filepath.Join(nowhere, ".config", "github-copilot", "apps.json") + " and " +
				filepath.Join(nowhere, ".config", "github-copilot", "hosts.json"), ":Copilot setup"}},
		{"malformed", env("linux", fixture("copilot-malformed"), nil), false, []string{"is not valid JSON"}},
		{"only GitHub Enterprise", env("linux", fixture("copilot-ghe-only"), nil), false,
			[]string{"holds no github.com Copilot login"}},
		// Without LOCALAPPDATA, Windows looks where the language server falls
		// back to: %USERPROFILE%\AppData\Local.
		{"windows without LOCALAPPDATA", env("windows", nowhere, map[string]string{"USERPROFILE": fixture("copilot-hosts")}), true,
			[]string{filepath.Join(fixture("copilot-hosts"), "AppData", "Local", "github-copilot", "apps.json")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := ReadCLILogin("copilot", withKeychain(t, tc.env, nil))
			if err == nil {
				t.Fatal("want an error")
			}
			checkImportError(t, err, "copilot", tc.notFound, tc.want)
		})
	}
}
