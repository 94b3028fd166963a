package signin

import (
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"switchboard/backend/config"
	"switchboard/backend/oauth"
	"switchboard/backend/oauth/idpsim"
	"switchboard/backend/route"
)

// kiroManager is a Manager on r's database whose kiro sign-in goes to r's
// identity server (AWS SSO-OIDC and Kiro's refreshToken) and whose CLI
// logins are read from home.
func kiroManager(r *rig, home string) *Manager {
	r.t.Helper()
	u := r.idp.URL()
	orig := oauth.Kiro
	// Kiro's social refresh URL is the vendor's own, not a config override.
	oauth.Register("kiro", func() oauth.Endpoint { ep := orig(); ep.RefreshURL = u + "/refreshToken"; return ep })
	r.t.Cleanup(func() { oauth.Register("kiro", orig) })
	m := New(Options{DB: r.db, Sealer: r.sealer, Log: slog.New(slog.DiscardHandler), Now: r.clock.now,
		Providers:   []config.ProviderConfig{{ID: "kiro", SignIn: &config.SignInConfig{TokenURL: u + "/token", DeviceURL: u + "/device_authorization"}}},
		OnSignedOut: func(c route.Change) { r.outs.Add(1); r.lastOut.Store(c) },
		ImportEnv:   &ImportEnv{Home: home, GOOS: "linux", Getenv: func(string) string { return "" }, Now: r.clock.now},
	})
	r.t.Cleanup(m.Close)
	return m
}

func kiroRig(t *testing.T, home string) (*rig, *Manager) {
	r := newRig(t)
	r.idp.Set(func(s *idpsim.Server) { s.RequireJSON, s.RequireState, s.AnthropicBody = false, false, false })
	return r, kiroManager(r, home)
}

// TestKiroDeviceSignIn: Builder ID through the AWS device flow, its token
// used with no profile, refreshed with its client, and signed out when the
// client registration is gone.
func TestKiroDeviceSignIn(t *testing.T) {
	r, m := kiroRig(t, nowhere)
	r.idp.Set(func(s *idpsim.Server) { s.DeviceScript, s.Rotate = []string{"authorization_pending", "ok"}, true })
	f, err := m.Start(ctxT(t), StartOptions{Provider: "kiro", Account: "builder"})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Device || f.UserCode != "KIRO-CODE" || !strings.HasSuffix(f.URL, "/device?user_code=KIRO-CODE") {
		t.Fatalf("flow %+v", f)
	}
	if _, err := m.Complete(ctxT(t), f.ID, "anything"); err == nil {
		t.Error("a device sign-in took a paste")
	}
	v, err := m.Wait(ctxT(t), f.ID)
	if err != nil || v.Status != FlowDone {
		t.Fatalf("flow = %+v, %v", v, err)
	}
	c, err := m.Credential(ctxT(t), v.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Access(ctxT(t))
	if err != nil || !strings.HasPrefix(first.Token, "aoa-") || first.AccountRef != "" {
		t.Fatalf("access = %+v, %v; want the token and no profile", first, err)
	}
	if err := m.Refresh(ctxT(t), v.AccountID); err != nil {
		t.Fatal(err)
	}
	next, _ := c.Access(ctxT(t))
	if next.Token == first.Token || refreshCount(r) != 1 {
		t.Errorf("after a refresh: token changed %v, %d refreshes", next.Token != first.Token, refreshCount(r))
	}
	if req := r.idp.LastRequest(); req.Params.Get("grantType") != "refresh_token" || req.Params.Get("clientId") != "cid-1" {
		t.Errorf("refresh request %v", req.Params)
	}
	// The client registration expired at AWS: the refresh token died with it.
	r.idp.RevokeClients()
	err = m.Refresh(ctxT(t), v.AccountID)
	if st, _ := m.StatusOf(ctxT(t), v.AccountID); err == nil || st.TokenState != "needs_sign_in" || r.outs.Load() != 1 {
		t.Errorf("after invalid_client: %v, state %q, %d sign-out notices", err, st.TokenState, r.outs.Load())
	}
}

func refreshCount(r *rig) (n int) {
	r.idp.Set(func(s *idpsim.Server) { n = s.RefreshCalls })
	return n
}

// TestKiroImportSocial: a Google/GitHub login from the Kiro IDE keeps its
// profile ARN as the account's ref and renews at Kiro's refreshToken.
func TestKiroImportSocial(t *testing.T) {
	r, m := kiroRig(t, fixture("kiro-social"))
	r.idp.AddSocialRefreshToken("aorAAAAAG-FAKE-refresh-social")
	if src, ok := m.ImportSource("kiro"); !ok || src != filepath.Join(fixture("kiro-social"), ".aws/sso/cache/kiro-auth-token.json") {
		t.Fatalf("import source %q %v", src, ok)
	}
	id, err := m.Import(ctxT(t), "kiro", "github")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := m.Credential(ctxT(t), id)
	a, err := c.Access(ctxT(t))
	const arn = "arn:aws:codewhisperer:us-east-1:000000000000:profile/FAKEPROFILE"
	if err != nil || a.Token != "aoaAAAAAG-FAKE-access-social" || a.AccountRef != arn {
		t.Fatalf("access %+v, %v", a, err)
	}
	if err := m.Refresh(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	a, _ = c.Access(ctxT(t))
	if !strings.HasPrefix(a.Token, "aoa-") || a.AccountRef != arn {
		t.Errorf("after the social refresh: %+v", a)
	}
	if req := r.idp.LastRequest(); req.Params.Get("refreshToken") != "aorAAAAAG-FAKE-refresh-social" {
		t.Errorf("social refresh sent %v", req.Params)
	}
}

// TestKiroImportIdC: an IdC (Builder ID) login from the Kiro IDE brings its
// client registration; its expired access token is renewed on first use.
func TestKiroImportIdC(t *testing.T) {
	r, m := kiroRig(t, fixture("kiro-idc"))
	r.idp.AddClient("FAKE-client-id", "FAKE-client-secret", "aorAAAAAG-FAKE-refresh-idc")
	id, err := m.Import(ctxT(t), "kiro", "")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := m.Credential(ctxT(t), id)
	a, err := c.Access(ctxT(t)) // expired in 2025: refreshed now
	if err != nil || !strings.HasPrefix(a.Token, "aoa-") || a.AccountRef != "" {
		t.Fatalf("access %+v, %v", a, err)
	}
	req := r.idp.LastRequest()
	if req.Params.Get("clientId") != "FAKE-client-id" || req.Params.Get("refreshToken") != "aorAAAAAG-FAKE-refresh-idc" {
		t.Errorf("refresh sent %v", req.Params)
	}
}

func TestReadKiroLogin(t *testing.T) {
	guardFixtures(t)
	tok, _, err := ReadCLILogin("kiro", env("windows", nowhere, map[string]string{"USERPROFILE": fixture("kiro-social")}))
	if err != nil || tok.AccessToken.Reveal() != "aoaAAAAAG-FAKE-access-social" || !tok.Expiry.Equal(future) || tok.RefreshToken == "" {
		t.Fatalf("windows social login: %v, %v", tok, err)
	}
	tok, _, err = ReadCLILogin("kiro", env("linux", fixture("kiro-idc"), nil))
	if err != nil || !tok.Expiry.Equal(past) || tok.Extra("profileArn") != nil {
		t.Fatalf("idc login: %v, %v", tok, err)
	}
	for _, tc := range []struct{ home, want string }{
		{"kiro-idc-noclient", "client registration"},
		{"kiro-idc-clientexpired", "client registration expired at 2025-01-01T00:00:00Z"},
		{"kiro-malformed", "not valid JSON"},
		{"kiro-hash-path", "without its client registration"},
		{"nowhere", "no Kiro IDE login found"},
	} {
		_, _, err := ReadCLILogin("kiro", env("linux", fixture(tc.home), nil))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "FAKE") {
			t.Errorf("%s: %v; want %q and no secret", tc.home, err, tc.want)
		}
		if tc.home == "nowhere" && !errors.Is(err, ErrCLILoginNotFound) {
			t.Errorf("nothing to import is not ErrCLILoginNotFound: %v", err)
		}
	}
}
