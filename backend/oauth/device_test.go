package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// pollClock records, in the bubble's fake time, when each token poll left.
type pollClock struct {
	base  http.RoundTripper
	mu    sync.Mutex
	polls []time.Time
}

func (c *pollClock) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/token") {
		c.mu.Lock()
		c.polls = append(c.polls, time.Now())
		c.mu.Unlock()
	}
	return c.base.RoundTrip(r)
}

// gaps are the waits before each poll, from start.
func (c *pollClock) gaps(start time.Time) []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	prev := start
	for _, p := range c.polls {
		out = append(out, p.Sub(prev).Round(time.Second))
		prev = p
	}
	return out
}

// deviceEndpoint is the idp's endpoint with a client made inside the
// synctest bubble. Keep-alives are off: an idle connection's reader is
// blocked on the network, which would keep the fake clock from moving.
func deviceEndpoint(s *idp) (Endpoint, *pollClock) { return clocked(endpointOf(s)) }

// clocked gives ep a client that records the polls.
func clocked(ep Endpoint) (Endpoint, *pollClock) {
	clock := &pollClock{base: &http.Transport{DisableKeepAlives: true}}
	ep.HTTPClient = &http.Client{Transport: clock, Timeout: 10 * time.Second}
	return ep, clock
}

// deviceFlows are the device sign-ins the endings tests run: RFC 8628's
// and AWS SSO-OIDC's (device_awsoidc.go), which must end the same ways.
var deviceFlows = map[string]func(*idp) (Endpoint, *pollClock){
	"rfc8628":  deviceEndpoint,
	"aws_oidc": func(s *idp) (Endpoint, *pollClock) { return clocked(awsEndpointOf(s)) },
}

// The polling intervals are whole seconds (RFC 8628), and slow_down adds
// five; the tests run them on synctest's fake clock instead of waiting.
func TestDeviceFlow(t *testing.T) {
	s := newIDP(t)
	synctest.Test(t, func(t *testing.T) {
		s.Set(func(s *idp) {
			s.DeviceScript = []string{"authorization_pending", "slow_down", "authorization_pending", "ok"}
		})
		ep, clock := deviceEndpoint(s)
		start := time.Now()
		d, err := StartDevice(t.Context(), ep)
		if err != nil {
			t.Fatal(err)
		}
		if d.UserCode != "WDJB-MJHT" || !strings.HasSuffix(d.VerificationURI, "/device") ||
			!strings.HasSuffix(d.VerificationURIComplete, "user_code=WDJB-MJHT") ||
			d.Interval != time.Second || d.Expires.Sub(start) != 600*time.Second {
			t.Errorf("device auth %+v interval %v expires in %v", d, d.Interval, d.Expires.Sub(start))
		}
		tok, err := d.Poll(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if tok.Claims.AccountID != "acct-42" || tok.RefreshToken == "" {
			t.Errorf("token %v", tok)
		}
		// pending, then slow_down (+5 s for good), then pending, then success.
		want := []time.Duration{1 * time.Second, 1 * time.Second, 6 * time.Second, 6 * time.Second}
		if got := clock.gaps(start); !equalDurations(got, want) {
			t.Errorf("poll gaps %v, want %v", got, want)
		}
		req := s.LastRequest()
		if req.Params.Get("device_code") != "dev-code-secret" || req.Params.Get("client_id") != "test-client" {
			t.Errorf("poll params %v", req.Params)
		}
	})
}

func TestDeviceFlowEndings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		script  []string
		expires int
		is      error
		// polls bounds the polls the server saw.
		minPolls, maxPolls int
	}{
		{"server says expired_token", []string{"authorization_pending", "expired_token"}, 600, ErrExpired, 2, 2},
		// Polls at 1 s and 2 s; at 3 s the deadline and the third tick fall
		// due together, and either may win.
		{"code runs out locally", nil, 3, ErrExpired, 2, 3},
		{"user denies", []string{"access_denied"}, 600, ErrAccessDenied, 1, 1},
	} {
		for flow, endpoint := range deviceFlows {
			t.Run(flow+"/"+tc.name, func(t *testing.T) {
				s := newIDP(t)
				synctest.Test(t, func(t *testing.T) {
					s.Set(func(s *idp) { s.DeviceScript, s.DeviceExpires = tc.script, tc.expires })
					ep, _ := endpoint(s)
					d, err := StartDevice(t.Context(), ep)
					if err != nil {
						t.Fatal(err)
					}
					tok, err := d.Poll(t.Context())
					if !errors.Is(err, tc.is) || tok != nil {
						t.Fatalf("Poll = %v, %v; want %v", tok, err, tc.is)
					}
					if !strings.HasPrefix(err.Error(), "oauth: test: device sign-in") {
						t.Errorf("message %q", err)
					}
					if n := s.Calls(); n < tc.minPolls || n > tc.maxPolls {
						t.Errorf("%d polls, want %d to %d", n, tc.minPolls, tc.maxPolls)
					}
				})
			})
		}
	}
}

func TestDevicePollCanceled(t *testing.T) {
	s := newIDP(t)
	synctest.Test(t, func(t *testing.T) {
		ep, _ := deviceEndpoint(s)
		d, err := StartDevice(t.Context(), ep)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 2500*time.Millisecond)
		defer cancel()
		_, err = d.Poll(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrExpired) {
			t.Fatalf("Poll = %v, want the caller's deadline", err)
		}
	})
}

func TestDeviceFlowWithPKCE(t *testing.T) {
	s := newIDP(t)
	synctest.Test(t, func(t *testing.T) {
		s.Set(func(s *idp) { s.DeviceScript = []string{"ok"} })
		ep, _ := deviceEndpoint(s)
		ep.DevicePKCE = true
		d, err := StartDevice(t.Context(), ep)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Poll(t.Context()); err != nil {
			t.Fatalf("Poll with PKCE: %v", err)
		}
		var challenge string
		s.Set(func(s *idp) { challenge = s.DeviceChallenge })
		if challenge == "" || s.LastRequest().Params.Get("code_verifier") == "" {
			t.Error("PKCE challenge or verifier not sent")
		}
	})
}

func TestDeviceAuthNeverPrintsTheDeviceCode(t *testing.T) {
	s := newIDP(t)
	synctest.Test(t, func(t *testing.T) {
		ep, _ := deviceEndpoint(s)
		ep.DevicePKCE = true
		d, err := StartDevice(t.Context(), ep)
		if err != nil {
			t.Fatal(err)
		}
		for _, out := range append(formatAll(d), formatAll(*d)...) {
			if strings.Contains(out, "dev-code-secret") || strings.Contains(out, d.verifier) {
				t.Errorf("device auth printed a secret: %s", out)
			}
			if !strings.Contains(out, "WDJB-MJHT") {
				t.Errorf("device auth hides the user code: %s", out)
			}
		}
	})
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
