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
	"sync"
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

// crashKey is the local key the kill-loop children are configured with.
const crashKey = "sk-sb-crashloop-0123456789abcdef0123456789"

// TestKillLoopUnderLoad kills a loaded instance with SIGKILL 20 times over
// the same data directory. After every kill: the database passes
// integrity_check, the cooldown learned in the first run is still there,
// no request was logged twice, and the request-log rows lost are at most
// what was answered in the recorder's last batch window (250 ms) plus what
// was in flight (the bound the README states).
func TestKillLoopUnderLoad(t *testing.T) {
	if spec := os.Getenv("SB_CORE_KILL_CHILD"); spec != "" {
		killLoopChild(spec) // never returns: the parent kills it
	}
	if testing.Short() {
		t.Skip("SKIP: kill loop (-short)")
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(string(body), `"model":"cool"`) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"error":{"message":"slow down","type":"rate_limit_exceeded"}}`)
			return
		}
		_, _ = io.WriteString(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)
	}))
	defer up.Close()
	dir := t.TempDir()
	const kills, window, inflight = 20, 250 * time.Millisecond, killLoopWorkers
	var answered, allowedLoss int
	for i := range kills {
		run := time.Duration(700+i*20) * time.Millisecond // longer than the window, so the bound bites
		if i == 0 {
			run = 4 * CooldownSaveDelay // the cooldown of the first run reaches the disk
		}
		n, recent := runAndKill(t, dir, up.URL, window+150*time.Millisecond, run) // + scheduling slack
		answered += n
		allowedLoss += recent + inflight
		db, err := store.Open(context.Background(), dir+"/switchboard.db")
		if err != nil {
			t.Fatalf("kill %d: reopen: %v", i+1, err)
		}
		if res, err := db.IntegrityCheck(context.Background()); err != nil || res != "ok" {
			t.Fatalf("kill %d: integrity_check = %q, %v", i+1, res, err)
		}
		h := route.NewHealth(nil, 1)
		if err := h.LoadCooldowns(context.Background(), db.DB); err != nil || len(h.Cooldowns()) != 1 {
			t.Fatalf("kill %d: cooldowns after restart %+v (%v), want the one learned in run 1", i+1, h.Cooldowns(), err)
		}
		var rows, distinct int
		_ = db.QueryRow(`SELECT count(*), count(DISTINCT req_id) FROM request_logs WHERE requested_model = 'up/m' AND status = 200`).Scan(&rows, &distinct)
		db.Close()
		if rows != distinct {
			t.Fatalf("kill %d: %d log rows but %d distinct requests", i+1, rows, distinct)
		}
		if rows > answered+inflight*(i+1) {
			t.Fatalf("kill %d: %d log rows for %d answered requests", i+1, rows, answered)
		}
		if lost := answered - rows; lost > allowedLoss {
			t.Fatalf("kill %d: %d of %d answered requests have no log row; the bound is %d", i+1, lost, answered, allowedLoss)
		}
		if i == kills-1 {
			t.Logf("%d kills: %d requests answered, %d logged (lost %d, bound %d)", kills, answered, rows, answered-rows, allowedLoss)
		}
	}
}

const killLoopWorkers = 4

// runAndKill starts a child on dir, lets it serve for run, kills it and
// returns how many requests it answered, and how many of those in the last
// window before the kill.
func runAndKill(t *testing.T, dir, upURL string, window, run time.Duration) (answered, recent int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillLoopUnderLoad$")
	cmd.Env = append(os.Environ(), "SB_CORE_KILL_CHILD="+dir+"|"+upURL, "SWITCHBOARD_KEYRING=off")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type mark struct {
		at time.Time
		n  int
	}
	// The reader keeps up with the child (no buffer fills), so a mark's
	// time is when the child answered, to within scheduling noise.
	var mu sync.Mutex
	var marks []mark
	ready, eof := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(eof)
		sc := bufio.NewScanner(out)
		once := false
		for sc.Scan() {
			var n int
			if _, err := fmt.Sscanf(sc.Text(), "answered %d", &n); err == nil {
				mu.Lock()
				marks = append(marks, mark{time.Now(), n})
				mu.Unlock()
			}
			if !once && strings.HasPrefix(sc.Text(), "serving") {
				once = true
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the child did not start serving")
	}
	time.Sleep(run)
	killedAt := time.Now()
	_ = cmd.Process.Kill()
	<-eof // every line the child wrote, before Wait closes the pipe
	_ = cmd.Wait()
	for _, m := range marks {
		answered = max(answered, m.n)
		if m.at.After(killedAt.Add(-window)) {
			recent++
		}
	}
	return answered, recent
}

// killLoopChild serves on dir with a config-declared key, makes sure the
// "cool" model is resting, then keeps killLoopWorkers requests in flight,
// printing the running count of answered ones.
func killLoopChild(spec string) {
	dir, upURL, _ := strings.Cut(spec, "|")
	cfg := config.Default()
	cfg.Listen, cfg.DataDir, cfg.Source = "127.0.0.1:0", dir, "kill-loop.yaml"
	cfg.Keys = []config.KeyConfig{{Name: "load", Key: crashKey}}
	cfg.Providers = []config.ProviderConfig{{ID: "up", Type: "openai-compatible", BaseURL: upURL + "/v1", AllowLocal: true,
		Models: []string{"m", "cool"}, Accounts: []config.AccountConfig{{Name: "a", APIKey: "sk-up-1234567890"}}}}
	in, err := Start(context.Background(), cfg, Options{Mode: "headless", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println("start:", err)
		os.Exit(2)
	}
	base := "http://" + in.Server.Addr() + "/v1/chat/completions"
	post := func(model string) int {
		req, _ := http.NewRequest("POST", base, strings.NewReader(`{"model":"up/`+model+`","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer "+crashKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	post("cool")
	fmt.Println("serving")
	var mu sync.Mutex
	n := 0
	for range killLoopWorkers {
		go func() {
			for {
				if post("m") == http.StatusOK {
					mu.Lock()
					n++
					fmt.Println("answered", n)
					mu.Unlock()
				}
			}
		}()
	}
	select {}
}
