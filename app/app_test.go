package app

import (
	"bytes"
	"strings"
	"testing"

	"switchboard/backend/mgmt"
)

func TestTrayMenu(t *testing.T) {
	items := TrayMenu(mgmt.Status{Endpoint: "http://127.0.0.1:20128", Requests: 7})
	want := []MenuItem{
		{"status", "Switchboard: running on http://127.0.0.1:20128", false},
		{"requests", "Requests served: 7", false},
		{"open", "Open dashboard", true},
		{"quit", "Quit Switchboard", true},
	}
	if len(items) != len(want) {
		t.Fatalf("items %v", items)
	}
	for i := range want {
		if items[i] != want[i] {
			t.Errorf("item %d = %+v, want %+v", i, items[i], want[i])
		}
	}
}

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(nil, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLIKeysAndConfigErrors(t *testing.T) {
	t.Setenv("SWITCHBOARD_KEYRING", "off")
	dir := t.TempDir()
	code, out, _ := run("--version")
	if code != 0 || !strings.HasPrefix(out, "switchboard ") {
		t.Fatalf("--version: %d %q", code, out)
	}
	code, secret, errs := run("keys", "create", "--name", "laptop", "--data-dir", dir)
	if code != 0 || !strings.HasPrefix(secret, "sk-sb-") || !strings.Contains(errs, "not shown again") {
		t.Fatalf("keys create: %d %q %q", code, secret, errs)
	}
	code, out, _ = run("keys", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "laptop") || strings.Contains(out, strings.TrimSpace(secret)) {
		t.Fatalf("keys list: %d %q", code, out)
	}
	code, _, _ = run("keys", "revoke", "laptop", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("revoke: %d", code)
	}
	if code, _, _ = run("keys", "revoke", "laptop", "--data-dir", dir); code != 1 {
		t.Fatalf("revoke unknown: %d", code)
	}
	// Environment overrides and a bad value is refused before anything starts.
	t.Setenv("SWITCHBOARD_LOG_FORMAT", "xml")
	code, _, errs = run("serve", "--data-dir", dir, "--listen", "nonsense")
	if code != 2 || !strings.Contains(errs, "log_format") || !strings.Contains(errs, "listen") {
		t.Fatalf("bad config: %d %q", code, errs)
	}
	if code, _, _ = run("frobnicate"); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
}
