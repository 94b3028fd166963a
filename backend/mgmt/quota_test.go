package mgmt_test

import (
	"encoding/json"
	"strings"
	"testing"

	"switchboard/backend/config"
	"switchboard/backend/quota"
)

func TestQuotaAPI(t *testing.T) {
	cfg := config.Default()
	reserve := 20
	cfg.QuotaReservePercent = &reserve
	cfg.Providers = []config.ProviderConfig{{ID: "openai", Accounts: []config.AccountConfig{{Name: "work", APIKey: "sk-test-0000000000"}}}}
	in := startCore(t, cfg)
	c := client{t, "http://" + in.Server.Addr(), in.Sessions.NewSession()}

	code, body := c.do("GET", "/api/quota", "")
	var o quota.Overview
	if code != 200 || json.Unmarshal([]byte(body), &o) != nil {
		t.Fatalf("GET /api/quota: %d %s", code, body)
	}
	if o.ReservePercent != 20 || !o.ReserveFromConfig || o.ThresholdPercent != 90 || len(o.Accounts) != 1 {
		t.Fatalf("overview %+v", o)
	}
	a := o.Accounts[0]
	if a.Provider != "openai" || a.ProviderName != "OpenAI" || a.Account != "work" || a.State != "ok" || a.Polled || a.Windows == nil {
		t.Fatalf("account %+v", a)
	}
	// The config file's reserve wins over the settings.
	if code, body := c.do("PUT", "/api/settings", `{"theme":"dark","quotaReservePercent":5}`); code != 200 {
		t.Fatalf("settings: %d %s", code, body)
	}
	if o := in.Services.Quota(); o.ReservePercent != 20 {
		t.Fatalf("reserve %d after a settings change, want the config's 20", o.ReservePercent)
	}
	if code, body := c.do("PUT", "/api/settings", `{"theme":"dark","quotaReservePercent":51}`); code != 400 || !strings.Contains(body, "quotaReservePercent") {
		t.Fatalf("reserve 51: %d %s", code, body)
	}
	// An API key has no usage endpoint to refresh; an unknown account is 404.
	if code, body := c.do("POST", "/api/quota/"+a.AccountID+"/refresh", ""); code != 400 || !strings.Contains(body, "no usage endpoint") {
		t.Fatalf("refresh of an API key: %d %s", code, body)
	}
	if code, body := c.do("POST", "/api/quota/nope/refresh", ""); code != 404 {
		t.Fatalf("refresh of nothing: %d %s", code, body)
	}
	if code, body := c.do("GET", "/api/quota/tray", ""); code != 200 || strings.TrimSpace(body) != "[]" {
		t.Fatalf("tray: %d %s", code, body)
	}
	anon := client{t, c.base, "nope"}
	if code, _ := anon.do("GET", "/api/quota", ""); code != 401 {
		t.Fatalf("without a session: %d", code)
	}
}
