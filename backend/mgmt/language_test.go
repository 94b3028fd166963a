package mgmt_test

import (
	"strings"
	"testing"

	"switchboard/backend/config"
	"switchboard/backend/i18n"
)

// TestLanguageSetting: the language is "system" until chosen, only the
// shipped locales are accepted, a save without it keeps it, and a saved
// choice becomes the Go side's language at once.
func TestLanguageSetting(t *testing.T) {
	defer i18n.SetPreference(i18n.System)
	in := startCore(t, config.Default())
	c := client{t, "http://" + in.Server.Addr(), in.Sessions.NewSession()}
	if code, body := c.do("GET", "/api/settings", ""); code != 200 || !strings.Contains(body, `"language":"system"`) {
		t.Fatalf("GET: %d %s", code, body)
	}
	if code, body := c.do("PUT", "/api/settings", `{"theme":"system","language":"de"}`); code != 400 || !strings.Contains(body, "language") {
		t.Fatalf("PUT de: %d %s", code, body)
	}
	if code, body := c.do("PUT", "/api/settings", `{"theme":"dark","language":"pt-BR"}`); code != 200 || !strings.Contains(body, `"language":"pt-BR"`) {
		t.Fatalf("PUT pt-BR: %d %s", code, body)
	}
	if got := i18n.Current().Locale; got != "pt-BR" {
		t.Fatalf("Go side speaks %q after the save", got)
	}
	if code, body := c.do("PUT", "/api/settings", `{"theme":"light"}`); code != 200 || !strings.Contains(body, `"language":"pt-BR"`) {
		t.Fatalf("a save without language dropped it: %d %s", code, body)
	}
}
