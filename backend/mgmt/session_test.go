package mgmt_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/core"
)

// startHeadless starts a headless instance on dir (a restart reuses it).
func startHeadless(t *testing.T, dir string) *core.Instance {
	t.Helper()
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", dir
	in, err := core.Start(context.Background(), cfg, core.Options{Mode: "headless", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func stopInstance(t *testing.T, in *core.Instance) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := in.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func statusWithCookie(t *testing.T, base, cookie string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/status", nil)
	req.AddCookie(&http.Cookie{Name: "sb_session", Value: cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A dashboard session (the cookie the login link sets) still works after
// the server restarts on the same data dir; a tampered one never does, nor
// one from another data dir (another key).
func TestSessionSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	in := startHeadless(t, dir)
	resp, err := noRedirect.Get(in.LoginURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "sb_session" {
			cookie = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || cookie == nil {
		t.Fatalf("login: %d, cookie %v", resp.StatusCode, cookie)
	}
	if cookie.MaxAge < 86400 || !cookie.HttpOnly {
		t.Fatalf("cookie MaxAge %d HttpOnly %v", cookie.MaxAge, cookie.HttpOnly)
	}
	stopInstance(t, in)

	in = startHeadless(t, dir)
	defer stopInstance(t, in)
	base := "http://" + in.Server.Addr()
	if code := statusWithCookie(t, base, cookie.Value); code != http.StatusOK {
		t.Fatalf("after a restart the session answers %d, want 200", code)
	}
	tampered := []byte(cookie.Value)
	tampered[len(tampered)/2] ^= 1
	if code := statusWithCookie(t, base, string(tampered)); code != http.StatusUnauthorized {
		t.Fatalf("a tampered session answers %d, want 401", code)
	}
	other := startHeadless(t, t.TempDir())
	defer stopInstance(t, other)
	if code := statusWithCookie(t, "http://"+other.Server.Addr(), cookie.Value); code != http.StatusUnauthorized {
		t.Fatalf("another data dir accepts the session: %d", code)
	}
}

// A used login link shows a page that says how to get a new one, not JSON.
func TestUsedLoginLinkShowsAPage(t *testing.T) {
	in := startHeadless(t, t.TempDir())
	defer stopInstance(t, in)
	if resp, err := noRedirect.Get(in.LoginURL); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	for _, url := range []string{in.LoginURL, "http://" + in.Server.Addr() + "/login?token=nonsense"} {
		resp, err := noRedirect.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(string(b), "To get a new link") || strings.Contains(string(b), `"error"`) {
			t.Fatalf("page does not explain how to get a new link:\n%s", b)
		}
	}
}
