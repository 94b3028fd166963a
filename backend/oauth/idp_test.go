package oauth

import (
	"switchboard/backend/oauth/idpsim"

	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// idp is the scripted identity server (see idpsim).
type idp = idpsim.Server

func newIDP(t *testing.T) *idp { return idpsim.New(t) }

// endpointOf points an Endpoint at s.
func endpointOf(s *idp) Endpoint {
	return Endpoint{
		Name:         "test",
		AuthURL:      s.URL() + "/authorize",
		TokenURL:     s.URL() + "/token",
		DeviceURL:    s.URL() + "/device/code",
		ClientID:     s.ClientID,
		Scopes:       []string{"openid", "offline_access"},
		RedirectHost: "127.0.0.1",
		RedirectPath: "/auth/callback",
		HTTPClient:   s.Client(),
	}
}

// browser follows redirects like a user's browser would; it never keeps
// connections, so a closed listener shows at once.
func browser() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// codeFrom fetches an authorization URL without following the redirect
// and returns where the server sent the browser: what a user would copy.
func codeFrom(t *testing.T, authURL string) *url.URL {
	t.Helper()
	c := browser()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("authorize answered %s without a redirect", resp.Status)
	}
	return loc
}

// visit is the browser opening url; it reports the last page's status and body.
func visit(url string) (int, string, error) {
	resp, err := browser().Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

func newGet(u string) (*http.Request, error) { return http.NewRequest(http.MethodGet, u, nil) }

// testCtx bounds every test that waits on a flow.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
