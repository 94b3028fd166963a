package core

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/server"
)

func start(t *testing.T, listen string) *Instance {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = listen
	cfg.DataDir = t.TempDir()
	ui := fstest.MapFS{"index.html": {Data: []byte("<html>dashboard</html>")}}
	in, err := Start(context.Background(), cfg, Options{Mode: "headless", UI: ui, Log: slog.New(slog.DiscardHandler)})
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

func do(t *testing.T, c *http.Client, method, url string, hdr map[string]string, body string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestPortInUse(t *testing.T) {
	in := start(t, "127.0.0.1:0")
	cfg := config.Default()
	cfg.Listen = in.Server.Addr()
	cfg.DataDir = t.TempDir()
	_, err := Start(context.Background(), cfg, Options{Mode: "headless", Log: slog.New(slog.DiscardHandler)})
	var pe *server.PortInUseError
	if !errors.As(err, &pe) {
		t.Fatalf("want PortInUseError, got %v", err)
	}
	_, port, _ := strings.Cut(in.Server.Addr(), ":")
	if msg := err.Error(); !strings.Contains(msg, "port "+port) || !strings.Contains(msg, "--listen") {
		t.Fatalf("message does not say which port and how to pick another: %s", msg)
	}
}

func TestV1NeedsKeyInEveryDialect(t *testing.T) {
	in := start(t, "127.0.0.1:0")
	base := "http://" + in.Server.Addr()
	c := http.DefaultClient
	ck, err := in.Services.CreateKey(context.Background(), "t", "cli")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, method, path string
		hdr                map[string]string
		want               string // a marker of the dialect's error shape
	}{
		{"openai", "GET", "/v1/models", nil, `"type":"authentication_error"`},
		{"anthropic", "POST", "/v1/messages?beta=true", map[string]string{"anthropic-version": "2023-06-01"}, `"type":"error"`},
		{"gemini", "GET", "/v1beta/models", nil, `"status":"UNAUTHENTICATED"`},
		{"responses", "POST", "/v1/responses", nil, `"error":{`},
	}
	for _, tc := range cases {
		code, body, _ := do(t, c, tc.method, base+tc.path, tc.hdr, "{}")
		if code != 401 || !strings.Contains(body, tc.want) {
			t.Errorf("%s without key: %d %s", tc.name, code, body)
		}
	}
	for _, hdr := range []map[string]string{
		{"Authorization": "Bearer " + ck.Secret},
		{"x-api-key": ck.Secret, "anthropic-version": "2023-06-01"},
	} {
		code, body, _ := do(t, c, "GET", base+"/v1/models", hdr, "")
		if code != 200 {
			t.Errorf("with key %v: %d %s", hdr, code, body)
		}
	}
	code, body, _ := do(t, c, "GET", base+"/v1beta/models?key="+ck.Secret, nil, "")
	if code != 200 || !strings.Contains(body, `"models"`) {
		t.Errorf("gemini ?key=: %d %s", code, body)
	}
	code, _, _ = do(t, c, "GET", base+"/v1beta/models", map[string]string{"x-goog-api-key": ck.Secret}, "")
	if code != 200 {
		t.Errorf("x-goog-api-key: %d", code)
	}
	code, _, _ = do(t, c, "GET", base+"/v1/models", map[string]string{"Authorization": "Bearer sk-sb-wrong-wrong-wrong"}, "")
	if code != 401 {
		t.Errorf("wrong key: %d", code)
	}
	code, _, _ = do(t, c, "HEAD", base+"/", nil, "")
	if code != 200 {
		t.Errorf("HEAD /: %d", code)
	}
}

func TestManagementGuards(t *testing.T) {
	in := start(t, "127.0.0.1:0")
	base := "http://" + in.Server.Addr()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}

	// No session: 401; foreign Host: 403 on /api and on the dashboard.
	if code, _, _ := do(t, c, "GET", base+"/api/status", nil, ""); code != 401 {
		t.Fatalf("api without session: %d", code)
	}
	for _, p := range []string{"/api/status", "/", "/login?token=x"} {
		if code, _, _ := do(t, c, "GET", base+p, map[string]string{"Host": "evil.example"}, ""); code != 403 {
			t.Errorf("Host evil.example on %s: %d", p, code)
		}
	}
	// The one-time link logs in once.
	token := in.LoginURL[strings.Index(in.LoginURL, "token=")+6:]
	code, body, _ := do(t, c, "GET", base+"/login?token="+token, nil, "")
	if code != 200 || !strings.Contains(body, "dashboard") {
		t.Fatalf("login redirect to dashboard: %d %s", code, body)
	}
	if code, _, _ := do(t, &http.Client{}, "GET", base+"/login?token="+token, nil, ""); code != 401 {
		t.Fatalf("login link reused: %d", code)
	}
	code, body, hdr := do(t, c, "GET", base+"/api/status", nil, "")
	if code != 200 || !strings.Contains(body, `"mode":"headless"`) {
		t.Fatalf("status: %d %s", code, body)
	}
	if hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS header sent")
	}
	// Same-origin write works; cross-origin write is refused.
	code, body, _ = do(t, c, "POST", base+"/api/keys", map[string]string{"Content-Type": "application/json", "Origin": base}, `{"name":"ui"}`)
	if code != 201 || !strings.Contains(body, `"secret":"sk-sb-`) {
		t.Fatalf("same-origin create: %d %s", code, body)
	}
	code, _, _ = do(t, c, "POST", base+"/api/keys", map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, `{"name":"x"}`)
	if code != 403 {
		t.Fatalf("cross-origin POST: %d", code)
	}
	var ks []map[string]any
	_, body, _ = do(t, c, "GET", base+"/api/keys", nil, "")
	json.Unmarshal([]byte(body), &ks)
	if len(ks) != 1 || strings.Contains(body, "sk-sb-") {
		t.Fatalf("key list: %s", body)
	}
	code, body, _ = do(t, c, "PUT", base+"/api/settings", map[string]string{"Content-Type": "application/json"}, `{"logRequestBodies":true,"theme":"neon"}`)
	if code != 400 || !strings.Contains(body, "theme") {
		t.Fatalf("bad settings: %d %s", code, body)
	}
}

func TestGracefulShutdownFlushes(t *testing.T) {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	in, err := Start(context.Background(), cfg, Options{Mode: "headless", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ck, _ := in.Services.CreateKey(context.Background(), "u", "cli")
	do(t, http.DefaultClient, "GET", "http://"+in.Server.Addr()+"/v1/models", map[string]string{"Authorization": "Bearer " + ck.Secret}, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := in.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// Re-open: the last-used time was flushed on shutdown.
	in2, err := Open(context.Background(), cfg, Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer in2.DB.Close()
	if ks := in2.Keys.List(); len(ks) != 1 || ks[0].LastUsedAt == "" {
		t.Fatalf("usage not flushed: %+v", ks)
	}
}

func TestProvidersAPI(t *testing.T) {
	in := start(t, "127.0.0.1:0")
	base := "http://" + in.Server.Addr()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	token := in.LoginURL[strings.Index(in.LoginURL, "token=")+6:]
	do(t, c, "GET", base+"/login?token="+token, nil, "")
	js := map[string]string{"Content-Type": "application/json"}
	code, body, _ := do(t, c, "POST", base+"/api/providers", js,
		`{"id":"mine","type":"openai-compatible","baseUrl":"http://127.0.0.1:9/v1","prefix":"mine","models":["m1"],"allowLocal":true}`)
	if code != 204 {
		t.Fatalf("save provider: %d %s", code, body)
	}
	code, body, _ = do(t, c, "POST", base+"/api/providers/mine/accounts", js, `{"name":"work","apiKey":"sk-secret-upstream-9876"}`)
	if code != 201 || !strings.Contains(body, `"last4":"9876"`) {
		t.Fatalf("add account: %d %s", code, body)
	}
	code, body, _ = do(t, c, "GET", base+"/api/providers", nil, "")
	if code != 200 || !strings.Contains(body, `"id":"mine"`) || strings.Contains(body, "sk-secret") {
		t.Fatalf("list: %d %s", code, body)
	}
	code, body, _ = do(t, c, "GET", base+"/api/models", nil, "")
	if code != 200 || !strings.Contains(body, `"mine/m1"`) {
		t.Fatalf("models: %s", body)
	}
	code, body, _ = do(t, c, "POST", base+"/api/providers", js, `{"id":"bad","type":"nonsense"}`)
	if code != 400 {
		t.Fatalf("bad provider: %d %s", code, body)
	}
	code, _, _ = do(t, c, "PUT", base+"/api/aliases", js, `{"Alias":"fast","Target":"mine/m1"}`)
	_, body, _ = do(t, c, "GET", base+"/api/aliases", nil, "")
	if code != 204 || !strings.Contains(body, `"fast":"mine/m1"`) {
		t.Fatalf("alias: %d %s", code, body)
	}
	_, body, _ = do(t, c, "GET", base+"/api/catalog", nil, "")
	if !strings.Contains(body, `"id":"anthropic"`) || !strings.Contains(body, `"tier":"local"`) {
		t.Fatalf("catalog: %.200s", body)
	}
	code, _, _ = do(t, c, "GET", base+"/api/logs?status=error&limit=5", nil, "")
	if code != 200 {
		t.Fatalf("logs: %d", code)
	}
}

func TestToolsAPI(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home+"/.config")
	t.Setenv("CODEX_HOME", "")
	in := start(t, "127.0.0.1:0")
	base := "http://" + in.Server.Addr()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	token := in.LoginURL[strings.Index(in.LoginURL, "token=")+6:]
	do(t, c, "GET", base+"/login?token="+token, nil, "")
	code, body, _ := do(t, c, "GET", base+"/api/tools", nil, "")
	if code != 200 || !strings.Contains(body, `"claude-code"`) || !strings.Contains(body, "OPENAI_BASE_URL") {
		t.Fatalf("tools: %d %.300s", code, body)
	}
	js := map[string]string{"Content-Type": "application/json"}
	code, body, _ = do(t, c, "POST", base+"/api/tools/codex/plan", js, `{"model":"openai/gpt-5"}`)
	if code != 200 || !strings.Contains(body, "wire_api") || !strings.Contains(body, base+"/v1") {
		t.Fatalf("plan: %d %.400s", code, body)
	}
	code, body, _ = do(t, c, "POST", base+"/api/tools/codex/apply", js, `{"model":"openai/gpt-5"}`)
	if code != 200 {
		t.Fatalf("apply: %d %s", code, body)
	}
	if ks := in.Keys.List(); len(ks) != 1 || ks[0].Source != "tool" {
		t.Fatalf("tool key: %+v", ks)
	}
	code, body, _ = do(t, c, "POST", base+"/api/tools/codex/undo", nil, "")
	if code != 200 || len(in.Keys.List()) != 0 {
		t.Fatalf("undo: %d %s keys=%d", code, body, len(in.Keys.List()))
	}
	code, body, _ = do(t, c, "POST", base+"/api/tools/nonsense/plan", js, `{"model":"x"}`)
	if code != 400 {
		t.Fatalf("unknown tool: %d %s", code, body)
	}
}

// core.serve knows the mode: only the desktop window's wails:// origin needs
// the Wails Host names, so a headless server refuses them.
func TestWailsHostsOnlyInDesktopMode(t *testing.T) {
	for mode, want := range map[string]int{"headless": 403, "desktop": 200} {
		cfg := config.Default()
		cfg.Listen = "127.0.0.1:0"
		cfg.DataDir = t.TempDir()
		ui := fstest.MapFS{"index.html": {Data: []byte("<html>dashboard</html>")}}
		in, err := Start(context.Background(), cfg, Options{Mode: mode, UI: ui, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + in.Server.Addr()
		for _, host := range []string{"wails.localhost", "wails"} {
			if code, _, _ := do(t, &http.Client{}, "GET", base+"/", map[string]string{"Host": host}, ""); code != want {
				t.Errorf("%s, Host %s: %d, want %d", mode, host, code, want)
			}
		}
		if code, _, _ := do(t, &http.Client{}, "GET", base+"/", nil, ""); code != 200 {
			t.Errorf("%s, own address: %d", mode, code)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		in.Shutdown(ctx)
		cancel()
	}
}
