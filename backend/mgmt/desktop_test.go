package mgmt_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"switchboard/backend/accounts"
	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/events"
	"switchboard/backend/mgmt"
	"switchboard/backend/notify"
)

func startCore(t *testing.T, cfg config.Config) *core.Instance {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	in, err := core.Start(context.Background(), cfg, core.Options{Mode: "desktop", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		in.Shutdown(ctx)
	})
	return in
}

type client struct {
	t     *testing.T
	base  string
	token string
}

func (c client) do(method, path, body string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestNotificationPrefsAPI(t *testing.T) {
	in := startCore(t, config.Default())
	c := client{t, "http://" + in.Server.Addr(), in.Sessions.NewSession()}
	code, body := c.do("GET", "/api/notifications", "")
	var p notify.Prefs
	if code != 200 || json.Unmarshal([]byte(body), &p) != nil || !reflect.DeepEqual(p, notify.DefaultPrefs()) {
		t.Fatalf("defaults: %d %s", code, body)
	}
	if code, body = c.do("PUT", "/api/notifications", `{"enabled":true,"intervalSec":3}`); code != 400 || !strings.Contains(body, "intervalSec") {
		t.Fatalf("invalid interval: %d %s", code, body)
	}
	sub := in.Bus.Subscribe(16)
	defer sub.Close()
	code, body = c.do("PUT", "/api/notifications", `{"enabled":true,"breakerOpen":true,"quotaExhausted":false,"comboUnavailable":true,"oauthRefreshFailed":true,"recovered":false,"intervalSec":600,"quotaThreshold":true,"quotaThresholdPercent":80,"quotaThresholds":{"acct-1":50}}`)
	if code != 200 {
		t.Fatalf("save: %d %s", code, body)
	}
	want := notify.Prefs{Enabled: true, BreakerOpen: true, ComboUnavailable: true, OAuthRefreshFailed: true, IntervalSec: 600,
		QuotaThreshold: notify.On(), QuotaBack: notify.On(), KeyBudget: notify.On(), QuotaThresholdPercent: 80, QuotaThresholds: map[string]int{"acct-1": 50}}
	if got, _ := in.Services.GetNotificationPrefs(context.Background()); !reflect.DeepEqual(got, want) {
		t.Fatalf("stored %+v", got)
	}
	select {
	case e := <-sub.C:
		if e.Kind != notify.KindPrefsChanged || !reflect.DeepEqual(e.Data.(notify.Prefs), want) {
			t.Fatalf("event %+v", e)
		}
	case <-time.After(time.Second):
		t.Fatal("no prefs event for the running notifier")
	}
	// The quota alerts use the new threshold at once.
	if o := in.Services.Quota(); o.ThresholdPercent != 80 {
		t.Fatalf("quota threshold %d", o.ThresholdPercent)
	}
	// The shared UI settings are untouched.
	if st, _ := in.Services.GetSettings(context.Background()); !reflect.DeepEqual(st, mgmt.DefaultSettings()) {
		t.Fatalf("ui settings changed: %+v", st)
	}
}

func TestPauseAndResumeAProvider(t *testing.T) {
	cfg := config.Default()
	cfg.Providers = []config.ProviderConfig{{ID: "filecfg", Type: "openai-compatible", BaseURL: "http://127.0.0.1:1/v1",
		AllowLocal: true, Models: []string{"m"}, Accounts: []config.AccountConfig{{Name: "a", APIKey: "sk-file-000000000000"}}}}
	in := startCore(t, cfg)
	ctx := context.Background()
	c := client{t, "http://" + in.Server.Addr(), in.Sessions.NewSession()}
	a1, err := in.Services.AddAccount(ctx, "openai", mgmt.AccountInput{Name: "main", APIKey: "sk-openai-main-00000000"})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := in.Services.AddAccount(ctx, "openai", mgmt.AccountInput{Name: "spare", APIKey: "sk-openai-spare-0000000"})
	if err != nil {
		t.Fatal(err)
	}
	off := true
	if err := in.Services.UpdateAccount(ctx, a2.ID, accounts.AccountPatch{Disabled: &off}); err != nil { // the user's own choice
		t.Fatal(err)
	}
	states := func() map[string]bool {
		out := map[string]bool{}
		for _, p := range in.Services.Providers() {
			for _, a := range p.Accounts {
				out[p.ID+"/"+a.Name] = a.Disabled
			}
		}
		return out
	}
	sub := in.Bus.Subscribe(64)
	defer sub.Close()
	if code, body := c.do("POST", "/api/providers/openai/pause", ""); code != 204 {
		t.Fatalf("pause: %d %s", code, body)
	}
	if s := states(); !s["openai/main"] || !s["openai/spare"] {
		t.Fatalf("after pause: %v", s)
	}
	if code, _ := c.do("POST", "/api/providers/openai/pause", ""); code != 204 { // idempotent
		t.Fatalf("second pause: %d", code)
	}
	if code, body := c.do("GET", "/api/providers/paused", ""); code != 200 || strings.TrimSpace(body) != `["openai"]` {
		t.Fatalf("paused list: %d %s", code, body)
	}
	if !sawEvent(sub, mgmt.PausedChanged) {
		t.Fatal("no paused event")
	}
	if code, body := c.do("POST", "/api/providers/openai/resume", ""); code != 204 {
		t.Fatalf("resume: %d %s", code, body)
	}
	// Only what the pause disabled comes back.
	if s := states(); s["openai/main"] || !s["openai/spare"] {
		t.Fatalf("after resume: %v", s)
	}
	if ids, _ := in.Services.PausedProviders(ctx); len(ids) != 0 {
		t.Fatalf("still paused: %v", ids)
	}
	// Config-file accounts are the file's to change.
	if code, body := c.do("POST", "/api/providers/filecfg/pause", ""); code != 400 || !strings.Contains(body, "config file") {
		t.Fatalf("config provider: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/api/providers/nope/pause", ""); code != 400 {
		t.Fatalf("unknown provider: %d", code)
	}
	_ = a1
}

func sawEvent(sub *events.Subscription, k events.Kind) bool {
	deadline := time.After(time.Second)
	for {
		select {
		case e := <-sub.C:
			if e.Kind == k {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

func TestTrayEndpoints(t *testing.T) {
	in := startCore(t, config.Default())
	c := client{t, "http://" + in.Server.Addr(), in.Sessions.NewSession()}
	if code, body := c.do("GET", "/api/tray", ""); code != 404 || !strings.Contains(body, "no_tray") {
		t.Fatalf("headless tray: %d %s", code, body)
	}
	var got []string
	in.Services.SetDesktopHooks(mgmt.DesktopHooks{
		TrayMenu: func() any { return map[string]string{"icon": "ok"} },
		TrayAction: func(ctx context.Context, a string) error {
			if a == "bogus" {
				return mgmt.ErrInvalid
			}
			got = append(got, a)
			return nil
		},
	})
	if code, body := c.do("GET", "/api/tray", ""); code != 200 || strings.TrimSpace(body) != `{"icon":"ok"}` {
		t.Fatalf("tray: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/api/tray/action", `{"action":"open"}`); code != 204 || len(got) != 1 || got[0] != "open" {
		t.Fatalf("action: %d %v", code, got)
	}
	if code, _ := c.do("POST", "/api/tray/action", `{"action":"bogus"}`); code != 400 {
		t.Fatalf("bad action: %d", code)
	}
	// Without the session token the tray is not reachable.
	if code, _ := (client{t, c.base, "wrong"}).do("GET", "/api/tray", ""); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	if code, body := c.do("GET", "/api/usage/today", ""); code != 200 || !strings.Contains(body, `"requests":0`) {
		t.Fatalf("today: %d %s", code, body)
	}
	if code, body := c.do("GET", "/api/autostart", ""); code != 200 || !strings.Contains(body, `"supported":true`) {
		t.Fatalf("autostart: %d %s", code, body)
	}
}
