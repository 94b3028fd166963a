package oauth

// Google's sign-ins behind the Cloud Code subscriptions: Gemini Code Assist
// (the Gemini CLI's "Login with Google") and Antigravity. Both are Google
// installed-app clients: authorization code at accounts.google.com with a
// loopback redirect on any port, token at oauth2.googleapis.com, and a
// client secret Google documents as not secret for installed apps ("the
// client secret is obviously not treated as a secret", as the Gemini CLI's
// source quotes it). Facts from google-gemini/gemini-cli
// (packages/core/src/code_assist/oauth2.ts) and, for Antigravity, the
// peers CLIProxyAPI (internal/auth/antigravity/constants.go) and 9router
// (src/lib/oauth/constants/oauth.js), which agree on the client and scopes.

const (
	googleAuthURL  = "https://accounts.google.com/o/oauth2/v2/auth"
	googleTokenURL = "https://oauth2.googleapis.com/token"

	geminiCLIClientID     = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com"
	geminiCLIClientSecret = "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"
	// geminiCLIManualURL is the page the Gemini CLI's NO_BROWSER sign-in
	// sends Google's answer to; it shows the code to paste.
	geminiCLIManualURL = "https://codeassist.google.com/authcode"

	antigravityClientID     = "1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com"
	antigravityClientSecret = "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"

	scopeCloudPlatform = "https://www.googleapis.com/auth/cloud-platform"
	scopeEmail         = "https://www.googleapis.com/auth/userinfo.email"
	scopeProfile       = "https://www.googleapis.com/auth/userinfo.profile"
)

// googleOffline asks for a refresh token every time. Google issues one
// only with access_type=offline, and on a second consent it may leave it
// out unless prompt=consent makes it ask again.
func googleOffline() map[string]string {
	return map[string]string{"access_type": "offline", "prompt": "consent"}
}

// GoogleCodeAssist is the Gemini CLI's "Login with Google": it redirects to
// http://127.0.0.1:<free port>/oauth2callback, and its NO_BROWSER mode
// sends the answer to codeassist.google.com/authcode, which shows the code.
func GoogleCodeAssist() Endpoint {
	return Endpoint{
		Name:              "google-codeassist",
		AuthURL:           googleAuthURL,
		TokenURL:          googleTokenURL,
		ClientID:          geminiCLIClientID,
		ClientSecret:      geminiCLIClientSecret,
		Scopes:            []string{scopeCloudPlatform, scopeEmail, scopeProfile},
		RedirectHost:      "127.0.0.1",
		RedirectPath:      "/oauth2callback",
		ManualRedirectURL: geminiCLIManualURL,
		ExtraAuthParams:   googleOffline(),
	}
}

// Antigravity is the sign-in of Google's Antigravity IDE: the Gemini CLI's
// scopes plus cclog and experimentsandconfigs. CLIProxyAPI listens on
// localhost:51121/oauth-callback, 9router on its own dashboard's port: the
// client takes any loopback port, so none is fixed here.
func Antigravity() Endpoint {
	return Endpoint{
		Name:         "antigravity",
		AuthURL:      googleAuthURL,
		TokenURL:     googleTokenURL,
		ClientID:     antigravityClientID,
		ClientSecret: antigravityClientSecret,
		Scopes: []string{scopeCloudPlatform, scopeEmail, scopeProfile,
			"https://www.googleapis.com/auth/cclog",
			"https://www.googleapis.com/auth/experimentsandconfigs"},
		RedirectHost:    defaultRedirectHost,
		RedirectPath:    "/oauth-callback",
		ExtraAuthParams: googleOffline(),
	}
}

func init() {
	Register("google-codeassist", GoogleCodeAssist)
	Register("antigravity", Antigravity)
}
