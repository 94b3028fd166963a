package oauth

import (
	"net/url"
	"slices"
	"testing"

	"switchboard/backend/oauth/idpsim"
)

func TestGoogleEndpoints(t *testing.T) {
	gca, ag := GoogleCodeAssist(), Antigravity()
	base := []string{scopeCloudPlatform, scopeEmail, scopeProfile}
	for _, tc := range []struct {
		ep               Endpoint
		name, id, secret string
		host, path       string
		manual           string
		scopes           []string
	}{
		{gca, "google-codeassist", "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com",
			"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", "127.0.0.1", "/oauth2callback", "https://codeassist.google.com/authcode", base},
		{ag, "antigravity", "1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com",
			"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", "localhost", "/oauth-callback", "",
			append(slices.Clone(base), "https://www.googleapis.com/auth/cclog", "https://www.googleapis.com/auth/experimentsandconfigs")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep := tc.ep
			if err := ep.withDefaults().validate(needAuth); err != nil {
				t.Fatal(err)
			}
			if ep.Name != tc.name || ep.ClientID != tc.id || ep.ClientSecret != tc.secret ||
				ep.AuthURL != "https://accounts.google.com/o/oauth2/v2/auth" || ep.TokenURL != "https://oauth2.googleapis.com/token" ||
				ep.RedirectHost != tc.host || ep.RedirectPath != tc.path || ep.RedirectPort != 0 || ep.ManualRedirectURL != tc.manual ||
				ep.TokenJSON || ep.ExchangeState || !slices.Equal(ep.Scopes, tc.scopes) {
				t.Errorf("endpoint %+v", ep)
			}
			// A refresh token on every consent.
			if ep.ExtraAuthParams["access_type"] != "offline" || ep.ExtraAuthParams["prompt"] != "consent" {
				t.Errorf("extra auth params %v", ep.ExtraAuthParams)
			}
			if got, ok := Lookup(tc.name); !ok || got.ClientID != tc.id {
				t.Errorf("Lookup(%s) = %+v, %v", tc.name, got, ok)
			}
		})
	}
	gca.ExtraAuthParams["prompt"] = "none"
	if GoogleCodeAssist().ExtraAuthParams["prompt"] != "consent" {
		t.Error("GoogleCodeAssist() shares its map between calls")
	}
}

// A Google-shaped sign-in: the code exchange and the refresh carry the
// installed app's secret and the PKCE verifier; the authorization URL asks
// for offline access with consent; Google rotates nothing, so the refresh
// answer has no refresh token and the one signed in with stays.
func TestGoogleShapedSignIn(t *testing.T) {
	s := newIDP(t)
	s.Set(func(s *idp) {
		s.ClientSecret = "GOCSPX-test-secret"
		s.IDToken = idpsim.FakeJWT(map[string]any{"iss": "https://accounts.google.com", "sub": "1170", "email": "g@example.com"})
	})
	ep := GoogleCodeAssist()
	ep.AuthURL, ep.TokenURL, ep.ClientID, ep.ClientSecret = s.URL()+"/authorize", s.URL()+"/token", s.ClientID, "GOCSPX-test-secret"
	ep.HTTPClient = s.Client()
	ctx := testCtx(t)
	p, err := Begin(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	u, _ := url.Parse(p.URL())
	q := u.Query()
	for k, want := range map[string]string{"access_type": "offline", "prompt": "consent", "code_challenge_method": "S256",
		"scope": scopeCloudPlatform + " " + scopeEmail + " " + scopeProfile} {
		if q.Get(k) != want {
			t.Errorf("auth URL %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if q.Has("client_secret") {
		t.Error("the client secret is in the authorization URL")
	}
	if ru, _ := url.Parse(p.RedirectURL()); ru.Hostname() != "127.0.0.1" || ru.Path != "/oauth2callback" {
		t.Errorf("redirect %s", p.RedirectURL())
	}
	ch := openBrowser(p.URL())
	tok, err := p.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	<-ch
	req := s.LastRequest()
	if req.Params.Get("client_secret") != "GOCSPX-test-secret" || req.Params.Get("code_verifier") == "" ||
		req.ContentType != "application/x-www-form-urlencoded" {
		t.Errorf("code exchange %v (%s)", req.Params, req.ContentType)
	}
	if tok.Claims.Email != "g@example.com" || tok.Claims.Subject != "1170" || tok.RefreshToken == "" {
		t.Errorf("token %v claims %+v", tok, tok.Claims)
	}
	again, err := Refresh(ctx, ep, tok.RefreshToken.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	if r := s.LastRequest(); r.Params.Get("client_secret") != "GOCSPX-test-secret" || r.Params.Get("grant_type") != "refresh_token" {
		t.Errorf("refresh %v", r.Params)
	}
	if again.RefreshToken != tok.RefreshToken || again.AccessToken == tok.AccessToken {
		t.Error("a refresh without rotation must keep the refresh token and bring a new access token")
	}
	// The wrong secret is refused like an unknown client.
	ep.ClientSecret = "wrong"
	if _, err := Refresh(ctx, ep, tok.RefreshToken.Reveal()); err == nil {
		t.Error("a wrong client secret was accepted")
	}
}
