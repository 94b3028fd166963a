package mgmt

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// serveDashboard runs the real management handler (host guard, cross-origin
// protection, mux) on an httptest server with ui as the embedded build.
func serveDashboard(t *testing.T, ui fstest.MapFS, guard *HostGuard) *http.Client {
	t.Helper()
	sessions, _ := NewSessions(time.Hour)
	h := NewHTTP(NewServices(nil, nil, nil, Runtime{}), sessions, guard, ui, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	// Redirects are followed: a redirect to a listing is a listing.
	return &http.Client{Transport: rewriteTo(srv.URL)}
}

type rewrite struct{ base string }

// rewriteTo sends every request to srv whatever its URL's host, so a test
// can set the Host header (http://wails.localhost/…) and still reach srv.
func rewriteTo(srv string) http.RoundTripper { return rewrite{srv} }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Host = r.URL.Host
	r.URL.Host = strings.TrimPrefix(rw.base, "http://")
	return http.DefaultTransport.RoundTrip(r)
}

func get(t *testing.T, c *http.Client, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// isListing spots http.FileServer's directory listing.
func isListing(body string) bool {
	return strings.Contains(body, "<pre>") || strings.Contains(body, `<a href="`)
}

func TestDashboardNotBuilt(t *testing.T) {
	// A fresh checkout embeds frontend/dist with only .gitkeep.
	c := serveDashboard(t, fstest.MapFS{".gitkeep": {}, "sub/.gitkeep": {}}, NewHostGuard())
	for _, p := range []string{"/", "/index.html", "/sub/", "/sub", "/.gitkeep", "/anything"} {
		code, body, hdr := get(t, c, "http://127.0.0.1"+p)
		if code != http.StatusNotFound || isListing(body) || strings.Contains(body, ".gitkeep") {
			t.Errorf("GET %s: %d %q", p, code, body)
		}
		if !strings.Contains(body, "Dashboard not built") || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: no 'not built' page: %q %q", p, hdr.Get("Content-Type"), body)
		}
		if hdr.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: no CSP on the not-built page", p)
		}
	}
	// The API is still there.
	if code, body, _ := get(t, c, "http://127.0.0.1/api/status"); code != http.StatusUnauthorized {
		t.Errorf("GET /api/status: %d %s", code, body)
	}
}

func TestDashboardNeverListsAFolder(t *testing.T) {
	ui := fstest.MapFS{
		"index.html":          {Data: []byte("<html>dashboard</html>")},
		"assets/index-1.js":   {Data: []byte("console.log(1)")},
		"assets/index-1.css":  {Data: []byte("body{}")},
		"assets/fonts/a.woff": {Data: []byte("font")},
		"help/index.html":     {Data: []byte("<html>help</html>")},
	}
	c := serveDashboard(t, ui, NewHostGuard())
	for _, p := range []string{"/assets/", "/assets", "/assets/fonts/", "/assets/fonts", "/assets/./", "/help/../assets/"} {
		code, body, _ := get(t, c, "http://127.0.0.1"+p)
		if code != http.StatusNotFound || isListing(body) || strings.Contains(body, "index-1") {
			t.Errorf("GET %s: %d %q", p, code, body)
		}
	}
	for p, want := range map[string]string{"/": "dashboard", "/assets/index-1.js": "console.log", "/help/": "help"} {
		code, body, _ := get(t, c, "http://127.0.0.1"+p)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d %q", p, code, body)
		}
	}
}

func TestDashboardSecurityHeaders(t *testing.T) {
	ui := fstest.MapFS{"index.html": {Data: []byte("<html>dashboard</html>")}, "assets/app.js": {Data: []byte("1")}}
	c := serveDashboard(t, ui, NewHostGuard())
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
			"font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"X-Frame-Options":        "DENY",
	}
	for _, p := range []string{"/", "/assets/app.js", "/missing.js", "/assets/"} {
		_, _, hdr := get(t, c, "http://127.0.0.1"+p)
		for k, v := range want {
			if got := hdr.Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", p, k, got, v)
			}
		}
		if strings.Contains(hdr.Get("Content-Security-Policy"), "unsafe") {
			t.Errorf("GET %s: CSP allows unsafe sources", p)
		}
	}
}
