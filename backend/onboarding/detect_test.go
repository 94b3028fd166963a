package onboarding

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/backend/clitools"
	"switchboard/backend/signin"
	"switchboard/backend/transfer"
)

// fixtureHome is a temporary HOME with Claude Code and the Codex CLI
// installed on a temporary PATH, Claude Code signed in, and a Gemini CLI
// config folder but no gemini binary.
func fixtureHome(t *testing.T) (home string) {
	t.Helper()
	home = t.TempDir()
	bin := filepath.Join(home, "bin")
	for _, name := range []string{"claude", "codex"} {
		write(t, filepath.Join(bin, name), "#!/bin/sh\necho fixture\n", 0o755)
	}
	t.Setenv("PATH", bin)
	exp := time.Now().Add(time.Hour).UnixMilli()
	write(t, filepath.Join(home, ".claude", ".credentials.json"),
		`{"claudeAiOauth":{"accessToken":"sk-ant-oat01-fixture","refreshToken":"sk-ant-ort01-fixture","expiresAt":`+
			itoa(exp)+`,"scopes":["user:inference"],"subscriptionType":"max"}}`, 0o600)
	if err := os.MkdirAll(filepath.Join(home, ".gemini"), 0o700); err != nil {
		t.Fatal(err)
	}
	return home
}

func write(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// fakeOllama answers /api/tags as Ollama does.
func fakeOllama(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/tags" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"models":[{"name":"llama3.2:latest","model":"llama3.2:latest","size":2019393189},{"name":"qwen2.5-coder:7b"}]}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// closedPort is an address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestDetectFindsWhatTheMachineHas(t *testing.T) {
	home := fixtureHome(t)
	env := map[string]string{
		"OPENAI_API_KEY": "sk-proj-abcdefghijklmnop1234",
		"GEMINI_API_KEY": "AIzaSyFixtureFixtureFixture9876",
		"GOOGLE_API_KEY": "AIzaSyOtherOtherOtherOther5555",
		"GROQ_API_KEY":   "   ",
	}
	getenv := func(k string) string { return env[k] }
	tools := clitools.New(clitools.Options{DataDir: t.TempDir(), Env: clitools.Env{Home: home, Getenv: getenv, GOOS: "linux", LookPath: exec.LookPath}})
	ienv := signin.ImportEnv{Home: home, GOOS: "linux", Getenv: getenv, Now: time.Now}
	ollama := fakeOllama(t)
	src := Sources{
		Tools:           tools.Detect,
		SignInProviders: []SignInProvider{{ID: "claude", Name: "Claude"}, {ID: "codex", Name: "ChatGPT"}},
		FindSignIn:      func(id string) (string, bool) { return signin.FindCLILogin(id, ienv) },
		Peers: func() []transfer.PeerSource {
			return []transfer.PeerSource{{ID: "omniroute", Found: true}, {ID: "other", Found: false}}
		},
		Getenv: getenv,
		Local:  []LocalTarget{{ID: "ollama", Name: "Ollama", URL: ollama.URL}, {ID: "lmstudio", Name: "LM Studio", URL: closedPort(t)}},
	}
	r := Detect(context.Background(), src)

	var ids []string
	for _, tl := range r.Tools {
		ids = append(ids, tl.ID)
		if !strings.HasPrefix(tl.BinaryPath, filepath.Join(home, "bin")) {
			t.Errorf("%s binary %q; want it under the fixture PATH", tl.ID, tl.BinaryPath)
		}
	}
	if strings.Join(ids, ",") != "claude-code,codex" {
		t.Errorf("tools %v; want claude-code,codex (gemini has a config folder but no binary)", ids)
	}
	if len(r.SignIns) != 1 || r.SignIns[0].Provider != "claude" || r.SignIns[0].Source != filepath.Join(home, ".claude", ".credentials.json") {
		t.Errorf("sign-ins %+v; want Claude's fixture file only", r.SignIns)
	}
	want := []DetectedKey{
		{Var: "OPENAI_API_KEY", Provider: "openai", Hint: "sk-…1234"},
		{Var: "GEMINI_API_KEY", Provider: "gemini", Hint: "…9876"},
		{Var: "GOOGLE_API_KEY", Provider: "gemini", Hint: "…5555", Shadowed: true},
	}
	if len(r.Keys) != len(want) {
		t.Fatalf("keys %+v; want %+v", r.Keys, want)
	}
	for i := range want {
		if r.Keys[i] != want[i] {
			t.Errorf("key %d = %+v; want %+v", i, r.Keys[i], want[i])
		}
	}
	if o := r.Local[0]; !o.Reachable || strings.Join(o.Models, ",") != "llama3.2:latest,qwen2.5-coder:7b" {
		t.Errorf("ollama %+v; want reachable with two models", o)
	}
	if l := r.Local[1]; l.Reachable || l.Error == "" {
		t.Errorf("lm studio %+v; want unreachable with a reason", l)
	}
	if len(r.Peers) != 1 || r.Peers[0].ID != "omniroute" {
		t.Errorf("peers %+v; want only the one found", r.Peers)
	}
}

func TestDetectOnAnEmptyMachine(t *testing.T) {
	home := t.TempDir()
	t.Setenv("PATH", filepath.Join(home, "bin"))
	getenv := func(string) string { return "" }
	tools := clitools.New(clitools.Options{DataDir: t.TempDir(), Env: clitools.Env{Home: home, Getenv: getenv, GOOS: "linux", LookPath: exec.LookPath}})
	ienv := signin.ImportEnv{Home: home, GOOS: "linux", Getenv: getenv, Now: time.Now}
	r := Detect(context.Background(), Sources{Tools: tools.Detect, Getenv: getenv,
		SignInProviders: []SignInProvider{{ID: "claude"}, {ID: "codex"}},
		FindSignIn:      func(id string) (string, bool) { return signin.FindCLILogin(id, ienv) },
		Local:           []LocalTarget{{ID: "ollama", URL: closedPort(t)}}})
	if len(r.Tools)+len(r.SignIns)+len(r.Keys)+len(r.Peers) != 0 || r.Local[0].Reachable {
		t.Errorf("found %+v on an empty machine", r)
	}
}

func TestProbeRejectsWhatIsNotAModelServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/models" {
			_, _ = w.Write([]byte("<html>some other web app</html>"))
			return
		}
		w.WriteHeader(http.StatusForbidden)
	}))
	defer srv.Close()
	got := probe(context.Background(), nil, LocalTarget{ID: "lmstudio", URL: srv.URL})
	if got.Reachable || !strings.Contains(got.Error, "not a model list") {
		t.Errorf("html answer: %+v", got)
	}
	got = probe(context.Background(), nil, LocalTarget{ID: "ollama", URL: srv.URL})
	if got.Reachable || !strings.Contains(got.Error, "403") {
		t.Errorf("403 answer: %+v", got)
	}
}

func TestOllamaURLFollowsOllamaHost(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "http://127.0.0.1:11434",
		"0.0.0.0":                "http://127.0.0.1:11434",
		"127.0.0.1:9999":         "http://127.0.0.1:9999",
		"http://localhost:8080/": "http://localhost:8080",
		"https://box.lan":        "https://box.lan:11434",
		"[::]:7000":              "http://127.0.0.1:7000",
	} {
		if got := OllamaURL(in); got != want {
			t.Errorf("OllamaURL(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestMaskNeverShowsTheKey(t *testing.T) {
	for in, want := range map[string]string{
		"sk-proj-abcdefghijklmnop1234": "sk-…1234",
		"gsk_0123456789abcdefWXYZ":     "gsk_…WXYZ",
		"short":                        "…",
		"AIzaSyFixtureFixture9876":     "…9876",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestStateValidate(t *testing.T) {
	for _, ok := range []State{{}, {Status: StateComplete}, {Status: StateSkipped, Step: "keys"}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	for _, bad := range []State{{Status: "done"}, {Step: "nowhere"}, {Combo: strings.Repeat("x", 129)}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
