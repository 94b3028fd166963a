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
	"testing"
	"time"

	"switchboard/app/trayhelper/traymenu"
	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/mgmt"
)

// TestTrayControllerFollowsTheBus runs the controller against a real
// instance: a breaker trip shows within a second, today's totals follow
// requests, pause/resume and copy work, and an idle tray never reads the
// store.
func TestTrayControllerFollowsTheBus(t *testing.T) {
	t.Setenv("SWITCHBOARD_KEYRING", "off")
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(502)
		io.WriteString(w, `{"error":{"message":"bad gateway","type":"server_error"}}`)
	}))
	defer up.Close()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Providers = []config.ProviderConfig{{ID: "flaky", Name: "Flaky", Type: "openai-compatible", BaseURL: up.URL + "/v1",
		AllowLocal: true, Models: []string{"m"}, Accounts: []config.AccountConfig{{Name: "main", APIKey: "sk-flaky-0000000000"}}}}
	in, err := core.Start(context.Background(), cfg, core.Options{Mode: "desktop", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		in.Shutdown(ctx)
	}()
	ctx := context.Background()
	if _, err := in.Services.AddAccount(ctx, "openai", mgmt.AccountInput{Name: "work", APIKey: "sk-openai-work-00000000"}); err != nil {
		t.Fatal(err)
	}

	c := newTrayController(in.Services, in.Bus, slog.New(slog.DiscardHandler))
	var mu sync.Mutex
	var copied string
	c.copyText = func(s string) error { mu.Lock(); copied = s; mu.Unlock(); return nil }
	models := make(chan traymenu.Model, 256)
	c.setRenderer(func(m traymenu.Model) error {
		select {
		case models <- m:
		default:
		}
		return nil
	})
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go c.run(runCtx)
	waitFor := func(what string, within time.Duration, ok func(traymenu.Model) bool) traymenu.Model {
		t.Helper()
		deadline := time.After(within)
		for {
			select {
			case m := <-models:
				if ok(m) {
					return m
				}
			case <-deadline:
				m := c.Model()
				t.Fatalf("%s: not within %v; menu: %q", what, within, visible(m))
			}
		}
	}
	title := func(m traymenu.Model, id string) string { it, _ := m.Item(id); return it.Title }
	waitFor("first model", 2*time.Second, func(m traymenu.Model) bool { return strings.HasPrefix(title(m, "today"), "Today: 0 requests") })

	// Idle: countdown ticks recompute in memory, the store is not read.
	time.Sleep(100 * time.Millisecond)
	reads := c.storeReads.Load()
	time.Sleep(2500 * time.Millisecond)
	if n := c.storeReads.Load(); n != reads {
		t.Fatalf("an idle tray read the store %d times in 2.5 s", n-reads)
	}

	key, _ := in.Services.CreateKey(ctx, "t", "cli")
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
		req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+"/v1/chat/completions",
			strings.NewReader(`{"model":"flaky/m","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer "+key.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
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
