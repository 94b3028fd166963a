package core

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/backend/clitools"
	"switchboard/backend/config"
	"switchboard/backend/mgmt"
	"switchboard/backend/onboarding"
	"switchboard/backend/signin"
	"switchboard/backend/usage"
)

// onboardingRig is a fresh instance on a temporary HOME holding Claude
// Code (binary on PATH, signed in), an OpenAI key in the environment and
// an Ollama on an httptest server; Claude's and OpenAI's catalog entries
// point at scripted upstreams.
type onboardingRig struct {
	in     *Instance
	home   string
	claude *claudeUpstream
	openai *httptest.Server
	ollama *httptest.Server
	env    map[string]string
}

const onboardingOpenAIKey = "sk-proj-onboarding-fixture-0042"

func newOnboardingRig(t *testing.T) *onboardingRig {
	home := t.TempDir()
	t.Setenv("HOME", home) // the CLI tools service edits files here
	for _, k := range []string{"CLAUDE_CONFIG_DIR", "CODEX_HOME", "XDG_CONFIG_HOME"} {
		t.Setenv(k, "")
	}
	bin := filepath.Join(home, "bin")
	writeFixture(t, filepath.Join(bin, "claude"), "#!/bin/sh\n", 0o755)
	t.Setenv("PATH", bin)
	writeFixture(t, filepath.Join(home, ".claude", ".credentials.json"),
		`{"claudeAiOauth":{"accessToken":"sk-ant-oat01-imported","refreshToken":"sk-ant-ort01-imported","expiresAt":`+
			strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)+`,"subscriptionType":"max"}}`, 0o600)

	r := &onboardingRig{home: home, claude: newClaudeUpstream(t), env: map[string]string{"OPENAI_API_KEY": onboardingOpenAIKey}}
	r.openai = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		if req.Header.Get("Authorization") != "Bearer "+onboardingOpenAIKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"c1","object":"chat.completion","model":"gpt-5","choices":[{"index":0,"message":{"role":"assistant","content":"openai here"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`)
	}))
	t.Cleanup(r.openai.Close)
	r.ollama = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch req.URL.Path {
		case "/api/tags":
			_, _ = io.WriteString(w, `{"models":[{"name":"llama3.2:latest"}]}`)
		case "/v1/models":
			_, _ = io.WriteString(w, `{"object":"list","data":[{"id":"llama3.2:latest","object":"model"}]}`)
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(r.ollama.Close)

	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	cfg.Providers = []config.ProviderConfig{
		{ID: "claude", BaseURL: r.claude.srv.URL, AllowLocal: true},
		{ID: "openai", BaseURL: r.openai.URL + "/v1", AllowLocal: true},
	}
	ienv := signin.ImportEnv{Home: home, GOOS: "linux", Getenv: func(string) string { return "" }, Now: time.Now}
	in, err := Start(context.Background(), cfg, Options{Mode: "headless", Log: slog.New(slog.DiscardHandler), ImportEnv: &ienv})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(in) })
	in.Services.SetOnboarding(mgmt.OnboardingEnv{Getenv: func(k string) string { return r.env[k] },
		Local: []onboarding.LocalTarget{{ID: "ollama", Name: "Ollama", URL: r.ollama.URL}, {ID: "lmstudio", Name: "LM Studio", URL: "http://127.0.0.1:1"}}})
	r.in = in
	return r
}

func writeFixture(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

func TestOnboardingStateIsKept(t *testing.T) {
	r := newOnboardingRig(t)
	ctx, svc := context.Background(), r.in.Services
	st, err := svc.GetOnboarding(ctx)
	if err != nil || st.Status != onboarding.StatePending {
		t.Fatalf("fresh state %+v, %v; want pending", st, err)
	}
	if _, err := svc.SaveOnboarding(ctx, onboarding.State{Status: "finished"}); !errors.Is(err, mgmt.ErrInvalid) {
		t.Errorf("unknown status: %v; want ErrInvalid", err)
	}
	if _, err := svc.SaveOnboarding(ctx, onboarding.State{Status: onboarding.StateSkipped, Step: "keys"}); err != nil {
		t.Fatal(err)
	}
	st, _ = svc.GetOnboarding(ctx)
	if st.Status != onboarding.StateSkipped || st.Step != "keys" || st.UpdatedAt == 0 {
		t.Errorf("read back %+v", st)
	}
}

func TestOnboardingDetectsAndEachStepWrites(t *testing.T) {
	r := newOnboardingRig(t)
	ctx, svc := context.Background(), r.in.Services

	rep := svc.DetectSetup(ctx)
	if len(rep.Tools) != 1 || rep.Tools[0].ID != "claude-code" {
		t.Errorf("tools %+v; want Claude Code only (the one binary on PATH)", rep.Tools)
	}
	if len(rep.SignIns) != 1 || rep.SignIns[0].Provider != "claude" || rep.SignIns[0].Connected {
		t.Errorf("sign-ins %+v; want Claude's, not connected yet", rep.SignIns)
	}
	if len(rep.Keys) != 1 || rep.Keys[0].Hint != "sk-…0042" || rep.Keys[0].Added {
		t.Errorf("keys %+v; want OPENAI_API_KEY masked, not added", rep.Keys)
	}
	if !rep.Local[0].Reachable || rep.Local[0].Added || rep.Local[1].Reachable {
		t.Errorf("local %+v; want Ollama reachable (not added), LM Studio not", rep.Local)
	}

	// step: subscriptions (the existing import)
	if _, err := svc.ImportSignIn(ctx, "claude", "imported"); err != nil {
		t.Fatal(err)
	}
	// step: keys
	if _, err := svc.AddEnvKey(ctx, "NOT_A_KEY_VAR"); !errors.Is(err, mgmt.ErrInvalid) {
		t.Errorf("unknown variable: %v", err)
	}
	if _, err := svc.AddEnvKey(ctx, "GROQ_API_KEY"); !errors.Is(err, mgmt.ErrInvalid) || !strings.Contains(err.Error(), "not set") {
		t.Errorf("unset variable: %v", err)
	}
	a, err := svc.AddEnvKey(ctx, "OPENAI_API_KEY")
	if err != nil || a.Name != "OPENAI_API_KEY" || a.Last4 != "0042" {
		t.Fatalf("env key account %+v, %v", a, err)
	}
	if _, err := svc.AddEnvKey(ctx, "OPENAI_API_KEY"); !errors.Is(err, mgmt.ErrInvalid) || !strings.Contains(err.Error(), "already") {
		t.Errorf("second add: %v; want already added", err)
	}
	// step: local servers
	if _, err := svc.AddLocalServer(ctx, "lmstudio"); !errors.Is(err, mgmt.ErrInvalid) || !strings.Contains(err.Error(), "not reachable") {
		t.Errorf("unreachable LM Studio: %v", err)
	}
	pv, err := svc.AddLocalServer(ctx, "ollama")
	if err != nil || pv.BaseURL != r.ollama.URL+"/v1" || len(pv.Accounts) != 1 || !pv.Usable {
		t.Fatalf("ollama %+v, %v; want usable at the probed address with one keyless account", pv, err)
	}
	if len(pv.Models) != 1 || pv.Models[0].ID != "llama3.2:latest" {
		t.Errorf("ollama models %+v; want what the server serves", pv.Models)
	}
	rep = svc.DetectSetup(ctx)
	if !rep.SignIns[0].Connected || !rep.Keys[0].Added || !rep.Local[0].Added {
		t.Errorf("after the steps: %+v %+v %+v; want each marked done", rep.SignIns, rep.Keys, rep.Local)
	}

	// step: combo (the existing suggestion, subscriptions → keys → local)
	combo := svc.SuggestedCombo()
	var order []string
	for _, tg := range combo.Targets {
		order = append(order, strings.SplitN(tg.Model, "/", 2)[0])
	}
	if strings.Join(order, ",") != "cc,openai,ollama" {
		t.Fatalf("suggested combo %v; want subscription, key, local", order)
	}
	if err := svc.SaveCombo(ctx, combo); err != nil {
		t.Fatal(err)
	}

	// step: tools (the existing plan and apply)
	plan, err := svc.PlanTool(ctx, "claude-code", clitools.Choice{Model: combo.Name})
	if err != nil || len(plan.Files) == 0 || !plan.Changed() {
		t.Fatalf("plan %+v, %v", plan, err)
	}
	if _, err := svc.ApplyTool(ctx, "claude-code", clitools.Choice{Model: combo.Name}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(r.home, ".claude", "settings.json"))
	if !strings.Contains(string(b), r.in.Server.Addr()) {
		t.Errorf("Claude Code settings do not point at the gateway:\n%s", b)
	}

	// step: test request through the gateway
	res, err := svc.SendSetupTest(ctx, combo.Name)
	if err != nil || !res.OK || res.Answer != "hi" || !strings.HasPrefix(res.Route, "claude/") {
		t.Fatalf("test request %+v, %v; want the subscription's answer", res, err)
	}
	if toks := r.claude.tokens(); len(toks) == 0 || toks[len(toks)-1] != "sk-ant-oat01-imported" {
		t.Errorf("upstream saw %q; want the imported token", toks)
	}
	for _, k := range svc.ListKeys() {
		if k.Name == mgmt.SetupTestKey {
			t.Errorf("the test key is still there: %+v", k)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		rows, _ := svc.Logs(ctx, usage.Filter{KeyName: mgmt.SetupTestKey})
		if len(rows) == 1 && rows[0].Status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log row for the test request: %+v", rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSetupTestReportsAFailure(t *testing.T) {
	r := newOnboardingRig(t)
	ctx, svc := context.Background(), r.in.Services
	if _, err := svc.SendSetupTest(ctx, "  "); !errors.Is(err, mgmt.ErrInvalid) {
		t.Errorf("empty model: %v", err)
	}
	res, err := svc.SendSetupTest(ctx, "openai/gpt-5")
	if err != nil || res.OK || res.Status < 400 || res.Error == "" {
		t.Errorf("no usable account: %+v, %v; want a failed answer with the gateway's message", res, err)
	}
}

func TestOnboardingAPI(t *testing.T) {
	r := newOnboardingRig(t)
	base := "http://" + r.in.Server.Addr()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	if code, _, _ := do(t, c, "GET", base+"/api/onboarding/detect", nil, ""); code != 401 {
		t.Fatalf("detect without a session: %d", code)
	}
	token := r.in.LoginURL[strings.Index(r.in.LoginURL, "token=")+6:]
	do(t, c, "GET", base+"/login?token="+token, nil, "")
	js := map[string]string{"Content-Type": "application/json"}

	code, body, _ := do(t, c, "GET", base+"/api/onboarding/detect", nil, "")
	if code != 200 || !strings.Contains(body, `"hint":"sk-…0042"`) || strings.Contains(body, onboardingOpenAIKey) {
		t.Fatalf("detect: %d %s; want the masked hint and never the key", code, body)
	}
	if code, body, _ = do(t, c, "PUT", base+"/api/onboarding", js, `{"status":"later"}`); code != 400 || !strings.Contains(body, "later") {
		t.Errorf("bad status: %d %s", code, body)
	}
	if code, body, _ = do(t, c, "PUT", base+"/api/onboarding", js, `{"status":"complete","combo":"coding"}`); code != 200 {
		t.Errorf("complete: %d %s", code, body)
	}
	if _, body, _ = do(t, c, "GET", base+"/api/onboarding", nil, ""); !strings.Contains(body, `"status":"complete"`) || !strings.Contains(body, `"combo":"coding"`) {
		t.Errorf("read back: %s", body)
	}
	code, body, _ = do(t, c, "POST", base+"/api/onboarding/env-keys/OPENAI_API_KEY", nil, "")
	if code != 200 || !strings.Contains(body, `"last4":"0042"`) || strings.Contains(body, onboardingOpenAIKey) {
		t.Errorf("env key: %d %s", code, body)
	}
	if code, body, _ = do(t, c, "POST", base+"/api/onboarding/env-keys/PATH", nil, ""); code != 400 {
		t.Errorf("a variable outside the table: %d %s", code, body)
	}
	if code, body, _ = do(t, c, "POST", base+"/api/onboarding/local/lmstudio", nil, ""); code != 400 || !strings.Contains(body, "not reachable") {
		t.Errorf("unreachable local server: %d %s", code, body)
	}
	if code, body, _ = do(t, c, "POST", base+"/api/onboarding/test", js, `{"model":""}`); code != 400 {
		t.Errorf("test without a model: %d %s", code, body)
	}
	code, body, _ = do(t, c, "POST", base+"/api/onboarding/test", js, `{"model":"openai/gpt-5"}`)
	if code != 200 || !strings.Contains(body, `"ok":true`) || !strings.Contains(body, `"answer":"openai here"`) {
		t.Errorf("test request: %d %s", code, body)
	}
}
