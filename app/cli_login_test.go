package app

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/oauth/idpsim"
)

// TestLoginNoBrowserPaste: `switchboard login claude --no-browser` prints
// a URL; the user signs in elsewhere and pastes where the browser ended;
// the account is stored and `providers list` shows who signed in.
func TestLoginNoBrowserPaste(t *testing.T) {
	t.Setenv("SWITCHBOARD_KEYRING", "off")
	idp := idpsim.New(t)
	idp.Set(func(s *idpsim.Server) { s.RequireJSON, s.RequireState, s.AnthropicBody = true, true, true })
	dir := t.TempDir()
	cfg, cfgFile := loginConfig(t, dir, "providers:\n  - id: claude\n    sign_in:\n      auth_url: "+idp.URL()+"/authorize\n      token_url: "+idp.URL()+
		"/token\n      client_id: "+idp.ClientID+"\n      manual_redirect_url: \"\"\n")
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var errb strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- loginCommand(cfg, slog.New(slog.DiscardHandler), "claude", loginFlags{account: "laptop", noBrowser: true}, inR, outW, &errb)
		outW.Close()
	}()
	sc := bufio.NewScanner(outR)
	var authURL string
	var printed strings.Builder
	for authURL == "" && sc.Scan() {
		printed.WriteString(sc.Text() + "\n")
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "http") {
			authURL = l
		}
	}
	if !strings.Contains(printed.String(), "Before you connect") {
		t.Errorf("the risk note was not shown: %q", printed.String())
	}
	go io.Copy(io.Discard, outR)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := resp.Location()
	io.WriteString(inW, "garbage that is no code\n") // refused, the flow stays open
	io.WriteString(inW, loc.String()+"\n")
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("login exited %d: %s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("login did not finish")
	}
	inW.Close()
	code, out, _ := run("providers", "list", "--data-dir", dir, "--config", cfgFile)
	if code != 0 || !strings.Contains(out, "laptop(sign-in max@example.com,ok,token valid)") {
		t.Fatalf("providers list: %d %q", code, out)
	}
}

// loginConfig writes yaml as dir's config file and loads it.
func loginConfig(t *testing.T, dir, yaml string) (config.Config, string) {
	t.Helper()
	cfgFile := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	base := config.Default()
	base.DataDir = dir
	cfg, err := config.Load(cfgFile, base)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, cfgFile
}
