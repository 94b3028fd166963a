package oauth

// GitHub's device sign-in, as the Copilot editor plugins run it (copilot.vim
// and copilot.lua through GitHub's Copilot language server; the same public
// client id and endpoints are used by the Copilot proxies: ericc-ch/
// copilot-api, CLIProxyAPI's copilot auth). The GitHub OAuth token it yields
// is not what the Copilot API takes: signin's Copilot vendor trades it for a
// short-lived Copilot token.
//
// GitHub's token endpoint answers form-encoded (and with HTTP 200 for
// authorization_pending and slow_down) unless asked for JSON. x/oauth2 reads
// both shapes and the 200-with-error answers, so no request shaping is
// needed; idpsim's FormAnswers knob keeps that covered.
const (
	githubDeviceURL = "https://github.com/login/device/code"
	githubTokenURL  = "https://github.com/login/oauth/access_token"
	// The Copilot GitHub App's client id, as shipped in copilot.vim's
	// dist/agent.js (and every Copilot proxy since).
	githubClientID = "Iv1.b507a08c87ecfe98"
)

func init() { Register("github", GitHub) }

// GitHub is the device-code sign-in a Copilot seat is reached with. It has
// no authorization URL: the user types the code at github.com/login/device.
// read:user lets the gateway name the account after its GitHub login (the
// language server asks for user:email; the proxies for read:user, which
// the Copilot token exchange accepts as well).
func GitHub() Endpoint {
	return Endpoint{
		Name:      "github",
		DeviceURL: githubDeviceURL,
		TokenURL:  githubTokenURL,
		ClientID:  githubClientID,
		Scopes:    []string{"read:user"},
	}
}
