package app

import (
	"bufio"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"switchboard/backend/oauth/idpsim"
)

// TestLoginQwenCodeShowsTheCode: `switchboard login qwen-code` is a
// device sign-in: it prints the risk note, the page and the code to enter
// there, waits while the user approves, and stores the account.
func TestLoginQwenCodeShowsTheCode(t *testing.T) {
	t.Setenv("SWITCHBOARD_KEYRING", "off")
	idp := idpsim.New(t)
	idp.Set(func(s *idpsim.Server) {
		s.DeviceScript, s.ResourceURL = []string{"authorization_pending", "ok"}, "portal.qwen.ai"
	})
	dir := t.TempDir()
	cfg, cfgFile := loginConfig(t, dir, "providers:\n  - id: qwen-code\n    sign_in:\n      device_url: "+idp.URL()+
		"/device/code\n      token_url: "+idp.URL()+"/token\n      client_id: "+idp.ClientID+"\n")
	outR, outW := io.Pipe()
	var errb strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- loginCommand(cfg, slog.New(slog.DiscardHandler), "qwen-code", loginFlags{noBrowser: true},
			strings.NewReader(""), outW, &errb)
		outW.Close()
	}()
	var printed strings.Builder
	sc := bufio.NewScanner(outR)
	for sc.Scan() {
		printed.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "Waiting for you to approve") {
			break
		}
	}
	shown := printed.String()
	for _, want := range []string{"Before you connect", "discontinued the Qwen OAuth free tier on 2026-04-15",
		"Open " + idp.URL() + "/device?user_code=WDJB-MJHT on any device", "enter the code", "    WDJB-MJHT\n"} {
		if !strings.Contains(shown, want) {
			t.Errorf("login printed %q; want it to say %q", shown, want)
		}
	}
	rest, _ := io.ReadAll(outR)
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("login exited %d: %s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("login did not finish")
	}
	if !strings.Contains(string(rest), "Signed in to qwen-code as ada@example.com") ||
		!strings.Contains(string(rest), "models: qw/<model>") {
		t.Errorf("login ended with %q", rest)
	}
	code, out, _ := run("providers", "list", "--data-dir", dir, "--config", cfgFile)
	if code != 0 || !strings.Contains(out, "ada@example.com(sign-in ada@example.com,ok,token valid)") {
		t.Fatalf("providers list: %d %q", code, out)
	}
}
