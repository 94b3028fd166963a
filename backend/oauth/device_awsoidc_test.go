package oauth

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"switchboard/backend/oauth/idpsim"
)

// awsEndpointOf points an AWS SSO-OIDC endpoint at s.
func awsEndpointOf(s *idp) Endpoint {
	return Endpoint{Name: "test", Flow: FlowAWSOIDC, TokenURL: s.URL() + "/token",
		DeviceURL: s.URL() + "/device_authorization", StartURL: "https://view.awsapps.com/start",
		RefreshURL: s.URL() + "/refreshToken", Scopes: []string{"codewhisperer:completions", "codewhisperer:conversations"},
		HTTPClient: s.Client()}
}

func TestAWSDeviceFlow(t *testing.T) {
	s := newIDP(t)
	synctest.Test(t, func(t *testing.T) {
		s.Set(func(s *idp) {
			s.DeviceScript = []string{"authorization_pending", "slow_down", "authorization_pending", "ok"}
		})
		ep, clock := clocked(awsEndpointOf(s))
		start := time.Now()
		d, err := StartDevice(t.Context(), ep)
		if err != nil {
			t.Fatal(err)
		}
		if d.UserCode != "KIRO-CODE" || !strings.HasSuffix(d.VerificationURIComplete, "user_code=KIRO-CODE") ||
			d.Interval != time.Second || d.Expires.Sub(start) != 600*time.Second {
			t.Errorf("device auth %+v interval %v expires in %v", d, d.Interval, d.Expires.Sub(start))
		}
		var reg map[string]any
		var dev map[string]string
		s.Set(func(s *idp) { reg, dev = s.LastRegistration, s.LastDeviceAuth })
		if reg["clientName"] != "Switchboard" || reg["clientType"] != "public" ||
			fmt.Sprint(reg["scopes"]) != "[codewhisperer:completions codewhisperer:conversations]" ||
			fmt.Sprint(reg["grantTypes"]) != "[urn:ietf:params:oauth:grant-type:device_code refresh_token]" {
			t.Errorf("registration body %v", reg)
		}
		if dev["clientId"] != "cid-1" || !strings.HasPrefix(dev["clientSecret"], "cs-") || dev["startUrl"] != ep.StartURL {
			t.Errorf("device authorization body %v", dev)
		}
		tok, err := d.Poll(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok.AccessToken.Reveal(), "aoa-") || !strings.HasPrefix(tok.RefreshToken.Reveal(), awsGrantPrefix) ||
			time.Until(tok.Expiry) != time.Hour {
			t.Errorf("token %v", tok)
		}
		want := []time.Duration{1 * time.Second, 1 * time.Second, 6 * time.Second, 6 * time.Second}
		if got := clock.gaps(start); !equalDurations(got, want) {
			t.Errorf("poll gaps %v, want %v", got, want)
		}
		req := s.LastRequest()
		if req.ContentType != "application/json" || req.Params.Get("grantType") != deviceGrantType ||
			req.Params.Get("deviceCode") != "aws-dev-code-secret" || req.Params.Get("clientId") != "cid-1" || req.Params.Get("clientSecret") == "" {
			t.Errorf("poll %s %v", req.ContentType, req.Params)
		}
		g, err := parseAWSGrant(tok.RefreshToken.Reveal())
		if err != nil || g.Social || g.ClientID != "cid-1" || g.Secret != dev["clientSecret"] || !strings.HasPrefix(g.Refresh, "aor-") ||
			g.ClientExpires == 0 {
			t.Errorf("grant %+v, %v", g, err)
		}
	})
}

func TestAWSRefreshRotates(t *testing.T) {
	s := newIDP(t)
	s.Set(func(s *idp) { s.Rotate, s.DeviceScript = true, []string{"ok"} })
	ep := awsEndpointOf(s)
	d, err := StartDevice(testCtx(t), ep)
	if err != nil {
		t.Fatal(err)
	}
	first, err := d.Poll(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Refresh(testCtx(t), ep, first.RefreshToken.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	old, _ := parseAWSGrant(first.RefreshToken.Reveal())
	next, _ := parseAWSGrant(tok.RefreshToken.Reveal())
	if next.Refresh == old.Refresh || next.ClientID != old.ClientID || next.Secret != old.Secret || tok.AccessToken == first.AccessToken {
		t.Errorf("rotated grant %+v from %+v", next, old)
	}
	req := s.LastRequest()
	if req.Params.Get("grantType") != "refresh_token" || req.Params.Get("refreshToken") != old.Refresh || req.Params.Get("clientId") != old.ClientID {
		t.Errorf("refresh request %v", req.Params)
	}
	// The spent refresh token is refused: sign in again.
	if _, err := Refresh(testCtx(t), ep, first.RefreshToken.Reveal()); !errors.Is(err, ErrInvalidGrant) || errors.Is(err, ErrTransient) {
		t.Errorf("reusing a rotated grant: %v", err)
	}
}

func TestAWSRegistrationCache(t *testing.T) {
	s := newIDP(t)
	ep := awsEndpointOf(s)
	for range 2 {
		if _, err := StartDevice(testCtx(t), ep); err != nil {
			t.Fatal(err)
		}
	}
	if n := registrations(s); n != 1 {
		t.Errorf("%d registrations for two sign-ins, want the client reused", n)
	}
	// A client the server no longer knows is dropped and registered anew.
	s.RevokeClients()
	if _, err := StartDevice(testCtx(t), ep); err == nil || serverCode(err) != "invalid_client" {
		t.Fatalf("start with a revoked client = %v", err)
	}
	if _, err := StartDevice(testCtx(t), ep); err != nil || registrations(s) != 2 {
		t.Errorf("after invalid_client: %v, %d registrations", err, registrations(s))
	}
	// A client about to expire is not reused: its refresh tokens would die with it.
	s2 := newIDP(t)
	s2.Set(func(s *idp) { s.ClientSecretExpiresIn = 24 * 3600 })
	for range 2 {
		if _, err := StartDevice(testCtx(t), awsEndpointOf(s2)); err != nil {
			t.Fatal(err)
		}
	}
	if n := registrations(s2); n != 2 {
		t.Errorf("%d registrations with a one-day client, want 2", n)
	}
}

func registrations(s *idp) (n int) {
	s.Set(func(s *idp) { n = s.Registrations })
	return n
}

func TestAWSRefreshFailures(t *testing.T) {
	s := newIDP(t)
	s.AddClient("cid-imported", "cs-FAKE", "aor-imported")
	grant := func(g AWSGrant) string { return ImportAWS("aoa-old", time.Time{}, g, "").RefreshToken.Reveal() }
	valid := AWSGrant{RefreshToken: "aor-imported", ClientID: "cid-imported", ClientSecret: "cs-FAKE"}
	if _, err := Refresh(testCtx(t), awsEndpointOf(s), grant(valid)); err != nil {
		t.Fatalf("an imported client grant: %v", err)
	}
	for _, tc := range []struct {
		name   string
		packed string
		setup  func(*idp)
		is     error
		calls  int // token calls the server saw
	}{
		{"revoked refresh token", grant(AWSGrant{RefreshToken: "aor-gone", ClientID: "cid-imported", ClientSecret: "cs-FAKE"}), nil, ErrInvalidGrant, 1},
		{"client registration gone", grant(valid), (*idp).RevokeClients, ErrInvalidGrant, 1},
		{"client registration expired here", grant(AWSGrant{RefreshToken: "aor-imported", ClientID: "cid-imported", ClientSecret: "cs-FAKE",
			ClientExpires: time.Now().Add(-time.Hour)}), nil, ErrInvalidGrant, 0},
		{"identity server failing", grant(valid), func(s *idp) { s.Set(func(s *idp) { s.RefreshStatus = 503 }) }, ErrTransient, 1},
		{"damaged grant", awsGrantPrefix + "%%%", nil, ErrInvalidGrant, 0},
		{"no refresh token", grant(AWSGrant{ClientID: "cid-imported", ClientSecret: "cs-FAKE"}), nil, ErrInvalidGrant, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newIDP(t)
			s.AddClient("cid-imported", "cs-FAKE", "aor-imported")
			if tc.setup != nil {
				tc.setup(s)
			}
			_, err := Refresh(testCtx(t), awsEndpointOf(s), tc.packed)
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			if tc.is == ErrInvalidGrant && errors.Is(err, ErrTransient) {
				t.Errorf("both invalid and transient: %v", err)
			}
			if n := s.Calls(); n != tc.calls {
				t.Errorf("%d token calls, want %d", n, tc.calls)
			}
			for _, leak := range []string{"cs-FAKE", "aor-"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q shows a secret", err)
				}
			}
		})
	}
}

func TestAWSSocialRefresh(t *testing.T) {
	s := newIDP(t)
	s.Set(func(s *idp) { s.Rotate = true })
	s.AddSocialRefreshToken("aor-social")
	ep := awsEndpointOf(s)
	imported := ImportAWS("aoa-old", time.Now(), AWSGrant{RefreshToken: "aor-social"}, "arn:old")
	if imported.Extra("profileArn") != "arn:old" {
		t.Errorf("imported profileArn %v", imported.Extra("profileArn"))
	}
	tok, err := Refresh(testCtx(t), ep, imported.RefreshToken.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	g, _ := parseAWSGrant(tok.RefreshToken.Reveal())
	if !g.Social || g.Refresh == "aor-social" || tok.Extra("profileArn") != idpsimProfile(s) {
		t.Errorf("refreshed %v grant %+v profile %v", tok, g, tok.Extra("profileArn"))
	}
	if req := s.LastRequest(); req.Params.Get("refreshToken") != "aor-social" || req.ContentType != "application/json" {
		t.Errorf("social refresh request %s %v", req.ContentType, req.Params)
	}
	// Refused: the spent token (rotated) and a bare unknown one.
	for _, rt := range []string{imported.RefreshToken.Reveal(), "aor-unknown"} {
		if _, err := Refresh(testCtx(t), ep, rt); !errors.Is(err, ErrInvalidGrant) {
			t.Errorf("refused social token: %v", err)
		}
	}
	s.Set(func(s *idp) { s.RefreshStatus = 502 })
	if _, err := Refresh(testCtx(t), ep, tok.RefreshToken.Reveal()); !errors.Is(err, ErrTransient) {
		t.Errorf("social refresh with a failing service: %v", err)
	}
}

func idpsimProfile(s *idp) (arn string) {
	s.Set(func(s *idpsim.Server) { arn = s.ProfileArn })
	return arn
}

func TestAWSRedaction(t *testing.T) {
	g := AWSGrant{RefreshToken: "aor-FAKE-refresh", ClientID: "cid", ClientSecret: "cs-FAKE-secret"}
	d := DeviceAuth{UserCode: "KIRO-CODE", aws: &awsDevice{client: awsClient{id: "cid", secret: "cs-FAKE-secret"}, deviceCode: "dev-FAKE"}}
	for _, s := range []string{fmt.Sprint(g), fmt.Sprintf("%+v %#v", g, g), fmt.Sprintf("%+v %#v", d, d),
		fmt.Sprint(ImportAWS("aoa-FAKE", time.Time{}, g, ""))} {
		if strings.Contains(s, "FAKE") {
			t.Errorf("%q shows a secret", s)
		}
	}
}

func TestRegional(t *testing.T) {
	for _, tc := range []struct{ in, region, want string }{
		{"https://oidc.us-east-1.amazonaws.com/token", "eu-west-1", "https://oidc.eu-west-1.amazonaws.com/token"},
		{"https://prod.us-east-1.auth.desktop.kiro.dev/refreshToken", "eu-central-1", "https://prod.eu-central-1.auth.desktop.kiro.dev/refreshToken"},
		{"https://oidc.us-east-1.amazonaws.com/token", "", "https://oidc.us-east-1.amazonaws.com/token"},
		{"https://oidc.us-east-1.amazonaws.com/token", "evil.example.com/x", "https://oidc.us-east-1.amazonaws.com/token"},
		{"http://127.0.0.1:4000/token", "eu-west-1", "http://127.0.0.1:4000/token"},
	} {
		if got := regional(tc.in, tc.region); got != tc.want {
			t.Errorf("regional(%q, %q) = %q, want %q", tc.in, tc.region, got, tc.want)
		}
	}
}
