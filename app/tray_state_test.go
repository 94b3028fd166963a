package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/app/trayhelper/traymenu"
	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/mgmt"
)

// trayRig is a real instance with one provider on a scripted upstream, and
// a tray controller following it whose rendered models the test reads.
type trayRig struct {
	t      *testing.T
	in     *core.Instance
	c      *trayController
	models chan traymenu.Model
	secret string // a gateway key
}

func newTrayRig(t *testing.T, id, name string, upstream http.HandlerFunc) *trayRig {
	t.Helper()
	t.Setenv("SWITCHBOARD_KEYRING", "off")
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Providers = []config.ProviderConfig{{ID: id, Name: name, Type: "openai-compatible", BaseURL: up.URL + "/v1",
		AllowLocal: true, Models: []string{"m"}, Accounts: []config.AccountConfig{{Name: "main", APIKey: config.Secret("sk-" + id + "-0000000000")}}}}
	in := startInstance(t, cfg, slog.New(slog.DiscardHandler))
	key, err := in.Services.CreateKey(context.Background(), "t", "cli")
	if err != nil {
		t.Fatal(err)
	}
	r := &trayRig{t: t, in: in, c: newTrayController(in.Services, in.Bus, slog.New(slog.DiscardHandler)),
		models: make(chan traymenu.Model, 256), secret: key.Secret}
	r.c.setRenderer(func(m traymenu.Model) error {
		select {
		case r.models <- m:
		default:
		}
		return nil
	})
	return r
}

// startInstance starts a desktop-mode instance, shut down when the test ends.
func startInstance(t *testing.T, cfg config.Config, log *slog.Logger) *core.Instance {
	t.Helper()
	in, err := core.Start(context.Background(), cfg, core.Options{Mode: "desktop", Log: log})
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

// run starts the controller until the test ends.
func (r *trayRig) run() {
	ctx, stop := context.WithCancel(context.Background())
	r.t.Cleanup(stop)
	go r.c.run(ctx)
}

// waitFor returns the first rendered model ok accepts within the time.
func (r *trayRig) waitFor(what string, within time.Duration, ok func(traymenu.Model) bool) traymenu.Model {
	r.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case m := <-r.models:
			if ok(m) {
				return m
			}
		case <-deadline:
			r.t.Fatalf("%s: not within %v; menu: %q", what, within, visible(r.c.Model()))
		}
	}
}

// chat sends one chat completion through the gateway to model.
func (r *trayRig) chat(model string) {
	r.t.Helper()
	req, _ := http.NewRequest("POST", "http://"+r.in.Server.Addr()+"/v1/chat/completions",
		strings.NewReader(`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+r.secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
}

func title(m traymenu.Model, id string) string { it, _ := m.Item(id); return it.Title }

// TestTrayControllerFollowsTheBus runs the controller against a real
// instance: a breaker trip shows within a second, today's totals follow
// requests, pause/resume and copy work, and an idle tray never reads the
// store.
func TestTrayControllerFollowsTheBus(t *testing.T) {
	r := newTrayRig(t, "flaky", "Flaky", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(502)
		io.WriteString(w, `{"error":{"message":"bad gateway","type":"server_error"}}`)
	})
	in, c := r.in, r.c
	ctx := context.Background()
	if _, err := in.Services.AddAccount(ctx, "openai", mgmt.AccountInput{Name: "work", APIKey: "sk-openai-work-00000000"}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var copied string
	c.copyText = func(s string) error { mu.Lock(); copied = s; mu.Unlock(); return nil }
	r.run()
	waitFor := r.waitFor
	waitFor("first model", 2*time.Second, func(m traymenu.Model) bool { return strings.HasPrefix(title(m, "today"), "Today: 0 requests") })

	// Idle with nothing counting down: no timer fires, the store is not read.
	time.Sleep(100 * time.Millisecond)
	reads, ticks := c.storeReads.Load(), c.ticks.Load()
	time.Sleep(2500 * time.Millisecond)
	if n := c.storeReads.Load(); n != reads {
		t.Fatalf("an idle tray read the store %d times in 2.5 s", n-reads)
	}
	if n := c.ticks.Load(); n != ticks {
		t.Fatalf("an idle tray with no countdown woke %d times in 2.5 s", n-ticks)
	}

	tripped := func() bool {
		for _, b := range in.Health.Breakers() {
			if b.Provider == "flaky" && b.State == "open" {
				return true
			}
		}
		return false
	}
	sent := 0
	for i := 0; i < 20 && !tripped(); i++ {
		r.chat("flaky/m")
		sent++
	}
	if !tripped() {
		t.Fatal("no trip")
	}
	m := waitFor("breaker shown", time.Second, func(m traymenu.Model) bool {
		return strings.HasPrefix(title(m, "provider.0"), "✕ Flaky: breaker open, retry in ")
	})
	if m.Icon != traymenu.IconDown {
		t.Fatalf("icon %s", m.Icon)
	}
	// The countdown ticks by itself, with no event.
	shown := title(m, "provider.0")
	waitFor("countdown ticking", 2500*time.Millisecond, func(m traymenu.Model) bool {
		t := title(m, "provider.0")
		return strings.HasPrefix(t, "✕ Flaky: breaker open, retry in ") && t != shown
	})
	waitFor("today's requests", 3*time.Second, func(m traymenu.Model) bool {
		return strings.HasPrefix(title(m, "today"), "Today: "+itoa(sent)+" requests")
	})

	if err := c.Do(ctx, "pause:openai"); err != nil {
		t.Fatal(err)
	}
	waitFor("paused", time.Second, func(m traymenu.Model) bool {
		p, _ := m.Item("provider.1.pause")
		return title(m, "provider.1") == "⏸ OpenAI: paused" && p.Action == "resume:openai"
	})
	if err := c.Do(ctx, "resume:openai"); err != nil {
		t.Fatal(err)
	}
	waitFor("resumed", time.Second, func(m traymenu.Model) bool { return title(m, "provider.1") == "✓ OpenAI: ok" })

	if err := c.Do(ctx, "copy-endpoint"); err != nil {
		t.Fatal(err)
	}
	waitFor("copied", time.Second, func(m traymenu.Model) bool { return strings.HasPrefix(title(m, "endpoint"), "✓ Copied") })
	mu.Lock()
	if copied != "http://"+in.Server.Addr() {
		t.Fatalf("copied %q", copied)
	}
	mu.Unlock()
	if err := c.Do(ctx, "reset"); err != nil {
		t.Fatal(err)
	}
	waitFor("reset", time.Second, func(m traymenu.Model) bool { return title(m, "provider.0") == "✓ Flaky: ok" })
	if err := c.Do(ctx, "frobnicate"); !errors.Is(err, mgmt.ErrInvalid) {
		t.Fatalf("unknown action: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestTrayShowsQuotaFromHeaders runs the controller against a real instance
// whose upstream sends OpenAI rate-limit headers: the provider line shows
// the window the answer described, turns amber once the reserve covers it,
// and red when an answer says it is used up.
func TestTrayShowsQuotaFromHeaders(t *testing.T) {
	var remaining atomic.Int64
	remaining.Store(280)
	r := newTrayRig(t, "metered", "Metered", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("x-ratelimit-limit-requests", "1000")
		w.Header().Set("x-ratelimit-remaining-requests", strconv.FormatInt(remaining.Load(), 10))
		w.Header().Set("x-ratelimit-reset-requests", "1h12m0s")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"pong"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)
	})
	r.run()
	line := func(m traymenu.Model) string { return title(m, "provider.0") }
	r.waitFor("first model", 5*time.Second, func(m traymenu.Model) bool { return line(m) == "✓ Metered: ok" })

	r.chat("metered/m")
	m := r.waitFor("the window", 5*time.Second, func(m traymenu.Model) bool {
		return strings.HasPrefix(line(m), "✓ Metered: requests 72% · resets 1h 1")
	})
	if m.Icon != traymenu.IconOK {
		t.Fatalf("icon %s at 72%% without a reserve", m.Icon)
	}

	reserve := 30 // 28 % left is inside it
	if _, err := r.in.Services.SaveSettings(context.Background(), mgmt.Settings{Theme: "system", QuotaReservePercent: &reserve}); err != nil {
		t.Fatal(err)
	}
	m = r.waitFor("the reserve", 5*time.Second, func(m traymenu.Model) bool {
		return strings.HasPrefix(line(m), "⚠ Metered: requests 72% · in reserve · resets 1h 1")
	})
	if m.Icon != traymenu.IconDegraded {
		t.Fatalf("icon %s inside the reserve", m.Icon)
	}

	remaining.Store(0)
	r.chat("metered/m")
	m = r.waitFor("used up", 5*time.Second, func(m traymenu.Model) bool {
		return strings.HasPrefix(line(m), "✕ Metered: out of quota · requests 100% · back in 1h 1")
	})
	if m.Icon != traymenu.IconDown {
		t.Fatalf("icon %s when used up", m.Icon)
	}
}
