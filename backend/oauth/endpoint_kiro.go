package oauth

func init() { Register("kiro", Kiro) }

// Kiro is the AWS Builder ID sign-in the Kiro IDE offers: AWS SSO-OIDC in
// us-east-1 with the CodeWhisperer scopes the IDE asks for, starting at the
// Builder ID portal. Google/GitHub logins made in the Kiro IDE are imported
// instead (their sign-in needs the IDE's kiro:// redirect); they renew at
// Kiro's auth service, RefreshURL.
func Kiro() Endpoint {
	return Endpoint{
		Name:       "kiro",
		Flow:       FlowAWSOIDC,
		TokenURL:   "https://oidc.us-east-1.amazonaws.com/token",
		DeviceURL:  "https://oidc.us-east-1.amazonaws.com/device_authorization",
		StartURL:   "https://view.awsapps.com/start",
		RefreshURL: "https://prod.us-east-1.auth.desktop.kiro.dev/refreshToken",
		Scopes: []string{"codewhisperer:completions", "codewhisperer:analysis", "codewhisperer:conversations",
			"codewhisperer:transformations", "codewhisperer:taskassist"},
	}
}
