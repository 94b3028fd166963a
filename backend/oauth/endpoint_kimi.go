package oauth

import (
	"net/http"

	"switchboard/backend/provider/kimiid"
)

// Kimi Code's sign-in as kimi-cli uses it (MoonshotAI/kimi-cli
// src/kimi_cli/auth/oauth.py): an RFC 8628 device flow at auth.kimi.com
// with the CLI's public client id, form-encoded, no scope, no PKCE, and the
// X-Msh-* device headers on every call.
const (
	kimiDeviceURL = "https://auth.kimi.com/api/oauth/device_authorization"
	kimiTokenURL  = "https://auth.kimi.com/api/oauth/token"
	kimiClientID  = "17e5f671-d194-4dfb-9706-5516cb48c098"
)

func init() { Register("kimi-coding", KimiCoding) }

// KimiCoding is the sign-in for a Kimi Code membership. A refresh answered
// 401 or 403 means the refresh token is dead (kimi-cli and kimi-code both
// read it so).
func KimiCoding() Endpoint {
	return Endpoint{
		Name:           "kimi-coding",
		DeviceURL:      kimiDeviceURL,
		TokenURL:       kimiTokenURL,
		ClientID:       kimiClientID,
		Headers:        kimiid.Local().Headers(),
		RefreshRefused: []int{http.StatusUnauthorized, http.StatusForbidden},
	}
}
