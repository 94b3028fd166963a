package oauth

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Kimi Code and Qwen Code sign in with the device flow only; their
// endpoints are what their CLIs use (see endpoint_kimi.go, endpoint_qwen.go).
func TestDeviceVendorEndpoints(t *testing.T) {
	kimi, qwen := KimiCoding(), QwenCode()
	for _, ep := range []Endpoint{kimi, qwen} {
		if err := ep.withDefaults().validate(needDevice); err != nil {
			t.Errorf("%s: %v", ep.Name, err)
		}
		if ep.AuthURL != "" {
			t.Errorf("%s has an authorization URL; a device-only sign-in must not", ep.Name)
		}
		if got, ok := Lookup(ep.Name); !ok || got.DeviceURL != ep.DeviceURL {
			t.Errorf("Lookup(%s) = %+v, %v", ep.Name, got, ok)
		}
	}
	if kimi.ClientID != "17e5f671-d194-4dfb-9706-5516cb48c098" ||
		kimi.DeviceURL != "https://auth.kimi.com/api/oauth/device_authorization" ||
		kimi.TokenURL != "https://auth.kimi.com/api/oauth/token" || len(kimi.Scopes) != 0 || kimi.DevicePKCE ||
		kimi.Headers["X-Msh-Platform"] != "kimi_cli" || kimi.Headers["X-Msh-Device-Id"] == "" ||
		!slices.Equal(kimi.RefreshRefused, []int{401, 403}) {
		t.Errorf("kimi endpoint %+v", kimi)
	}
	if qwen.ClientID != "f0304373b74a44d2b584a3fb70ca9e56" ||
		qwen.DeviceURL != "https://chat.qwen.ai/api/v1/oauth2/device/code" ||
		qwen.TokenURL != "https://chat.qwen.ai/api/v1/oauth2/token" || !qwen.DevicePKCE ||
		!slices.Equal(qwen.Scopes, []string{"openid", "profile", "email", "model.completion"}) ||
		!slices.Equal(qwen.RefreshRefused, []int{400, 401}) {
		t.Errorf("qwen endpoint %+v", qwen)
	}
	// A copy per call: a caller's change cannot reach the next sign-in.
	kimi.Headers["X-Msh-Platform"] = "mine"
	if KimiCoding().Headers["X-Msh-Platform"] != "kimi_cli" {
		t.Error("KimiCoding() shares its headers between calls")
	}
}

// An endpoint's Headers go with the device authorization, every poll and
// the refresh; a header the caller set is replaced, not duplicated.
func TestEndpointHeadersOnEveryCall(t *testing.T) {
	s := newIDP(t)
	synctest.Test(t, func(t *testing.T) {
		s.Set(func(s *idp) { s.DeviceScript = []string{"authorization_pending", "ok"} })
		ep, _ := deviceEndpoint(s)
		ep.Headers = map[string]string{"X-Msh-Platform": "kimi_cli", "X-Msh-Device-Id": "dev-1"}
		d, err := StartDevice(t.Context(), ep)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := d.Poll(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Refresh(t.Context(), ep, tok.RefreshToken.Reveal()); err != nil {
			t.Fatal(err)
		}
		var seen []http.Header
		s.Set(func(s *idp) {
			seen = append(seen, s.DeviceRequest.Header)
			for _, r := range s.Requests {
				seen = append(seen, r.Header)
			}
		})
		if len(seen) != 4 { // device code, two polls, refresh
			t.Fatalf("%d requests", len(seen))
		}
		for i, h := range seen {
			if !slices.Equal(h.Values("X-Msh-Platform"), []string{"kimi_cli"}) || h.Get("X-Msh-Device-Id") != "dev-1" {
				t.Errorf("request %d headers %v", i, h)
			}
		}
	})
}

// Kimi's device answer may name only verification_uri_complete: that URI
// is the page to open.
func TestDeviceAnswerWithOnlyTheCompleteURI(t *testing.T) {
	s := newIDP(t)
	synctest.Test(t, func(t *testing.T) {
		s.Set(func(s *idp) { s.DeviceOmitURI, s.DeviceScript = true, []string{"ok"} })
		ep, _ := deviceEndpoint(s)
		d, err := StartDevice(t.Context(), ep)
		if err != nil {
			t.Fatal(err)
		}
		if d.VerificationURI != d.VerificationURIComplete || !strings.HasSuffix(d.VerificationURI, "user_code=WDJB-MJHT") {
			t.Errorf("uri %q complete %q", d.VerificationURI, d.VerificationURIComplete)
		}
	})
}

// Qwen answers slow_down with 429: it still slows the poll down rather
// than counting as a failing server.
func TestSlowDownAnswered429(t *testing.T) {
	s := newIDP(t)
	synctest.Test(t, func(t *testing.T) {
		s.Set(func(s *idp) {
			s.SlowDownStatus, s.DeviceScript = http.StatusTooManyRequests, []string{"slow_down", "ok"}
		})
		ep, clock := deviceEndpoint(s)
		start := time.Now()
		d, err := StartDevice(t.Context(), ep)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Poll(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := clock.gaps(start); !equalDurations(got, []time.Duration{time.Second, 6 * time.Second}) {
			t.Errorf("poll gaps %v, want 1s then 6s", got)
		}
	})
}

func TestRefreshRefusedStatuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		refused []int
		status  int
		want    error
	}{
		{"listed 401 is a refused grant", []int{401, 403}, http.StatusUnauthorized, ErrInvalidGrant},
		{"listed 400 is a refused grant", []int{400, 401}, http.StatusBadRequest, ErrInvalidGrant},
		{"unlisted 403 stays a plain error", []int{400, 401}, http.StatusForbidden, nil},
		{"no list: 401 stays a plain error", nil, http.StatusUnauthorized, nil},
		{"5xx stays transient even if listed", []int{502}, http.StatusBadGateway, ErrTransient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newIDP(t)
			s.Set(func(s *idp) { s.RefreshStatus, s.RefreshTokens["rt"] = tc.status, true })
			ep := endpointOf(s)
			ep.RefreshRefused = tc.refused
			_, err := Refresh(testCtx(t), ep, "rt")
			if err == nil {
				t.Fatal("refresh succeeded")
			}
			for _, sentinel := range []error{ErrInvalidGrant, ErrTransient} {
				if errors.Is(err, sentinel) != (tc.want == sentinel) {
					t.Errorf("err = %v; errors.Is(%v) = %v", err, sentinel, !(tc.want == sentinel))
				}
			}
			var se *ServerError
			if !errors.As(err, &se) || se.Status != tc.status {
				t.Errorf("server error %+v", se)
			}
		})
	}
}
