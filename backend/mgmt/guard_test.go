package mgmt

import (
	"net/http"
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
