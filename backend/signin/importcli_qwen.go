package signin

import (
	"path/filepath"
	"time"

	"switchboard/backend/oauth"
)

// The Qwen Code CLI keeps its Qwen OAuth login in oauth_creds.json in its
// home, $QWEN_HOME or ~/.qwen (packages/core/src/qwen/qwenOAuth2.ts
// cacheQwenCredentials, config/storage.ts getGlobalQwenDir). The file
// names the account's API host (resource_url), which the vendor step turns
// into the account's API base as for a fresh sign-in.
func init() {
	cliLogins["qwen-code"] = cliLogin{
		name: "Qwen Code", loginHint: qwenLoginHint,
		places: qwenPlaces, parse: parseQwen,
	}
}

const qwenLoginHint = "run `qwen` and sign in with Qwen OAuth (/auth)"

func qwenPlaces(env ImportEnv) []place {
	dir := env.get("QWEN_HOME")
	if dir == "" {
		dir = filepath.Join(env.home(), ".qwen")
	}
	return []place{{path: filepath.Join(dir, "oauth_creds.json")}}
}

// qwenCredentials is oauth_creds.json; expiry_date is Unix milliseconds.
type qwenCredentials struct {
	AccessToken  string  `json:"access_token"`
	RefreshToken string  `json:"refresh_token"`
	ExpiryDate   float64 `json:"expiry_date"`
	ResourceURL  string  `json:"resource_url"`
}

func parseQwen(data []byte, _ ImportEnv) (*oauth.Token, error) {
	var c qwenCredentials
	if err := decodeJSON(data, &c); err != nil {
		return nil, err
	}
	var expiry time.Time
	if c.ExpiryDate > 0 {
		expiry = time.UnixMilli(int64(c.ExpiryDate))
	}
	tok, err := bearerLogin(c.AccessToken, c.RefreshToken, expiry, qwenLoginHint)
	if err == nil {
		tok.ResourceURL = c.ResourceURL
	}
	return tok, err
}
