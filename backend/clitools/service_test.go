package clitools

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestFreshHome(t *testing.T) {
	ctx := context.Background()
	for _, tool := range registry {
		t.Run(tool.id, func(t *testing.T) {
			h := newHarness(t)
			res, err := h.svc.Apply(ctx, tool.id, Choice{Model: "fake/m"})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Files {
				if f.Action != "created" {
					t.Errorf("%s: %s", f.Path, f.Action)
				}
			}
			for _, spec := range tool.files(h.svc.env) {
				fi, err := os.Stat(spec.path)
				if err != nil {
					t.Fatal(err)
				}
				want := os.FileMode(0o644)
				if spec.secret {
					want = 0o600
				}
				if runtime.GOOS != "windows" && fi.Mode().Perm() != want {
					t.Errorf("%s: mode %o, want %o", spec.path, fi.Mode().Perm(), want)
				}
			}
			golden(t, h.home, filepath.Join("testdata", "fresh", tool.id))
			if st := statusOf(t, h.svc, tool.id); st.State != StateOurs || st.Model == "" {
				t.Errorf("status after apply: %+v", st)
			}
			if _, err := h.svc.Undo(ctx, tool.id); err != nil {
				t.Fatal(err)
			}
			if left := tree(t, h.home); len(left) != 0 {
				t.Errorf("files left after undo: %v", left)
			}
			if d := dirs(t, h.home); len(d) != 0 {
				t.Errorf("folders left after undo: %v", d)
			}
		})
	}
}

func TestMalformedFilesAreLeftAlone(t *testing.T) {
	cases := []struct {
		tool, rel, content, want string
	}{
		{"claude-code", ".claude/settings.json", "{\n  \"env\": {\n    \"A\": \"1\"\n    \"B\": \"2\"\n  }\n}\n", "line 4"},
		{"claude-code", ".claude/settings.json", "{\n  /* unterminated\n", "line 2"},
		{"claude-code", ".claude/settings.json", "[1, 2]\n", "top level must be an object"},
		{"codex", ".codex/config.toml", "model = \"x\"\n[tui\nnotifications = true\n", "line 2"},
		{"codex", ".codex/config.toml", "model = \"x\nfoo = 1\n", "unterminated string"},
		{"codex", ".codex/config.toml", "[a]\nx = 1\n[a]\ny = 2\n", "defined twice"},
		{"gemini-cli", ".gemini/.env", "GEMINI_MODEL=\"unterminated\nX=1\n", "line 1"},
		{"gemini-cli", ".gemini/.env", "this is not an env file\n", "line 1"},
		{"continue", ".continue/config.yaml", "name: x\nmodels:\n  - name: a\n   provider: b\n", "line 2"},
		{"opencode", ".config/opencode/opencode.json", "{\"model\": \"a\",, }", "line 1"},
	}
	for _, c := range cases {
		t.Run(c.tool+"/"+c.want, func(t *testing.T) {
			h := newHarness(t)
			p := filepath.Join(h.home, c.rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := h.svc.Apply(context.Background(), c.tool, Choice{Model: "m"})
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want a MalformedError", err)
			}
			if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "untouched") {
				t.Errorf("error %q should name %s and %q", err, p, c.want)
			}
			b, _ := os.ReadFile(p)
			if string(b) != c.content {
				t.Error("file was changed")
			}
			if h.keys.issued != 0 {
				t.Error("a key was minted for a file we could not write")
			}
			if st := statusOf(t, h.svc, c.tool); st.State != StateMalformed || !strings.Contains(st.Detail, c.want) {
				t.Errorf("status %+v", st)
			}
			if _, err := h.svc.Plan(context.Background(), c.tool, Choice{Model: "m"}); !errors.As(err, &me) {
				t.Errorf("plan err = %v", err)
			}
		})
	}
}

func TestBackupsRotateAndUndoStillRestores(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	copyTree(t, filepath.Join("testdata", "claude-code", "before"), h.home)
	before := tree(t, h.home)
	for i := 0; i < 14; i++ {
		model := "m" + string(rune('a'+i))
		if _, err := h.svc.Apply(ctx, "claude-code", Choice{Model: model}); err != nil {
			t.Fatal(err)
		}
	}
	bk := h.svc.Backups("claude-code")
	if len(bk) != MaxBackups {
		t.Errorf("%d backups kept, want %d: %v", len(bk), MaxBackups, bk)
	}
	if h.keys.issued != 1 {
		t.Errorf("%d keys minted across re-applies, want 1", h.keys.issued)
	}
	if _, err := h.svc.Undo(ctx, "claude-code"); err != nil {
		t.Fatal(err)
	}
	sameTree(t, tree(t, h.home), before, "undo after 14 applies")
	if n := len(h.svc.Backups("claude-code")); n > MaxBackups {
		t.Errorf("%d backups after undo", n)
	}
}

func TestReapplyChangesModelAndDropsStaleSlots(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	copyTree(t, filepath.Join("testdata", "claude-code", "before"), h.home)
	before := tree(t, h.home)
	if _, err := h.svc.Apply(ctx, "claude-code", Choice{Model: "a", Slots: map[string]string{"haiku": "small"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Apply(ctx, "claude-code", Choice{Model: "b"}); err != nil {
		t.Fatal(err)
	}
	got := tree(t, h.home)[".claude/settings.json"]
	if strings.Contains(got, `"small"`) || !strings.Contains(got, `"ANTHROPIC_DEFAULT_HAIKU_MODEL": "b"`) {
		t.Errorf("re-apply did not replace the slot:\n%s", got)
	}
	// the model is remembered: apply without one keeps it
	plan, err := h.svc.Plan(ctx, "claude-code", Choice{})
	if err != nil || plan.Changed() || plan.Model != "b" {
		t.Errorf("plan without a model: %v %+v", err, plan)
	}
	if _, err := h.svc.Undo(ctx, "claude-code"); err != nil {
		t.Fatal(err)
	}
	sameTree(t, tree(t, h.home), before, "undo")
}

func TestUserEditsBetweenApplies(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	copyTree(t, filepath.Join("testdata", "codex", "before"), h.home)
	p := filepath.Join(h.home, ".codex", "config.toml")
	if _, err := h.svc.Apply(ctx, "codex", Choice{Model: "a"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	edited := strings.Replace(string(b), "[tui]\nnotifications = true", "[tui]\nnotifications = false", 1)
	if err := os.WriteFile(p, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Apply(ctx, "codex", Choice{Model: "b"}); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(p)
	if !strings.Contains(string(b), "notifications = false") || !strings.Contains(string(b), `model = "b"`) {
		t.Fatalf("re-apply lost the edit or the model:\n%s", b)
	}
	if _, err := h.svc.Undo(ctx, "codex"); err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(tree(t, filepath.Join("testdata", "codex", "before"))[".codex/config.toml"],
		"notifications = true", "notifications = false", 1)
	b, _ = os.ReadFile(p)
	if string(b) != want {
		t.Errorf("undo:\n%s", unifiedDiff("config.toml", want, string(b), false))
	}
}

func TestUserChangedOurValueKeepsIt(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	copyTree(t, filepath.Join("testdata", "claude-code", "before"), h.home)
	p := filepath.Join(h.home, ".claude", "settings.json")
	if _, err := h.svc.Apply(ctx, "claude-code", Choice{Model: "a"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	edited := strings.Replace(string(b), `"ANTHROPIC_MODEL": "a"`, `"ANTHROPIC_MODEL": "mine"`, 1)
	if err := os.WriteFile(p, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Undo(ctx, "claude-code"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(p)
	s := string(b)
	if !strings.Contains(s, `"ANTHROPIC_MODEL": "mine"`) || strings.Contains(s, "ANTHROPIC_BASE_URL") || !strings.Contains(s, `"ANTHROPIC_API_KEY": "sk-ant-api03-user-own-key"`) {
		t.Errorf("undo:\n%s", s)
	}
	if _, err := newJSONDoc(s); err != nil {
		t.Error(err)
	}
}

func TestKeyReuseAndRenewal(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	if _, err := h.svc.Apply(ctx, "opencode", Choice{Model: "m"}); err != nil {
		t.Fatal(err)
	}
	// a key revoked elsewhere no longer verifies: the next apply mints one
	_ = h.keys.Revoke(ctx, "opencode")
	res, err := h.svc.Apply(ctx, "opencode", Choice{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.KeyCreated || !res.Changed || h.keys.issued != 2 {
		t.Errorf("apply after revoke: %+v issued=%d", res, h.keys.issued)
	}
	if !strings.Contains(tree(t, h.home)[".config/opencode/opencode.json"], "sk-sb-test-opencode-2") {
		t.Error("new key not written")
	}
	// the plan never mints
	_ = h.keys.Revoke(ctx, "opencode")
	plan, err := h.svc.Plan(ctx, "opencode", Choice{Model: "m"})
	if err != nil || !plan.NewKey || h.keys.issued != 2 || !strings.Contains(plan.Files[0].After, keyPlaceholder) {
		t.Errorf("plan: %v %+v issued=%d", err, plan, h.keys.issued)
	}
}

func TestModelRequired(t *testing.T) {
	h := newHarness(t)
	if _, err := h.svc.Plan(context.Background(), "codex", Choice{}); !errors.Is(err, ErrNoModel) {
		t.Errorf("err = %v", err)
	}
	if _, err := h.svc.Plan(context.Background(), "codex", Choice{Model: "m", Slots: map[string]string{"opus": "x"}}); err == nil {
		t.Error("unknown slot accepted")
	}
	if _, err := h.svc.Plan(context.Background(), "nope", Choice{Model: "m"}); !errors.Is(err, ErrUnknownTool) {
		t.Errorf("err = %v", err)
	}
	if _, err := h.svc.Undo(context.Background(), "codex"); !errors.Is(err, ErrNotApplied) {
		t.Errorf("err = %v", err)
	}
	// Claude Code works without a model (its own model names go through)
	if _, err := h.svc.Plan(context.Background(), "claude-code", Choice{}); err != nil {
		t.Error(err)
	}
}

func TestHomeVariables(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	alt := t.TempDir()
	h.env["CLAUDE_CONFIG_DIR"] = filepath.Join(alt, "claude")
	h.env["CODEX_HOME"] = filepath.Join(alt, "codex")
	h.env["XDG_CONFIG_HOME"] = filepath.Join(alt, "xdg")
	h.env["XDG_DATA_HOME"] = filepath.Join(alt, "data")
	h.env["CONTINUE_GLOBAL_DIR"] = filepath.Join(alt, "continue")
	want := map[string]string{
		"claude-code": filepath.Join(alt, "claude", "settings.json"),
		"codex":       filepath.Join(alt, "codex", "config.toml"),
		"opencode":    filepath.Join(alt, "xdg", "opencode", "opencode.json"),
		"kilo-code":   filepath.Join(alt, "data", "kilo", "auth.json"),
		"continue":    filepath.Join(alt, "continue", "config.yaml"),
	}
	for id, p := range want {
		if _, err := h.svc.Apply(ctx, id, Choice{Model: "m"}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", id, err)
		}
		if st := statusOf(t, h.svc, id); st.ConfigPaths[0] != p || st.State != StateOurs {
			t.Errorf("%s: %+v", id, st)
		}
	}
	if len(tree(t, h.home)) != 0 {
		t.Errorf("wrote under HOME: %v", tree(t, h.home))
	}
}

func TestWindowsPaths(t *testing.T) {
	env := Env{Home: `C:\Users\me`, GOOS: "windows", Getenv: func(k string) string {
		return map[string]string{"APPDATA": `C:\Users\me\AppData\Roaming`}[k]
	}}
	want := map[string][]string{
		"claude-code":   {`C:\Users\me\.claude\settings.json`},
		"codex":         {`C:\Users\me\.codex\config.toml`},
		"gemini-cli":    {`C:\Users\me\.gemini\.env`, `C:\Users\me\.gemini\settings.json`},
		"opencode":      {`C:\Users\me\AppData\Roaming\opencode\opencode.json`},
		"openclaw":      {`C:\Users\me\.openclaw\openclaw.json`},
		"cline":         {`C:\Users\me\.cline\data\globalState.json`, `C:\Users\me\.cline\data\secrets.json`},
		"kilo-code":     {`C:\Users\me\.local\share\kilo\auth.json`},
		"continue":      {`C:\Users\me\.continue\config.yaml`},
		"factory-droid": {`C:\Users\me\.factory\settings.json`},
		"qwen-code":     {`C:\Users\me\.qwen\.env`, `C:\Users\me\.qwen\settings.json`},
	}
	for _, tool := range registry {
		var got []string
		for _, f := range tool.files(env) {
			got = append(got, f.path)
		}
		if strings.Join(got, "|") != strings.Join(want[tool.id], "|") {
			t.Errorf("%s: %v, want %v", tool.id, got, want[tool.id])
		}
	}
	env.Getenv = func(k string) string {
		return map[string]string{"APPDATA": `C:\Users\me\AppData\Roaming`, "CODEX_HOME": `D:\codex\`, "XDG_CONFIG_HOME": `D:\xdg`}[k]
	}
	if p := codex.files(env)[0].path; p != `D:\codex\config.toml` {
		t.Errorf("CODEX_HOME: %s", p)
	}
	if p := openCode.files(env)[0].path; p != `D:\xdg\opencode\opencode.json` {
		t.Errorf("XDG_CONFIG_HOME on windows: %s", p)
	}
}

func TestDetect(t *testing.T) {
	h := newHarness(t)
	h.svc.env.LookPath = func(name string) (string, error) {
		if name == "codex" {
			return "/usr/local/bin/codex", nil
		}
		return "", errors.New("no")
	}
	copyTree(t, filepath.Join("testdata", "claude-code", "before"), h.home)
	copyTree(t, filepath.Join("testdata", "codex", "before"), h.home)
	got := map[string]Status{}
	for _, st := range h.svc.Detect(context.Background()) {
		got[st.ID] = st
	}
	if s := got["codex"]; !s.Installed || s.BinaryPath != "/usr/local/bin/codex" || s.State != StateOther || s.Model != "gpt-5.1-codex" {
		t.Errorf("codex: %+v", s)
	}
	// Its config file exists, its program does not: not installed.
	if s := got["claude-code"]; s.Installed || !s.ConfigFound || s.State != StateUntouched || s.Model != "opus" {
		t.Errorf("claude-code: %+v", s)
	}
	if s := got["gemini-cli"]; s.Installed || s.State != StateUntouched {
		t.Errorf("gemini-cli: %+v", s)
	}
	if len(got) != len(registry) {
		t.Errorf("%d statuses", len(got))
	}
	// Its installer's place, off PATH, counts; a file that cannot run does not.
	bin := filepath.Join(h.home, ".claude", "local", "claude")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s := detectOne(h, "claude-code"); s.Installed {
		t.Errorf("a non-executable file counts as installed: %+v", s)
	}
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if s := detectOne(h, "claude-code"); !s.Installed || s.BinaryPath != bin {
		t.Errorf("claude-code in ~/.claude/local: %+v", s)
	}
}

func detectOne(h *harness, id string) Status {
	for _, st := range h.svc.Detect(context.Background()) {
		if st.ID == id {
			return st
		}
	}
	return Status{}
}

func TestPreservesModeAndSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes and symlinks")
	}
	ctx := context.Background()
	h := newHarness(t)
	dotfiles := t.TempDir()
	real := filepath.Join(dotfiles, "claude-settings.json")
	orig := "{\n  \"model\": \"opus\"\n}\n"
	if err := os.WriteFile(real, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(h.home, ".claude"), 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(h.home, ".claude", "settings.json")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Apply(ctx, "claude-code", Choice{Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced by a file")
	}
	if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %o", fi.Mode().Perm())
	}
	if _, err := h.svc.Undo(ctx, "claude-code"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(real); string(b) != orig {
		t.Errorf("undo: %s", b)
	}
}

func TestUndoWhenFileDeleted(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	if _, err := h.svc.Apply(ctx, "kilo-code", Choice{Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(h.home, ".local", "share", "kilo", "auth.json")); err != nil {
		t.Fatal(err)
	}
	res, err := h.svc.Undo(ctx, "kilo-code")
	if err != nil {
		t.Fatal(err)
	}
	if res.Files[0].Action != "missing" || !res.KeyRevoked {
		t.Errorf("%+v", res)
	}
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	var wg sync.WaitGroup
	for _, tool := range registry {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := h.svc.Apply(ctx, tool.id, Choice{Model: "m"}); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			h.svc.Detect(ctx)
		}()
	}
	wg.Wait()
	for _, st := range h.svc.Detect(ctx) {
		if st.State != StateOurs {
			t.Errorf("%s: %s", st.ID, st.State)
		}
	}
}

func TestInstructionsAndSnippet(t *testing.T) {
	h := newHarness(t)
	for _, id := range []string{"cursor", "roo-code", "vscode-copilot"} {
		text, ok := h.svc.Instructions(id)
		if !ok || !strings.Contains(text, testEndpoint+"/v1") {
			t.Errorf("%s: %v %q", id, ok, text)
		}
	}
	if _, ok := h.svc.Instructions("codex"); ok {
		t.Error("codex is one-click")
	}
	sn := h.svc.ShellSnippet()
	for _, want := range []string{"OPENAI_BASE_URL=\"" + testEndpoint + "/v1\"", "ANTHROPIC_BASE_URL=\"" + testEndpoint + "\"", "GOOGLE_GEMINI_BASE_URL", "GEMINI_API_KEY", "ANTHROPIC_AUTH_TOKEN", "OPENAI_API_KEY"} {
		if !strings.Contains(sn, want) {
			t.Errorf("snippet lacks %s:\n%s", want, sn)
		}
	}
	if n := len(Tools()); n != len(registry)+len(manualTools) {
		t.Errorf("%d tools", n)
	}
}

func TestSameEndpoint(t *testing.T) {
	for _, c := range []struct {
		u    string
		want bool
	}{
		{"http://127.0.0.1:20128", true},
		{"http://localhost:20128/v1", true},
		{"http://127.0.0.1:20128/v1beta/", true},
		{"HTTP://LOCALHOST:20128", true},
		{"http://127.0.0.1:20129", false},
		{"https://api.anthropic.com", false},
		{"", false},
	} {
		if got := sameEndpoint(c.u, testEndpoint); got != c.want {
			t.Errorf("%q: %v", c.u, got)
		}
	}
}

func TestFailedWriteRollsBack(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	copyTree(t, filepath.Join("testdata", "gemini-cli", "before"), h.home)
	before := tree(t, h.home)
	calls := 0
	writeFile = func(p string, b []byte, m os.FileMode) error {
		calls++
		if calls == 2 {
			return errors.New("disk full")
		}
		return writeAtomic(p, b, m)
	}
	defer func() { writeFile = writeAtomic }()
	if _, err := h.svc.Apply(ctx, "gemini-cli", Choice{Model: "m"}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
	sameTree(t, tree(t, h.home), before, "after a failed apply")
	if len(h.keys.live) != 0 || len(h.keys.revoked) != 1 {
		t.Errorf("the minted key was not revoked: live=%v revoked=%v", h.keys.live, h.keys.revoked)
	}
	if st := statusOf(t, h.svc, "gemini-cli"); st.Managed {
		t.Error("state recorded for a failed apply")
	}
}
