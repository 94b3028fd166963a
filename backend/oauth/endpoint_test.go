package oauth

import (
	"slices"
	"strings"
	"testing"
)

func TestVendorDefaults(t *testing.T) {
	claude, codex := Claude(), Codex()
	for _, ep := range []Endpoint{claude, codex} {
		if err := ep.withDefaults().validate(needAuth); err != nil {
			t.Errorf("%s: %v", ep.Name, err)
		}
	}
	if claude.ClientID != "9d1c250a-e61b-44d9-88ed-5944d1962f5e" || claude.AuthURL != "https://claude.ai/oauth/authorize" ||
		claude.TokenURL != "https://api.anthropic.com/v1/oauth/token" || claude.RedirectPort != 0 ||
		claude.RedirectPath != "/callback" || !claude.TokenJSON || !claude.ExchangeState ||
		!slices.Equal(claude.Scopes, []string{"org:create_api_key", "user:profile", "user:inference"}) {
		t.Errorf("claude endpoint %+v", claude)
	}
	if codex.ClientID != "app_EMoamEEZ73f0CkXaXp7hrann" || codex.AuthURL != "https://auth.openai.com/oauth/authorize" ||
		codex.TokenURL != "https://auth.openai.com/oauth/token" || codex.RedirectPort != 1455 ||
		codex.RedirectPath != "/auth/callback" || codex.ExtraAuthParams["codex_cli_simplified_flow"] != "true" ||
		codex.ExtraAuthParams["originator"] != "codex_cli_rs" ||
		!slices.Equal(codex.Scopes, []string{"openid", "profile", "email", "offline_access"}) {
		t.Errorf("codex endpoint %+v", codex)
	}
	// Each call is a fresh copy: changing one cannot change the next.
	codex.ExtraAuthParams["originator"] = "mine"
	codex.Scopes[0] = "changed"
	if again := Codex(); again.ExtraAuthParams["originator"] != "codex_cli_rs" || again.Scopes[0] != "openid" {
		t.Error("Codex() shares its map or slice between calls")
	}
	if ep, ok := Lookup("claude"); !ok || ep.Name != "claude" {
		t.Error("Lookup(claude)")
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup(nope) found something")
	}
}

func TestEndpointURLsMustBeTLSOrLoopback(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://idp.example.com/token": true,
		"http://127.0.0.1:8080/token":   true,
		"http://localhost/token":        true,
		"http://[::1]:9/token":          true,
		"http://idp.example.com/token":  false,
		"/token":                        false,
		"":                              false,
	} {
		err := checkURL("token URL", raw)
		if (err == nil) != ok {
			t.Errorf("checkURL(%q) = %v", raw, err)
		}
	}
	ep := Endpoint{ClientID: "c", TokenURL: "https://x/token", AuthURL: "https://x/auth", RedirectHost: "example.com", RedirectPath: "cb"}
	err := ep.validate(needAuth | needDevice)
	if err == nil || !containsAll(err.Error(), "not a loopback address", "must start with /", "device authorization URL is empty") ||
		!strings.HasPrefix(err.Error(), "oauth: x: invalid endpoint") {
		t.Errorf("validate = %v", err)
	}
}
