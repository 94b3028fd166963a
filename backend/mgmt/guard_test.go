package mgmt

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
)

// The window's wails:// origin exists only in desktop mode; a headless
// server refuses those Host names like any other unknown one.
func TestHostGuardWailsOnlyWhenAsked(t *testing.T) {
	ui := fstest.MapFS{"index.html": {Data: []byte("<html>dashboard</html>")}}
	headless := serveDashboard(t, ui, NewHostGuard("127.0.0.1"))
	desktop := serveDashboard(t, ui, NewHostGuard(append([]string{"127.0.0.1"}, WailsHosts...)...))
	for _, host := range []string{"wails.localhost", "wails", "WAILS.localhost:34115"} {
		if code, _, _ := get(t, headless, "http://"+host+"/"); code != http.StatusForbidden {
			t.Errorf("headless, Host %s: %d, want 403", host, code)
		}
		if code, _, _ := get(t, desktop, "http://"+host+"/"); code != http.StatusOK {
			t.Errorf("desktop, Host %s: %d, want 200", host, code)
		}
	}
	for _, host := range []string{"127.0.0.1:20128", "localhost", "[::1]:20128"} {
		if code, _, _ := get(t, headless, "http://"+host+"/"); code != http.StatusOK {
			t.Errorf("headless, Host %s: %d, want 200", host, code)
		}
	}
}

// API requests a page of another origin makes are refused whatever the
// method; the dashboard's own (same-origin) and non-browser ones are not.
func TestAPIRefusesOtherPagesEvenForReads(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	h := crossOrigin(next)
	for _, c := range []struct {
		method, path, site string
		want               int
	}{
		{"GET", "/api/keys", "same-site", http.StatusForbidden},
		{"GET", "/api/keys", "cross-site", http.StatusForbidden},
		{"POST", "/api/keys", "same-site", http.StatusForbidden},
		{"GET", "/api/keys", "same-origin", http.StatusOK},
		{"GET", "/api/keys", "none", http.StatusOK},
		{"GET", "/api/keys", "", http.StatusOK},   // curl, the tray helper
		{"GET", "/", "cross-site", http.StatusOK}, // a link to the dashboard
		{"GET", "/login", "none", http.StatusOK},  // the login link from a terminal
	} {
		r := httptest.NewRequest(c.method, "http://127.0.0.1:20128"+c.path, nil)
		if c.site != "" {
			r.Header.Set("Sec-Fetch-Site", c.site)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("%s %s (Sec-Fetch-Site %q) = %d, want %d", c.method, c.path, c.site, w.Code, c.want)
		}
	}
}
