// Package oauth runs the sign-in flows behind subscription accounts: the
// authorization-code flow with PKCE and a loopback redirect (Claude Code's
// and the Codex CLI's sign-ins), the device-code flow (RFC 8628), AWS
// SSO-OIDC's device sign-in with its client registration (Kiro; see
// device_awsoidc.go) and the refresh_token grant. It is built on golang.org/x/oauth2 and knows nothing
// of providers, storage or UI: an Endpoint (data) describes a vendor, the
// functions here turn it into tokens.
//
// Lifecycle of a browser sign-in:
//
//	p, err := oauth.Begin(ctx, oauth.Codex()) // binds the redirect listener first
//	open(p.URL())                              // or show p.ManualURL() to paste from
//	tok, err := p.Wait(ctx)                    // or p.Complete(ctx, pasted)
//
// Wait and Complete race for the one code exchange a Pending allows; both
// return its outcome. The listener is closed when the flow ends, whatever
// the outcome, and by Close when the caller gives up.
//
// Secrets (access, refresh and id tokens, the PKCE verifier, the device
// code) never print: Token, Pending and DeviceAuth format and log redacted.
//
// Every error starts with "oauth: "; the sentinels (ErrInvalidGrant,
// ErrTransient, ErrAccessDenied, ErrStateMismatch, ErrExpired, ErrPortInUse)
// are matched with errors.Is and carry no prefix of their own because they
// are always wrapped.
package oauth
