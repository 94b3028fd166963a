package notify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/events"
	"switchboard/backend/notify"
	"switchboard/backend/route"
)

// These tests talk to a real session bus (scripts/test.sh runs go test
// under dbus-run-session) on which they own org.freedesktop.Notifications
// themselves: a fake notification daemon that records every Notify call.

type notifyCall struct {
	AppName, Title, Body string
	Actions              []string
}

type fakeDaemon struct {
	conn  *dbus.Conn
	mu    sync.Mutex
	calls []notifyCall
	next  uint32
}

func (d *fakeDaemon) Notify(appName string, replacesID uint32, appIcon, summary, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, notifyCall{AppName: appName, Title: summary, Body: body, Actions: actions})
	d.next++
	return d.next, nil
}

func (d *fakeDaemon) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"actions", "body"}, nil
}

func (d *fakeDaemon) CloseNotification(id uint32) *dbus.Error { return nil }

func (d *fakeDaemon) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "fake", "switchboard-tests", "1", "1.2", nil
}

func (d *fakeDaemon) snapshot() []notifyCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]notifyCall(nil), d.calls...)
}

// waitCalls waits until n calls arrived, then a little longer to catch
// any extra one, and returns them all.
func (d *fakeDaemon) waitCalls(t *testing.T, n int) []notifyCall {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(d.snapshot()) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	return d.snapshot()
}

func startFakeDaemon(t *testing.T) *fakeDaemon {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no D-Bus session bus (run under dbus-run-session, as scripts/test.sh does)")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Skipf("session bus unreachable: %v", err)
	}
	d := &fakeDaemon{conn: conn}
	if err := conn.Export(d, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		t.Skipf("a notification daemon already runs on this bus (reply %v, %v): run under a private dbus-run-session", reply, err)
	}
	t.Cleanup(func() {
		conn.ReleaseName("org.freedesktop.Notifications")
		conn.Close()
	})
	return d
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestNotificationsFromTheGateway drives a real instance: one upstream
// answers 500 until its breaker opens, another answers 429
// insufficient_quota with a reset time, and a combo of both then has no
// target left. Exactly three notifications reach the daemon.
func TestNotificationsFromTheGateway(t *testing.T) {
	d := startFakeDaemon(t)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		io.WriteString(w, `{"error":{"message":"internal","type":"server_error"}}`)
	}))
	defer failing.Close()
	reset := time.Now().Add(3 * time.Hour).Truncate(time.Minute) // a whole minute: shown as HH:MM
	broke := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", reset.UTC().Format(time.RFC3339))
		w.WriteHeader(429)
		io.WriteString(w, `{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","code":"insufficient_quota"}}`)
	}))
	defer broke.Close()

	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Providers = []config.ProviderConfig{
		{ID: "flaky", Name: "Flaky Cloud", Type: "openai-compatible", BaseURL: failing.URL + "/v1", AllowLocal: true,
			Models: []string{"m"}, Accounts: []config.AccountConfig{{Name: "main", APIKey: "sk-flaky-0000000000"}}},
		{ID: "broke", Name: "Broke Cloud", Type: "openai-compatible", BaseURL: broke.URL + "/v1", AllowLocal: true,
			Models: []string{"m"}, Accounts: []config.AccountConfig{{Name: "work", APIKey: "sk-broke-0000000000"}}},
	}
	cfg.Combos = []config.ComboConfig{{Name: "coding", Targets: []config.TargetEntry{{Model: "flaky/m"}, {Model: "broke/m"}}}}
	clicked := make(chan string, 4)
	in, send := notifyingInstance(t, cfg, func(page string) { clicked <- page })
	tripped := func() bool {
		for _, b := range in.Health.Breakers() {
			if b.Provider == "flaky" && b.State == route.BreakerOpen {
				return true
			}
		}
		return false
	}
	for i := 0; i < 20 && !tripped(); i++ {
		send("flaky/m")
	}
	if !tripped() {
		t.Fatal("the failing upstream never tripped its breaker")
	}
	if code := send("broke/m"); code != 429 {
		t.Fatalf("quota request: status %d", code)
	}
	if code := send("coding"); code < 400 {
		t.Fatalf("combo request: status %d", code)
	}

	calls := d.waitCalls(t, 3)
	in.Events.Close() // flush the events table to read the breaker's message back
	rows, err := events.Recent(context.Background(), in.DB.DB, 100)
	if err != nil {
		t.Fatal(err)
	}
	tripMsg := ""
	for _, r := range rows {
		if r.Kind == string(route.ProviderTripped) {
			tripMsg = r.Message
		}
	}
	if !strings.Contains(tripMsg, "500") {
		t.Fatalf("breaker event message %q", tripMsg)
	}
	when := reset.In(time.Local).Format("15:04")
	if y, m, dd := reset.In(time.Local).Date(); y != time.Now().Year() || m != time.Now().Month() || dd != time.Now().Day() {
		when = "tomorrow " + when
	}
	want := []notifyCall{
		{AppName: "Switchboard", Title: "Flaky Cloud is failing",
			Body: "Switchboard stopped sending requests to Flaky Cloud after repeated errors and routes them to other providers until it answers again. Last error: " + tripMsg},
		{AppName: "Switchboard", Title: "Broke Cloud quota exhausted",
			Body: "Account work of Broke Cloud is out of quota until " + when + ". Other accounts and providers take its requests meanwhile."},
		{AppName: "Switchboard", Title: "Combo coding is unavailable",
			Body: "Every target of coding is cooling down, failing or disabled: requests to it fail until one recovers."},
	}
	sameCalls(t, calls, want)

	// A click on the quota notification opens the providers page.
	if err := d.conn.Emit("/org/freedesktop/Notifications", "org.freedesktop.Notifications.ActionInvoked", uint32(2), "default"); err != nil {
		t.Fatal(err)
	}
	select {
	case page := <-clicked:
		if page != notify.PageProviders {
			t.Fatalf("click opened %q", page)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the click never reached the app")
	}
}

// TestFlappingProviderThroughTheDaemon: a provider tripping and recovering
// every 20 s for ten minutes (injected clock) raises one trip alert and
// its recovery per 5-minute interval, not sixty notifications.
func TestFlappingProviderThroughTheDaemon(t *testing.T) {
	d := startFakeDaemon(t)
	dn, err := notify.NewDBus(nil, nil, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer dn.Close()
	var mu sync.Mutex
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.Local)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	svc := notify.New(notify.Options{Notifier: dn, Now: clock, Log: quiet(),
		Format: notify.Formatter{Name: func(string) string { return "OpenAI" }}})
	for i := 0; i < 15; i++ { // 15 × 40 s = 10 minutes
		svc.Handle(events.Event{Kind: events.Kind(route.ProviderTripped), Data: route.Change{Kind: route.ProviderTripped, Provider: "openai"}})
		advance(20 * time.Second)
		svc.Handle(events.Event{Kind: events.Kind(route.ProviderRecovered), Data: route.Change{Kind: route.ProviderRecovered, Provider: "openai"}})
		advance(20 * time.Second)
		svc.Remind()
	}
	calls := d.waitCalls(t, 4)
	var got []string
	for _, c := range calls {
		got = append(got, c.AppName+": "+c.Title)
	}
	want := []string{"Switchboard: OpenAI is failing", "Switchboard: OpenAI recovered",
		"Switchboard: OpenAI is failing", "Switchboard: OpenAI recovered"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("flapping for 10 minutes raised %q, want %q", got, want)
	}
}

// TestBeeepNotifierUsesTheAppName: the portable notifier (beeep) reaches
// the same daemon with the app's name.
func TestBeeepNotifierUsesTheAppName(t *testing.T) {
	d := startFakeDaemon(t)
	if err := notify.NewBeeep(nil).Notify(notify.Notification{Title: "T", Body: "B"}); err != nil {
		t.Fatal(err)
	}
	calls := d.waitCalls(t, 1)
	if len(calls) != 1 || calls[0].AppName != "Switchboard" || calls[0].Title != "T" || calls[0].Body != "B" {
		t.Fatalf("%+v", calls)
	}
}

// TestQuotaNotificationsFromTheGateway drives a real instance whose
// upstream reports a plan window on every answer (Codex's headers): the
// window crosses the threshold, is used up, then resets. The daemon gets
// exactly one notification of each, however many answers repeat them.
func TestQuotaNotificationsFromTheGateway(t *testing.T) {
	d := startFakeDaemon(t)
	reset := time.Now().Truncate(time.Second).Add(4 * time.Second)
	var mu sync.Mutex
	used := []int{50, 92, 95, 93, 100}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		u := 10 // a new period
		if len(used) > 0 {
			u, used = used[0], used[1:]
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Codex-Primary-Used-Percent", fmt.Sprint(u))
		w.Header().Set("X-Codex-Primary-Window-Minutes", "300")
		if u != 10 {
			w.Header().Set("X-Codex-Primary-Reset-At", fmt.Sprint(reset.Unix()))
		}
		io.WriteString(w, `{"id":"c","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}`)
	}))
	defer up.Close()
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	cfg.Providers = []config.ProviderConfig{{ID: "acme", Name: "Acme Plan", Type: "openai-compatible", BaseURL: up.URL + "/v1",
		AllowLocal: true, Models: []string{"m"}, Accounts: []config.AccountConfig{{Name: "work", APIKey: "sk-acme-0000000000"}}}}
	clicked := make(chan string, 4)
	_, send := notifyingInstance(t, cfg, func(page string) { clicked <- page })
	for i := range 5 {
		if code := send("acme/m"); code != 200 {
			t.Fatalf("answer %d: %d", i, code)
		}
	}
	// Used up: the next requests are refused here, without the upstream.
	for range 3 {
		if code := send("acme/m"); code != 429 {
			t.Fatalf("while used up: %d", code)
		}
	}
	time.Sleep(time.Until(reset) + 500*time.Millisecond)
	if code := send("acme/m"); code != 200 {
		t.Fatalf("after the reset: %d", code)
	}
	calls := d.waitCalls(t, 3)
	when := reset.In(time.Local).Format("15:04")
	want := []notifyCall{
		{AppName: "Switchboard", Title: "Acme Plan: 5-hour at 92%",
			Body: "Account work of Acme Plan has used 92% of its 5-hour window; it resets at " + when + "."},
		{AppName: "Switchboard", Title: "Acme Plan quota exhausted",
			Body: "Account work of Acme Plan is out of quota (5-hour window) until " + when + ". Other accounts and providers take its requests meanwhile."},
		{AppName: "Switchboard", Title: "Acme Plan quota back",
			Body: "Account work of Acme Plan has quota again (5-hour window); requests go to it again."},
	}
	sameCalls(t, calls, want)
	// A click on the threshold alert opens the Limits page.
	if err := d.conn.Emit("/org/freedesktop/Notifications", "org.freedesktop.Notifications.ActionInvoked", uint32(1), "default"); err != nil {
		t.Fatal(err)
	}
	select {
	case page := <-clicked:
		if page != notify.PageLimits {
			t.Fatalf("click opened %q", page)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the click never reached the app")
	}
}

// sameCalls compares what the daemon got with want; every notification
// has a default (click) action.
func sameCalls(t *testing.T, calls, want []notifyCall) {
	t.Helper()
	if len(calls) != len(want) {
		t.Fatalf("%d notifications, want %d: %+v", len(calls), len(want), calls)
	}
	for i := range want {
		if calls[i].AppName != want[i].AppName || calls[i].Title != want[i].Title || calls[i].Body != want[i].Body {
			t.Errorf("notification %d:\n got  %q / %q / %q\n want %q / %q / %q", i,
				calls[i].AppName, calls[i].Title, calls[i].Body, want[i].AppName, want[i].Title, want[i].Body)
		}
		if len(calls[i].Actions) != 2 || calls[i].Actions[0] != "default" {
			t.Errorf("notification %d has no default (click) action: %q", i, calls[i].Actions)
		}
	}
}

// notifyingInstance starts an instance from cfg with the notification
// service on the session bus (onClick gets the page a click opens), and
// returns it with a function that sends one chat request for a model and
// returns the status. Everything stops when the test ends.
func notifyingInstance(t *testing.T, cfg config.Config, onClick func(string)) (*core.Instance, func(model string) int) {
	t.Helper()
	in, err := core.Start(context.Background(), cfg, core.Options{Mode: "desktop", Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		in.Shutdown(ctx)
	})
	dn, err := notify.NewDBus(onClick, nil, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dn.Close() })
	svc := notify.New(notify.Options{Notifier: dn, Format: notify.Formatter{Name: notify.SnapshotNames(in.Routes)}, Log: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if !svc.Listen(ctx, in.Bus) {
		t.Fatal("no bus subscription")
	}
	ck, err := in.Services.CreateKey(context.Background(), "t", "cli")
	if err != nil {
		t.Fatal(err)
	}
	return in, func(model string) int {
		req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+"/v1/chat/completions",
			strings.NewReader(`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer "+ck.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
}
