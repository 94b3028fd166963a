package oauth

import "net/http"

// Qwen Code's sign-in as the Qwen Code CLI uses it (QwenLM/qwen-code
// packages/core/src/qwen/qwenOAuth2.ts): an RFC 8628 device flow at
// chat.qwen.ai with a PKCE (S256) challenge, form-encoded. The token
// answer names the account's API host in resource_url.
const (
	qwenDeviceURL = "https://chat.qwen.ai/api/v1/oauth2/device/code"
	qwenTokenURL  = "https://chat.qwen.ai/api/v1/oauth2/token"
	qwenClientID  = "f0304373b74a44d2b584a3fb70ca9e56"
)

func init() { Register("qwen-code", QwenCode) }

// QwenCode is the sign-in for qwen.ai accounts. The CLI drops its
// credentials when a refresh is answered 400 or 401, so those mean the
// refresh token is dead.
func QwenCode() Endpoint {
	return Endpoint{
		Name:           "qwen-code",
		DeviceURL:      qwenDeviceURL,
		TokenURL:       qwenTokenURL,
		ClientID:       qwenClientID,
		Scopes:         []string{"openid", "profile", "email", "model.completion"},
		DevicePKCE:     true,
		RefreshRefused: []int{http.StatusBadRequest, http.StatusUnauthorized},
	}
}
