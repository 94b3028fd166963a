package oauth

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Endpoint describes one vendor's sign-in as data. Every URL can be
// overridden: tests and self-hosted identity servers point them at
// loopback. The zero value of each optional field is the RFC behaviour.
type Endpoint struct {
	// Name labels errors and pages ("claude", "codex"); the token URL's
	// host stands in when empty.
	Name string `yaml:"name"`

	AuthURL   string `yaml:"auth_url"`   // authorization endpoint (code flow)
	TokenURL  string `yaml:"token_url"`  // token endpoint (all flows)
	DeviceURL string `yaml:"device_url"` // device authorization endpoint (RFC 8628)

	// ClientID is the vendor's public client id. Sign-ins are bound to it:
	// the vendors only accept their own CLIs' ids with their own redirects.
	ClientID string `yaml:"client_id"`
	// ClientSecret is sent with the code exchange and refreshes when set.
	// Google's installed-app clients (Gemini CLI, Antigravity) have one
	// that Google documents as not secret; the others leave it empty.
	ClientSecret string   `yaml:"client_secret"`
	Scopes       []string `yaml:"scopes"`

	// The loopback redirect is http://RedirectHost:RedirectPort/RedirectPath.
	// RedirectHost is "localhost" when empty; the listener always binds a
	// loopback address, never another interface. RedirectPort 0 takes any
	// free port (RFC 8252 §7.3); vendors that registered one exact redirect
	// (Codex: 1455) need it fixed.
	RedirectHost string `yaml:"redirect_host"`
	RedirectPort int    `yaml:"redirect_port"`
	RedirectPath string `yaml:"redirect_path"`

	// ManualRedirectURL is a vendor-hosted page that shows the code to copy
	// ("code#state" on Claude's), for machines whose browser cannot reach
	// this one's loopback. Empty: the user pastes the loopback URL instead.
	ManualRedirectURL string `yaml:"manual_redirect_url"`

	// ExtraAuthParams are added to the authorization URL (Codex:
	// codex_cli_simplified_flow=true, originator=codex_cli_rs).
	ExtraAuthParams map[string]string `yaml:"extra_auth_params"`

	// TokenJSON sends token requests as a JSON object instead of the RFC's
	// form encoding (Anthropic's token endpoint takes JSON, as Claude Code
	// sends it).
	TokenJSON bool `yaml:"token_json"`
	// ExchangeState repeats state in the code exchange (Claude Code does;
	// Anthropic's endpoint expects it).
	ExchangeState bool `yaml:"exchange_state"`
	// RefreshScopes are sent as scope with the refresh_token grant (the
	// Codex CLI narrows to "openid profile email"); empty sends none, which
	// RFC 6749 §6 reads as "the scopes originally granted".
	RefreshScopes []string `yaml:"refresh_scopes"`
	// DevicePKCE adds a PKCE challenge to the device flow (Qwen's needs it).
	DevicePKCE bool `yaml:"device_pkce"`
	// Headers go with every request to the identity server (Kimi's wants
	// the X-Msh-* device headers its CLI sends on each call).
	Headers map[string]string `yaml:"headers"`
	// RefreshRefused are HTTP statuses with which the token endpoint
	// refuses a dead refresh token without saying invalid_grant (Kimi
	// answers 401/403, Qwen 400/401, as their CLIs read it): a refresh
	// answered so is ErrInvalidGrant, not a transient failure retried
	// forever.
	RefreshRefused []int `yaml:"refresh_refused"`

	// PortHolder names the programs that usually hold a fixed redirect port,
	// for the error shown when it is taken.
	PortHolder string `yaml:"port_holder"`

	// Flow picks a protocol other than the RFC ones. FlowAWSOIDC is AWS
	// SSO-OIDC's device sign-in (Kiro): a client registered first, JSON
	// bodies, camelCase fields (see device_awsoidc.go). "" is RFC 6749/8628.
	Flow string `yaml:"flow"`
	// StartURL is the AWS access portal an AWS SSO-OIDC sign-in starts at
	// (AWS Builder ID: https://view.awsapps.com/start).
	StartURL string `yaml:"start_url"`
	// RefreshURL is where refresh grants go that TokenURL did not issue:
	// Kiro's Google/GitHub logins refresh at Kiro's own auth service.
	RefreshURL string `yaml:"refresh_url"`

	// HTTPClient makes the calls to the identity server; nil uses a client
	// with a 30 s timeout. The gateway passes its own (proxy, dial guard).
	HTTPClient *http.Client `yaml:"-"`
}

// The vendors' public endpoints, as their official CLIs use them.
const (
	claudeAuthURL   = "https://claude.ai/oauth/authorize"
	claudeTokenURL  = "https://api.anthropic.com/v1/oauth/token"
	claudeManualURL = "https://console.anthropic.com/oauth/code/callback"
	claudeClientID  = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"

	codexAuthURL  = "https://auth.openai.com/oauth/authorize"
	codexTokenURL = "https://auth.openai.com/oauth/token"
	codexClientID = "app_EMoamEEZ73f0CkXaXp7hrann"
	codexPort     = 1455

	defaultRedirectHost = "localhost"
	defaultHTTPTimeout  = 30 * time.Second
)

// Claude is the sign-in Claude Code uses for Claude Pro/Max subscriptions.
// Claude Code listens on any free port at /callback and shows the hosted
// manual page at the same time; its token endpoint takes JSON with state.
func Claude() Endpoint {
	return Endpoint{
		Name:              "claude",
		AuthURL:           claudeAuthURL,
		TokenURL:          claudeTokenURL,
		ClientID:          claudeClientID,
		Scopes:            []string{"org:create_api_key", "user:profile", "user:inference"},
		RedirectHost:      defaultRedirectHost,
		RedirectPath:      "/callback",
		ManualRedirectURL: claudeManualURL,
		// code=true asks the authorize page to show the code on the manual page.
		ExtraAuthParams: map[string]string{"code": "true"},
		TokenJSON:       true,
		ExchangeState:   true,
	}
}

// Codex is the sign-in the Codex CLI uses for ChatGPT plans. Its client is
// registered with exactly http://localhost:1455/auth/callback, so the port
// is fixed and collides with a running `codex login`.
func Codex() Endpoint {
	return Endpoint{
		Name:         "codex",
		AuthURL:      codexAuthURL,
		TokenURL:     codexTokenURL,
		ClientID:     codexClientID,
		Scopes:       []string{"openid", "profile", "email", "offline_access"},
		RedirectHost: defaultRedirectHost,
		RedirectPort: codexPort,
		RedirectPath: "/auth/callback",
		ExtraAuthParams: map[string]string{
			// Puts the ChatGPT account and plan into the id_token.
			"id_token_add_organizations": "true",
			"codex_cli_simplified_flow":  "true",
			"originator":                 "codex_cli_rs",
		},
		RefreshScopes: []string{"openid", "profile", "email"},
		PortHolder:    "the Codex CLI's `codex login`, or another gateway signing in to Codex",
	}
}

// builtins are the vendors' sign-ins by name; each vendor's file registers
// its own (see Register).
var builtins = map[string]func() Endpoint{"claude": Claude, "codex": Codex}

// Register adds a built-in sign-in under name (called from init).
func Register(name string, ep func() Endpoint) { builtins[name] = ep }

// Lookup returns the built-in sign-in of that name (the catalog's sign_in).
func Lookup(name string) (Endpoint, bool) {
	if f, ok := builtins[name]; ok {
		return f(), true
	}
	return Endpoint{}, false
}

// label names the endpoint in messages.
func (ep Endpoint) label() string {
	if ep.Name != "" {
		return ep.Name
	}
	if u, err := url.Parse(ep.TokenURL); err == nil && u.Host != "" {
		return u.Host
	}
	return "identity server"
}

// withDefaults fills the optional fields and copies the slices and map, so
// a caller changing its Endpoint later cannot reach into a running flow.
func (ep Endpoint) withDefaults() Endpoint {
	if ep.RedirectHost == "" {
		ep.RedirectHost = defaultRedirectHost
	}
	if ep.RedirectPath == "" {
		ep.RedirectPath = "/callback"
	}
	ep.Scopes = slices.Clone(ep.Scopes)
	ep.RefreshScopes = slices.Clone(ep.RefreshScopes)
	ep.ExtraAuthParams = maps.Clone(ep.ExtraAuthParams)
	ep.Headers = maps.Clone(ep.Headers)
	ep.RefreshRefused = slices.Clone(ep.RefreshRefused)
	return ep
}

// reservedAuthParams are set by the flow itself; an extra param must not
// replace them (a catalog entry overriding state would undo CSRF checks).
var reservedAuthParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state",
	"code_challenge", "code_challenge_method"}

// Which endpoint URLs a flow needs.
const (
	needAuth = 1 << iota
	needDevice
)

// validate checks what a flow needs, all problems at once.
func (ep Endpoint) validate(need int) error {
	var errs []error
	if ep.ClientID == "" {
		errs = append(errs, errors.New("client id is empty"))
	}
	errs = append(errs, checkURL("token URL", ep.TokenURL))
	if need&needAuth != 0 {
		errs = append(errs, checkURL("authorization URL", ep.AuthURL))
		if _, err := loopbackBind(ep.RedirectHost); err != nil {
			errs = append(errs, err)
		}
		if ep.RedirectPort < 0 || ep.RedirectPort > 65535 {
			errs = append(errs, fmt.Errorf("redirect port %d is out of range", ep.RedirectPort))
		}
		if !strings.HasPrefix(ep.RedirectPath, "/") {
			errs = append(errs, fmt.Errorf("redirect path %q must start with /", ep.RedirectPath))
		}
		if ep.ManualRedirectURL != "" {
			errs = append(errs, checkURL("manual redirect URL", ep.ManualRedirectURL))
		}
		for k := range ep.ExtraAuthParams {
			if slices.Contains(reservedAuthParams, k) {
				errs = append(errs, fmt.Errorf("extra auth param %q would override the flow's own", k))
			}
		}
	}
	if need&needDevice != 0 {
		errs = append(errs, checkURL("device authorization URL", ep.DeviceURL))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("oauth: %s: invalid endpoint: %w", ep.label(), err)
	}
	return nil
}

// checkURL requires an absolute https URL, or http on loopback. TLS is what
// lets the package trust an id_token without checking its signature.
func checkURL(what, raw string) error {
	if raw == "" {
		return fmt.Errorf("%s is empty", what)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s %q is not an absolute URL", what, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("%s %q must be https (http only on loopback)", what, raw)
}

// isLoopbackHost reports whether host names this machine only.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackBind is the IP the redirect listener binds for host. "localhost"
// binds 127.0.0.1, as the Codex CLI does: browsers fall back to it when
// ::1 refuses.
func loopbackBind(host string) (string, error) {
	if strings.EqualFold(host, "localhost") {
		return "127.0.0.1", nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return ip.String(), nil
	}
	return "", fmt.Errorf("redirect host %q is not a loopback address", host)
}

// config is the x/oauth2 view of the endpoint. Client ids (and an
// installed app's secret) go in the body (AuthStyleInParams): these are
// public clients, and auto-detection would first try an Authorization
// header they reject.
func (ep Endpoint) config(redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     ep.ClientID,
		ClientSecret: ep.ClientSecret,
		Scopes:       ep.Scopes,
		RedirectURL:  redirectURL,
		Endpoint: oauth2.Endpoint{
			AuthURL:       ep.AuthURL,
			TokenURL:      ep.TokenURL,
			DeviceAuthURL: ep.DeviceURL,
			AuthStyle:     oauth2.AuthStyleInParams,
		},
	}
}

// clientContext hands x/oauth2 the HTTP client, wrapped so token requests
// take the vendor's shape and every request ends with ctx (see shaper).
func (ep Endpoint) clientContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, ep.client(ctx))
}

// client is the endpoint's HTTP client behind the shaper.
func (ep Endpoint) client(ctx context.Context) *http.Client {
	base := ep.HTTPClient
	if base == nil {
		base = &http.Client{Timeout: defaultHTTPTimeout}
	}
	c := *base
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = &shaper{base: rt, ep: ep, ctx: ctx, timeout: base.Timeout}
	c.Timeout = 0 // the shaper applies it, see there
	return &c
}
