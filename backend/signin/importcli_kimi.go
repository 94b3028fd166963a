package signin

import (
	"path/filepath"
	"time"

	"switchboard/backend/oauth"
)

// Kimi Code's CLIs keep their login in a JSON file (snake_case, the same
// shape in both): kimi-cli in <share dir>/credentials/kimi-code.json, the
// share dir being $KIMI_SHARE_DIR or ~/.kimi (kimi_cli/share.py,
// kimi_cli/auth/oauth.py); its successor kimi-code in
// $KIMI_CODE_HOME/credentials/kimi-code.json or ~/.kimi-code/… (packages/
// oauth/src/storage.ts). Old kimi-cli releases used the OS keyring and move
// the login to the file on their next start, so only the files are read.
func init() {
	cliLogins["kimi-coding"] = cliLogin{
		name: "Kimi CLI", loginHint: kimiLoginHint,
		places: kimiPlaces, parse: parseKimi,
	}
}

const kimiLoginHint = "run `kimi login`"

func kimiPlaces(env ImportEnv) []place {
	share := env.get("KIMI_SHARE_DIR")
	if share == "" {
		share = filepath.Join(env.home(), ".kimi")
	}
	code := env.get("KIMI_CODE_HOME")
	if code == "" {
		code = filepath.Join(env.home(), ".kimi-code")
	}
	return []place{
		{path: filepath.Join(share, "credentials", "kimi-code.json")},
		{path: filepath.Join(code, "credentials", "kimi-code.json")},
	}
}

// kimiCredentials is kimi-code.json. expires_at is Unix seconds (a float
// in kimi-cli's files).
type kimiCredentials struct {
	AccessToken  string  `json:"access_token"`
	RefreshToken string  `json:"refresh_token"`
	ExpiresAt    float64 `json:"expires_at"`
	Scope        string  `json:"scope"`
}

func parseKimi(data []byte, _ ImportEnv) (*oauth.Token, error) {
	var c kimiCredentials
	if err := decodeJSON(data, &c); err != nil {
		return nil, err
	}
	var expiry time.Time
	if c.ExpiresAt > 0 {
		expiry = time.UnixMilli(int64(c.ExpiresAt * 1000))
	}
	tok, err := bearerLogin(c.AccessToken, c.RefreshToken, expiry, kimiLoginHint)
	if err == nil {
		tok.Scope = c.Scope
	}
	return tok, err
}
