package signin

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"

	"switchboard/backend/oauth"
	"switchboard/backend/secret"
)

// ---- GitHub Copilot editor plugins ----
//
// The Copilot language server (copilot.vim, copilot.lua, the JetBrains and
// Xcode plugins) keeps the GitHub OAuth token it signed in with in its
// config dir: $XDG_CONFIG_HOME/github-copilot when that is an absolute path,
// else %LOCALAPPDATA%\github-copilot on Windows, else ~/.config/github-copilot
// (copilot.vim's dist/agent.js, getXdgConfigPath). Newer servers write
// apps.json, keyed "<host>:<app client id>"; older ones hosts.json, keyed
// "<host>"; both hold {user, oauth_token}. The token does not expire, so
// the import has no refresh token and needs none. VS Code keeps its token
// in its own secret storage, which is not read.

const copilotAppID = "Iv1.b507a08c87ecfe98" // the Copilot app's client id (oauth.GitHub)

func init() {
	cliLogins["copilot"] = cliLogin{
		name:      "GitHub Copilot editor plugin",
		loginHint: "sign in with a Copilot editor plugin (`:Copilot setup` in Vim or Neovim, or a JetBrains IDE)",
		places:    copilotPlaces,
		parse:     parseCopilot,
	}
}

// copilotDir is the language server's config dir.
func copilotDir(env ImportEnv) string {
	if x := env.get("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "github-copilot")
	}
	if env.GOOS == "windows" {
		if l := env.get("LOCALAPPDATA"); l != "" {
			return filepath.Join(l, "github-copilot")
		}
		return filepath.Join(env.home(), "AppData", "Local", "github-copilot")
	}
	return filepath.Join(env.home(), ".config", "github-copilot")
}

// copilotPlaces: apps.json first (what current plugins write), then the
// older hosts.json.
func copilotPlaces(env ImportEnv) []place {
	dir := copilotDir(env)
	return []place{{path: filepath.Join(dir, "apps.json")}, {path: filepath.Join(dir, "hosts.json")}}
}

// copilotHostLogin is one entry of apps.json or hosts.json.
type copilotHostLogin struct {
	User       string `json:"user"`
	OAuthToken string `json:"oauth_token"`
	AppID      string `json:"githubAppId"`
}

// parseCopilot picks the github.com login (GitHub Enterprise hosts talk to
// another API): the Copilot app's when several apps signed in.
func parseCopilot(data []byte, _ ImportEnv) (*oauth.Token, error) {
	var logins map[string]copilotHostLogin
	if err := decodeJSON(data, &logins); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(logins))
	for k := range logins {
		if host, _, _ := strings.Cut(k, ":"); strings.EqualFold(host, "github.com") && logins[k].OAuthToken != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("holds no github.com Copilot login (with an oauth_token); sign in with the Copilot editor plugin again")
	}
	slices.SortFunc(keys, func(a, b string) int { // the Copilot app first, then by name
		ca, cb := strings.HasSuffix(a, ":"+copilotAppID), strings.HasSuffix(b, ":"+copilotAppID)
		switch {
		case ca && !cb:
			return -1
		case cb && !ca:
			return 1
		}
		return strings.Compare(a, b)
	})
	l := logins[keys[0]]
	return &oauth.Token{AccessToken: secret.Value(l.OAuthToken), TokenType: "Bearer",
		Claims: oauth.Claims{AccountID: l.User}}, nil
}
