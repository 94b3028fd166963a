package core

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/route"
	"switchboard/backend/store"
)

// TestCooldownsSurviveKill: an upstream answers 429 with a one-hour
// Retry-After; the process is killed with SIGKILL (no shutdown, no final
// save) a moment later; the next start still rests that account until the
// upstream's time.
func TestCooldownsSurviveKill(t *testing.T) {
	if spec := os.Getenv("SB_CORE_COOLDOWN_CHILD"); spec != "" {
		cooldownChild(spec) // never returns: the parent kills it
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error":{"message":"slow down","type":"rate_limit_exceeded","code":"rate_limit_exceeded"}}`)
	}))
	defer up.Close()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCooldownsSurviveKill$")
	cmd.Env = append(os.Environ(), "SB_CORE_COOLDOWN_CHILD="+dir+"|"+up.URL, "SWITCHBOARD_KEYRING=off")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(30 * time.Second)
	for cooled := false; !cooled; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the child ended before it was rate limited")
			}
			cooled = strings.HasPrefix(l, "cooled")
		case <-deadline:
			t.Fatal("the child was never rate limited")
		}
	}
	time.Sleep(4 * CooldownSaveDelay) // the batched save, then SIGKILL
	start := time.Now()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	db, err := store.Open(context.Background(), dir+"/switchboard.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if res, err := db.IntegrityCheck(context.Background()); err != nil || res != "ok" {
		t.Fatalf("integrity_check = %q, %v", res, err)
	}
	h := route.NewHealth(nil, 1)
	if err := h.LoadCooldowns(context.Background(), db.DB); err != nil {
		t.Fatal(err)
	}
	cs := h.Cooldowns()
	if len(cs) != 1 || cs[0].Provider != "up" {
		t.Fatalf("after SIGKILL the restart knows cooldowns %+v, want the one for provider up", cs)
	}
	if left := time.Until(cs[0].Until); left < 59*time.Minute-time.Since(start) || left > time.Hour {
		t.Errorf("restored rest ends in %v, want about an hour (the upstream's Retry-After)", left)
	}
}

// cooldownChild runs an instance over dir routed to the upstream, gets one
// 429, says "cooled" and waits to be killed.
func cooldownChild(spec string) {
	dir, upURL, _ := strings.Cut(spec, "|")
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", dir
	cfg.Providers = []config.ProviderConfig{{ID: "up", Type: "openai-compatible", BaseURL: upURL + "/v1", AllowLocal: true,
		Models: []string{"m"}, Accounts: []config.AccountConfig{{Name: "a", APIKey: "sk-up-1234567890"}}}}
	in, err := Start(context.Background(), cfg, Options{Mode: "headless", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println("start:", err)
		os.Exit(2)
	}
	ck, err := in.Services.CreateKey(context.Background(), "t", "cli")
	if err != nil {
		os.Exit(2)
	}
	req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+"/v1/chat/completions",
		strings.NewReader(`{"model":"up/m","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+ck.Secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		os.Exit(2)
	}
	resp.Body.Close()
	fmt.Println("cooled", resp.StatusCode)
	select {}
}
