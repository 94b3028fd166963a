// Package clitools finds the AI coding tools a user already has (Claude
// Code, Codex, Gemini CLI, OpenCode, OpenClaw, Cline, Kilo Code, Continue,
// Factory Droid, Qwen Code), points each at Switchboard with a key and model
// of the user's choice, and takes it back.
//
// The contract with the user's files:
//   - only our keys are written; every other key, comment, blank line and
//     the key order stay byte-identical (edits are text splices: see
//     jsonc.go, toml.go, dotenv.go, yaml.go);
//   - a file we cannot parse is never written; the error names the file,
//     the line and what is wrong;
//   - before a write the file is copied to <dataDir>/backups/clitools/<tool>/
//     (the newest 10 per tool are kept, plus those undo still needs), and
//     the write is atomic (temp file in the same folder, fsync, rename) with
//     the original permissions (0600 for a new file that holds a key);
//   - Plan shows the exact new text and a unified diff before anything is
//     written;
//   - Undo restores the original bytes when the file is as we left it; when
//     the user edited it since, only our keys are removed and the values we
//     replaced are put back. Files we created are deleted, and the tool's
//     key is revoked.
//
// Libraries, and why the editors are still hand-written. Diffs come from
// github.com/aymanbagabas/go-udiff (the Go team's internal/diff); YAML
// positions from gopkg.in/yaml.v3's node tree. The editors splice text
// because no library we could get keeps untouched bytes as they were
// (alternatives_test.go pins each failure below; creachadair/tomledit
// v0.0.28, goccy/go-yaml v1.19.2 and joho/godotenv v1.5.1 were tried outside
// the tree):
//   - JSON/JSONC: tailscale/hujson's Patch turns a CRLF before '}' into LF,
//     drops the user's trailing comma when removing the last member and
//     writes new members without the file's indentation or spacing; its
//     Format, which Patch asks for, re-lays out the whole file; its parser
//     refuses JSON5 (OpenClaw) and a BOM. tidwall/sjson edits a key written
//     in a comment, and on JSON5 writes invalid text (",," and a second
//     member). sourcegraph/jsonx (a port of VS Code's JSONC editor) is not
//     served by the module proxy.
//   - TOML: pelletier/go-toml/v2 round-trips values only (comments, order,
//     quoting and layout go); its unstable parser gives no byte range for
//     [table] headers and drops a comment after a value.
//     tomledit drops the comment after a value it replaces and re-lays out
//     arrays, inline tables and keys aligned with extra spaces before '='.
//   - YAML: yaml.v3 re-indents lists, drops blank lines and respaces
//     comments when re-encoding (so only a non-empty flow list, where
//     splicing is not possible, is re-encoded); goccy/go-yaml collapses
//     extra spaces after "key:" and before "# comment" even on a round trip
//     without edits.
//   - .env: godotenv writes a sorted, re-quoted map: comments, blank
//     lines, `export` and the final newline go.
//
// hujson and go-toml/v2 serve the tests as independent parsers: the fuzz
// targets check that an edit sets our keys and changes no other value.
package clitools

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path"
	"runtime"
	"strings"
	"sync"
	"time"
)

// KeyIssuer mints and revokes the local API key each tool gets. The lead
// wires it to the keys service with source "tool".
type KeyIssuer interface {
	// Issue creates a key named name and returns its secret. A key that
	// already has that name is replaced (revoked first).
	Issue(ctx context.Context, name string) (secret string, err error)
	// Revoke removes the key named name; a missing key is not an error.
	Revoke(ctx context.Context, name string) error
	// Valid reports whether secret is a live local key.
	Valid(secret string) bool
}

// Env is everything path resolution reads from the machine; tests replace
// it with a temporary home.
type Env struct {
	Home     string
	Getenv   func(string) string
	GOOS     string
	LookPath func(string) (string, error)
}

// DefaultEnv is the running process's environment.
func DefaultEnv() Env {
	home, _ := os.UserHomeDir()
	return Env{Home: home, Getenv: os.Getenv, GOOS: runtime.GOOS, LookPath: exec.LookPath}
}

func (e Env) get(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return strings.TrimSpace(e.Getenv(k))
}

// join builds a path in the target OS's style (tests resolve Windows paths
// on Linux).
func (e Env) join(elem ...string) string {
	if e.GOOS == "windows" {
		var parts []string
		for i, p := range elem {
			p = strings.ReplaceAll(p, "/", `\`)
			if i > 0 {
				p = strings.Trim(p, `\`)
			} else {
				p = strings.TrimRight(p, `\`)
			}
			if p != "" {
				parts = append(parts, p)
			}
		}
		return strings.Join(parts, `\`)
	}
	return path.Join(elem...)
}

// Options configure a Service.
type Options struct {
	DataDir  string
	Endpoint func() string // the gateway root, e.g. http://127.0.0.1:20128
	Keys     KeyIssuer
	Env      Env
	Now      func() time.Time
}

// Service detects, configures and restores tools. Safe for concurrent use.
type Service struct {
	dataDir  string
	endpoint func() string
	keys     KeyIssuer
	env      Env
	now      func() time.Time
	mu       sync.Mutex
}

// New builds a Service; zero Env fields take the process's values.
func New(o Options) *Service {
	def := DefaultEnv()
	if o.Env.Home == "" {
		o.Env.Home = def.Home
	}
	if o.Env.Getenv == nil {
		o.Env.Getenv = def.Getenv
	}
	if o.Env.GOOS == "" {
		o.Env.GOOS = def.GOOS
	}
	if o.Env.LookPath == nil {
		o.Env.LookPath = def.LookPath
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Endpoint == nil {
		o.Endpoint = func() string { return "http://127.0.0.1:20128" }
	}
	return &Service{dataDir: o.DataDir, endpoint: o.Endpoint, keys: o.Keys, env: o.Env, now: o.Now}
}

// States of a tool's configuration.
const (
	StateOurs      = "ours"      // pointing at this Switchboard
	StateOther     = "other"     // pointing at another endpoint
	StateUntouched = "untouched" // tool defaults (or no config yet)
	StateMalformed = "malformed" // a file we cannot parse
)

// ToolInfo describes a supported tool.
type ToolInfo struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Kind   string   `json:"kind"` // "files": one-click; "manual": configured in its own UI
	Slots  []string `json:"slots"`
	Binary string   `json:"binary,omitempty"`
	Notes  string   `json:"notes,omitempty"`
}

// Tool is the short form some callers need.
type Tool struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Status is what Detect finds for one tool.
type Status struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Installed  bool   `json:"installed"`
	BinaryPath string `json:"binaryPath,omitempty"`
	// ConfigFound: a config file of the tool exists (left by an earlier
	// install, or written ahead); it does not make the tool installed.
	ConfigFound bool     `json:"configFound"`
	ConfigPaths []string `json:"configPaths"`
	State       string   `json:"state"`
	Model       string   `json:"model,omitempty"`
	Detail      string   `json:"detail,omitempty"`
	Slots       []string `json:"slots"`
	// Managed: Switchboard applied this tool and can undo it.
	Managed bool `json:"managed"`
}

// Choice is what the user picks for a tool: a model (any model, alias or
// combo name) and optional per-role models (see ToolInfo.Slots).
type Choice struct {
	Model string            `json:"model"`
	Slots map[string]string `json:"slots,omitempty"`
}

// FileChange is one file's planned change.
type FileChange struct {
	Path    string `json:"path"`
	Before  string `json:"before"`
	After   string `json:"after"`
	Created bool   `json:"created"`
	Diff    string `json:"diff"`
}

// Plan is what Apply would write.
type Plan struct {
	Tool  string       `json:"tool"`
	Model string       `json:"model"`
	Files []FileChange `json:"files"`
	// KeyName is the local key the tool uses; NewKey says Apply will mint it
	// (the plan then shows a placeholder in its place).
	KeyName string `json:"keyName"`
	NewKey  bool   `json:"newKey"`
	Notes   string `json:"notes,omitempty"`
}

// Changed reports whether applying the plan would write anything.
func (p *Plan) Changed() bool {
	for _, f := range p.Files {
		if f.Before != f.After {
			return true
		}
	}
	return false
}

// FileResult says what happened to one file.
type FileResult struct {
	Path   string `json:"path"`
	Action string `json:"action"` // created | updated | unchanged | restored | reverted | removed | missing
	Backup string `json:"backup,omitempty"`
}

// Result reports an Apply or Undo.
type Result struct {
	Tool       string       `json:"tool"`
	Files      []FileResult `json:"files"`
	Changed    bool         `json:"changed"`
	KeyName    string       `json:"keyName,omitempty"`
	KeyCreated bool         `json:"keyCreated,omitempty"`
	KeyRevoked bool         `json:"keyRevoked,omitempty"`
	Warnings   []string     `json:"warnings,omitempty"`
	Notes      string       `json:"notes,omitempty"`
}

// Errors callers may test for.
var (
	ErrUnknownTool = errors.New("clitools: unknown tool")
	ErrNoModel     = errors.New("clitools: choose a model")
	ErrNotApplied  = errors.New("clitools: Switchboard has not configured this tool (nothing to undo)")
	ErrNoKeys      = errors.New("clitools: no key issuer configured")
	ErrUnknownSlot = errors.New("clitools: unknown model slot")
)

// MalformedError is a file we refuse to touch.
type MalformedError struct {
	Path string
	Err  error
}

func (e *MalformedError) Error() string {
	return "clitools: " + e.Path + ": " + e.Err.Error() + " (the file was left untouched; fix it or move it away, then try again)"
}

func (e *MalformedError) Unwrap() error { return e.Err }

// Tools lists every supported tool, one-click ones first.
func Tools() []ToolInfo {
	var out []ToolInfo
	for _, t := range registry {
		bin := ""
		if len(t.binaries) > 0 {
			bin = t.binaries[0]
		}
		out = append(out, ToolInfo{ID: t.id, Name: t.name, Kind: "files", Slots: append([]string{}, t.slots...), Binary: bin, Notes: t.notes})
	}
	for _, m := range manualTools {
		out = append(out, ToolInfo{ID: m.id, Name: m.name, Kind: "manual", Slots: []string{}})
	}
	return out
}

func (s *Service) root() string { return strings.TrimRight(s.endpoint(), "/") }
