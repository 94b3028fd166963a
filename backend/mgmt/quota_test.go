package mgmt_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/mgmt"
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

// A request whose answer carries rate-limit headers is on the Limits page
// within the save delay, and the live channel says so: the status pushed
// over /api/events carries a new quotaRev (the page re-reads on it).
func TestQuotaSavePushesStatus(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ratelimit-limit-requests", "1000")
		w.Header().Set("x-ratelimit-remaining-requests", "280")
		w.Header().Set("x-ratelimit-reset-requests", "1h12m0s")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"pong"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)
	}))
	defer up.Close()
	cfg := config.Default()
	cfg.Providers = []config.ProviderConfig{{ID: "metered", Type: "openai-compatible", BaseURL: up.URL + "/v1", AllowLocal: true,
		Models: []string{"m"}, Accounts: []config.AccountConfig{{Name: "ops", APIKey: "sk-metered-0000000000"}}}}
	in := startCore(t, cfg)
	c := client{t, "http://" + in.Server.Addr(), in.Sessions.NewSession()}
	before := in.Services.Status().QuotaRev

	// the live channel, as the dashboard reads it
	req, _ := http.NewRequest("GET", c.base+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	revs := make(chan int64, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var st mgmt.Status
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && json.Unmarshal([]byte(data), &st) == nil {
				revs <- st.QuotaRev
			}
		}
	}()

	key, err := in.Services.CreateKey(context.Background(), "t", "cli")
	if err != nil {
		t.Fatal(err)
	}
	chat, _ := http.NewRequest("POST", c.base+"/v1/chat/completions", strings.NewReader(`{"model":"metered/m","messages":[{"role":"user","content":"hi"}]}`))
	chat.Header.Set("Authorization", "Bearer "+key.Secret)
	r, err := http.DefaultClient.Do(chat)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Fatalf("chat: %d", r.StatusCode)
	}
	deadline := time.After(5 * time.Second)
	for moved := false; !moved; {
		select {
		case rev := <-revs:
			moved = rev > before
		case <-deadline:
			t.Fatalf("no status push with a new quotaRev (still %d)", in.Services.Status().QuotaRev)
		}
	}
	o := in.Services.Quota()
	if len(o.Accounts) != 1 || o.Accounts[0].Tightest == nil || o.Accounts[0].Tightest.Percent != 72 || o.Accounts[0].Tightest.Source != quota.SourceHeaders {
		t.Fatalf("overview after the answer: %+v", o)
	}
}
