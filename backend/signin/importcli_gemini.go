package signin

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"time"

	"switchboard/backend/oauth"
	"switchboard/backend/secret"
)

// The Gemini CLI's "Login with Google" is kept in ~/.gemini/oauth_creds.json
// as google-auth-library writes its credentials (access_token,
// refresh_token, id_token, expiry_date in Unix milliseconds); the signed-in
// address is in google_accounts.json beside it. GEMINI_CLI_HOME replaces
// the home directory the CLI resolves ~ to. Facts from google-gemini/
// gemini-cli (packages/core/src/config/storage.ts, code_assist/oauth2.ts).
// A CLI set to keep its login encrypted (GEMINI_FORCE_ENCRYPTED_FILE_STORAGE)
// has no such file to import.

func init() {
	cliLogins["gemini-code-assist"] = cliLogin{
		name: "Gemini CLI", loginHint: "run `gemini` and choose Login with Google",
		places: geminiPlaces, parse: parseGemini,
	}
}

// geminiDir is the Gemini CLI's global directory.
func geminiDir(env ImportEnv) string {
	home := env.get("GEMINI_CLI_HOME")
	if home == "" {
		home = env.home()
	}
	return filepath.Join(home, ".gemini")
}

func geminiPlaces(env ImportEnv) []place {
	return []place{{path: filepath.Join(geminiDir(env), "oauth_creds.json")}}
}

// geminiCreds is oauth_creds.json.
type geminiCreds struct {
	Type         string  `json:"type"` // "external_account_authorized_user" for workforce identity
	AccessToken  string  `json:"access_token"`
	RefreshToken string  `json:"refresh_token"`
	IDToken      string  `json:"id_token"`
	Scope        string  `json:"scope"`
	ExpiryDate   float64 `json:"expiry_date"` // Unix milliseconds
}

func parseGemini(data []byte, env ImportEnv) (*oauth.Token, error) {
	var c geminiCreds
	if err := decodeJSON(data, &c); err != nil {
		return nil, err
	}
	switch {
	case c.Type == "external_account_authorized_user":
		return nil, errors.New("holds a workforce identity (BYOID) login, not a Google account sign-in; sign in with Google here instead")
	case c.AccessToken == "" && c.RefreshToken == "":
		return nil, errors.New("holds no Google login (access_token and refresh_token are missing); run `gemini` and choose Login with Google")
	case c.AccessToken == "":
		return nil, errors.New("has no access_token; log in with the CLI again (run `gemini` and choose Login with Google)")
	}
	tok := &oauth.Token{
		AccessToken:  secret.Value(c.AccessToken),
		RefreshToken: secret.Value(c.RefreshToken),
		IDToken:      secret.Value(c.IDToken),
		TokenType:    "Bearer",
		Scope:        c.Scope,
	}
	if c.ExpiryDate > 0 {
		tok.Expiry = time.UnixMilli(int64(c.ExpiryDate))
	}
	// The id_token came from Google's token endpoint over TLS and the CLI
	// only stored it: it names the account, and nothing here trusts it
	// for access.
	if c.IDToken != "" {
		tok.Claims, _ = oauth.ParseIDToken(c.IDToken)
	}
	if tok.Claims.Email == "" {
		tok.Claims.Email = geminiAccount(env)
	}
	return tok, nil
}

// geminiAccount reads the active account's address from
// google_accounts.json; any problem leaves it empty.
func geminiAccount(env ImportEnv) string {
	data, err := readLimited(filepath.Join(geminiDir(env), "google_accounts.json"), maxLoginFile)
	if err != nil {
		return ""
	}
	var a struct {
		Active string `json:"active"`
	}
	if json.Unmarshal(data, &a) != nil {
		return ""
	}
	return a.Active
}
