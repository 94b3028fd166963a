package oauth

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestGitHubEndpoint(t *testing.T) {
	ep, ok := Lookup("github")
	if !ok {
		t.Fatal("github sign-in not registered")
	}
	if ep.AuthURL != "" || ep.DeviceURL != "https://github.com/login/device/code" ||
		ep.TokenURL != "https://github.com/login/oauth/access_token" || ep.ClientID != "Iv1.b507a08c87ecfe98" ||
		len(ep.Scopes) != 1 || ep.Scopes[0] != "read:user" || ep.TokenJSON {
		t.Errorf("github endpoint %+v", ep)
	}
	if err := ep.withDefaults().validate(needDevice); err != nil {
		t.Error(err)
	}
}

// formSeen records whether each token answer came back form-encoded with
// status 200, as GitHub's do when the poll does not ask for JSON.
type formSeen struct {
	base  http.RoundTripper
	forms []int // status of each form-encoded token answer
}

func (f *formSeen) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := f.base.RoundTrip(r)
	if err == nil && strings.HasSuffix(r.URL.Path, "/token") &&
		strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		f.forms = append(f.forms, resp.StatusCode)
	}
	return resp, err
}

// GitHub answers the device grant form-encoded, its pending and slow_down
// errors with HTTP 200: the flow reads them as RFC 8628 says.
func TestDeviceFlowGitHubFormAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script []string
		is     error
		polls  int
	}{
		{"pending, slow_down, ok", []string{"authorization_pending", "slow_down", "ok"}, nil, 3},
		{"expired code", []string{"authorization_pending", "expired_token"}, ErrExpired, 2},
		{"declined", []string{"access_denied"}, ErrAccessDenied, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newIDP(t)
			synctest.Test(t, func(t *testing.T) {
				s.Set(func(s *idp) { s.FormAnswers, s.DeviceScript, s.ExpiresIn = true, tc.script, 0 })
				seen := &formSeen{base: &http.Transport{DisableKeepAlives: true}}
				ep := endpointOf(s)
				ep.HTTPClient = &http.Client{Transport: seen, Timeout: 10 * time.Second}
				d, err := StartDevice(t.Context(), ep)
				if err != nil {
					t.Fatal(err)
				}
				tok, err := d.Poll(t.Context())
				if !errors.Is(err, tc.is) || (tc.is == nil) != (tok != nil) {
					t.Fatalf("Poll = %v, %v; want %v", tok, err, tc.is)
				}
				if len(seen.forms) != tc.polls {
					t.Fatalf("%d form-encoded answers, want %d", len(seen.forms), tc.polls)
				}
				for _, st := range seen.forms {
					if st != http.StatusOK {
						t.Errorf("GitHub-style answer with status %d", st)
					}
				}
				if tok != nil && (!strings.HasPrefix(tok.AccessToken.Reveal(), "at-") || !tok.Expiry.IsZero()) {
					t.Errorf("token %v: want the access token and no expiry", tok)
				}
			})
		})
	}
}
