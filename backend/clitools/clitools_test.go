package clitools

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const testEndpoint = "http://127.0.0.1:20128"

// fakeKeys is a KeyIssuer that mints predictable secrets.
type fakeKeys struct {
	mu      sync.Mutex
	live    map[string]string // name -> secret
	issued  int
	revoked []string
}

func newFakeKeys() *fakeKeys { return &fakeKeys{live: map[string]string{}} }

func (k *fakeKeys) Issue(_ context.Context, name string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.issued++
	s := "sk-sb-test-" + name
	if k.issued > 1 {
		s = fmt.Sprintf("sk-sb-test-%s-%d", name, k.issued)
	}
	k.live[name] = s
	return s, nil
}

func (k *fakeKeys) Revoke(_ context.Context, name string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.live, name)
	k.revoked = append(k.revoked, name)
	return nil
}

func (k *fakeKeys) Valid(secret string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, s := range k.live {
		if s == secret {
			return true
		}
	}
	return false
}

type harness struct {
	home, data string
	env        map[string]string
	keys       *fakeKeys
	svc        *Service
	clock      time.Time
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{home: t.TempDir(), data: t.TempDir(), env: map[string]string{}, keys: newFakeKeys(),
		clock: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	h.svc = New(Options{
		DataDir:  h.data,
		Endpoint: func() string { return testEndpoint },
		Keys:     h.keys,
		Env: Env{Home: h.home, GOOS: "linux", Getenv: func(k string) string { return h.env[k] },
			LookPath: func(string) (string, error) { return "", errors.New("not found") }},
		Now: func() time.Time { h.clock = h.clock.Add(time.Second); return h.clock },
	})
	return h
}

// tree reads every file under dir (relative path -> content).
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	return out
}

func dirs(t *testing.T, dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return err
	})
	return out
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	for rel, content := range tree(t, from) {
		p := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// golden compares the home tree with testdata/<dir>/<name>/ (or rewrites it).
func golden(t *testing.T, home, dir string) {
	t.Helper()
	got := tree(t, home)
	if *update {
		_ = os.RemoveAll(dir)
		copyTree(t, home, dir)
		return
	}
	want := tree(t, dir)
	sameTree(t, got, want, dir)
}

func sameTree(t *testing.T, got, want map[string]string, label string) {
	t.Helper()
	var names []string
	for k := range got {
		names = append(names, k)
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		g, gok := got[n]
		w, wok := want[n]
		switch {
		case !gok:
			t.Errorf("%s: %s missing", label, n)
		case !wok:
			t.Errorf("%s: unexpected file %s:\n%s", label, n, g)
		case g != w:
			t.Errorf("%s: %s differs:\n%s", label, n, unifiedDiff(n, w, g, false))
		}
	}
}

type goldenCase struct {
	dir, tool string
	choice    Choice
	// edit changes the applied files the way a user might (relative path -> edit)
	edit map[string]func(string) string
}

func replace(old, new string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			panic("edit: " + old + " not found")
		}
		return strings.Replace(s, old, new, 1)
	}
}

var goldenCases = []goldenCase{
	{dir: "claude-code", tool: "claude-code", choice: Choice{Model: "sonnet-combo", Slots: map[string]string{"haiku": "fast"}},
		edit: map[string]func(string) string{".claude/settings.json": replace(`"cleanupPeriodDays": 30`, `"cleanupPeriodDays": 60`)}},
	{dir: "codex", tool: "codex", choice: Choice{Model: "openai/gpt-5.2"},
		edit: map[string]func(string) string{".codex/config.toml": replace("[tui]\nnotifications = true", "[tui]\nnotifications = false\nanimations = false")}},
	{dir: "gemini-cli", tool: "gemini-cli", choice: Choice{Model: "gemini/gemini-2.5-pro"},
		edit: map[string]func(string) string{".gemini/.env": func(s string) string { return s + "# added by me\nFOO=bar\n" }}},
	{dir: "opencode", tool: "opencode", choice: Choice{Model: "coding", Slots: map[string]string{"small": "fast"}},
		edit: map[string]func(string) string{".config/opencode/opencode.json": replace(`"theme": "tokyonight"`, `"theme": "gruvbox"`)}},
	{dir: "openclaw", tool: "openclaw", choice: Choice{Model: "anthropic/claude-sonnet-4-5"},
		edit: map[string]func(string) string{".openclaw/openclaw.json": replace(`every: "30m"`, `every: "1h"`)}},
	{dir: "cline", tool: "cline", choice: Choice{Model: "coding", Slots: map[string]string{"plan": "thinking"}},
		edit: map[string]func(string) string{".cline/data/globalState.json": replace(`"maxRequests": 20`, `"maxRequests": 50`)}},
	{dir: "kilo-code", tool: "kilo-code", choice: Choice{Model: "coding"},
		edit: map[string]func(string) string{".local/share/kilo/auth.json": replace(`"key": "sk-ant-user"`, `"key": "sk-ant-user-rotated"`)}},
	{dir: "continue", tool: "continue", choice: Choice{Model: "coding"},
		edit: map[string]func(string) string{".continue/config.yaml": replace("  - provider: docs\n", "  - provider: docs\n  - provider: diff\n")}},
	{dir: "continue-json", tool: "continue", choice: Choice{Model: "coding"},
		edit: map[string]func(string) string{".continue/config.json": replace(`"allowAnonymousTelemetry": false`, `"allowAnonymousTelemetry": true`)}},
	{dir: "factory-droid", tool: "factory-droid", choice: Choice{Model: "openai/gpt-5.2"},
		edit: map[string]func(string) string{".factory/settings.json": replace(`"reasoningEffort": "medium"`, `"reasoningEffort": "high"`)}},
	{dir: "qwen-code", tool: "qwen-code", choice: Choice{Model: "qwen/qwen3-coder-plus"},
		edit: map[string]func(string) string{".qwen/settings.json": replace(`"theme": "Qwen Dark"`, `"theme": "Qwen Light"`)}},
}

func TestGolden(t *testing.T) {
	for _, gc := range goldenCases {
		t.Run(gc.dir, func(t *testing.T) {
			ctx := context.Background()
			h := newHarness(t)
			td := filepath.Join("testdata", gc.dir)
			copyTree(t, filepath.Join(td, "before"), h.home)
			before := tree(t, h.home)
			beforeDirs := dirs(t, h.home)

			plan, err := h.svc.Plan(ctx, gc.tool, gc.choice)
			if err != nil {
				t.Fatal(err)
			}
			if !plan.Changed() || !plan.NewKey || h.keys.issued != 0 {
				t.Fatalf("plan: changed=%v newKey=%v issued=%d", plan.Changed(), plan.NewKey, h.keys.issued)
			}
			for _, f := range plan.Files {
				if f.Before != f.After && f.Diff == "" {
					t.Errorf("%s: no diff", f.Path)
				}
			}

			res, err := h.svc.Apply(ctx, gc.tool, gc.choice)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Changed || !res.KeyCreated || h.keys.issued != 1 {
				t.Fatalf("apply: %+v issued=%d", res, h.keys.issued)
			}
			golden(t, h.home, filepath.Join(td, "after"))
			applied := tree(t, h.home)
			st := statusOf(t, h.svc, gc.tool)
			if st.State != StateOurs || !st.Managed {
				t.Errorf("after apply: state %q managed %v (%s)", st.State, st.Managed, st.Detail)
			}

			// the plan showed exactly what was written, key aside
			for _, f := range plan.Files {
				rel, _ := filepath.Rel(h.home, f.Path)
				want := strings.ReplaceAll(f.After, keyPlaceholder, "sk-sb-test-"+gc.tool)
				if applied[filepath.ToSlash(rel)] != want && !(f.After == "" && f.Before == "") {
					t.Errorf("plan for %s differs from what apply wrote", rel)
				}
			}

			// apply twice: byte-identical, no new key
			res, err = h.svc.Apply(ctx, gc.tool, gc.choice)
			if err != nil {
				t.Fatal(err)
			}
			if res.Changed || h.keys.issued != 1 {
				t.Errorf("second apply changed=%v issued=%d", res.Changed, h.keys.issued)
			}
			sameTree(t, tree(t, h.home), applied, "second apply")

			// undo: the original bytes, created files and folders gone
			res, err = h.svc.Undo(ctx, gc.tool)
			if err != nil {
				t.Fatal(err)
			}
			if !res.KeyRevoked {
				t.Error("undo did not revoke the key")
			}
			sameTree(t, tree(t, h.home), before, "undo")
			if got := dirs(t, h.home); strings.Join(got, ",") != strings.Join(beforeDirs, ",") {
				t.Errorf("folders after undo: %v, want %v", got, beforeDirs)
			}
			if st := statusOf(t, h.svc, gc.tool); st.Managed || st.State == StateOurs {
				t.Errorf("after undo: %+v", st)
			}

			// apply, the user edits, undo: their edit stays, our keys go
			if _, err := h.svc.Apply(ctx, gc.tool, gc.choice); err != nil {
				t.Fatal(err)
			}
			for rel, edit := range gc.edit {
				p := filepath.Join(h.home, rel)
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(edit(string(b))), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := h.svc.Undo(ctx, gc.tool); err != nil {
				t.Fatal(err)
			}
			got := tree(t, h.home)
			want := map[string]string{}
			for k, v := range before {
				want[k] = v
			}
			for rel, edit := range gc.edit {
				want[rel] = edit(want[rel])
			}
			sameTree(t, got, want, "undo after user edits")
		})
	}
}

func statusOf(t *testing.T, s *Service, id string) Status {
	t.Helper()
	for _, st := range s.Detect(context.Background()) {
		if st.ID == id {
			return st
		}
	}
	t.Fatalf("no status for %s", id)
	return Status{}
}
