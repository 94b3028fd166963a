package transfer

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"switchboard/backend/provider"
)

// A peer is another gateway whose setup Switchboard reads. Readers only
// read: files are opened read-only, and SQLite databases are copied first
// and the copy opened, so not even a lock or a -shm file is touched.

// PeerSource describes a peer for the CLI and the dashboard.
type PeerSource struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DefaultPath string `json:"defaultPath"`
	Found       bool   `json:"found"` // something is at DefaultPath
	Reads       string `json:"reads"` // what is read there
}

type peer struct {
	id, name, reads string
	// defaultPath is where the tool keeps its setup, from home.
	defaultPath func(home string, getenv func(string) string) string
	read        func(path string) (Setup, string, error) // setup, what was found (format + version)
}

var peers = []peer{
	{id: "omniroute", name: "OmniRoute", reads: "storage.sqlite (SQLite) in its data dir", defaultPath: omniRouteDir, read: readOmniRoute},
	{id: "9router", name: "9router", reads: "db.json in its data dir", defaultPath: nineRouterDir, read: readNineRouter},
	{id: "cliproxyapi", name: "CLIProxyAPI", reads: "config.yaml and the auth files in its auth-dir", defaultPath: cliProxyDir, read: readCLIProxy},
	{id: "cc-switch", name: "cc-switch", reads: "cc-switch.db (SQLite)", defaultPath: ccSwitchDir, read: readCCSwitch},
}

// ErrUnknownPeer means no reader has that id.
var ErrUnknownPeer = errors.New("transfer: unknown gateway")

// ErrPeerFormat means the peer's files are missing, malformed or of a
// version this reader does not know; nothing was imported.
var ErrPeerFormat = errors.New("transfer: cannot read that setup")

// PeerIDs lists the peers' ids.
func PeerIDs() []string {
	ids := make([]string, len(peers))
	for i, p := range peers {
		ids[i] = p.id
	}
	return ids
}

// Peers lists the peers with their default places under home.
func Peers(home string, getenv func(string) string) []PeerSource {
	out := make([]PeerSource, 0, len(peers))
	for _, p := range peers {
		path := p.defaultPath(home, getenv)
		_, err := os.Stat(path)
		out = append(out, PeerSource{ID: p.id, Name: p.name, DefaultPath: path, Found: err == nil, Reads: p.reads})
	}
	return out
}

// ReadPeer reads a peer's setup from path ("" = its default place).
func ReadPeer(id, path, home string, getenv func(string) string) (Setup, string, string, error) {
	for _, p := range peers {
		if p.id != id {
			continue
		}
		if path == "" {
			path = p.defaultPath(home, getenv)
		}
		s, found, err := p.read(path)
		if err != nil {
			return Setup{}, found, path, err
		}
		sortSetup(&s)
		return s, found, path, nil
	}
	return Setup{}, "", path, fmt.Errorf("%w %q (known: %s)", ErrUnknownPeer, id, strings.Join(PeerIDs(), ", "))
}

// peerFormat builds an ErrPeerFormat error.
func peerFormat(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrPeerFormat, fmt.Sprintf(format, args...))
}

// peerProviders maps a peer's provider id or alias to Switchboard's
// catalog id where they differ; others match by id.
var peerProviders = map[string]string{
	"github": "copilot", "gh": "copilot", "qwen": "qwen-code", "qw": "qwen-code",
	"gemini-cli": "gemini-code-assist", "gc": "gemini-code-assist", "cc": "claude", "cx": "codex",
	"ag": "antigravity", "kr": "kiro", "kmc": "kimi-coding", "ds": "deepseek", "pplx": "perplexity",
	"claude-code": "claude", "kimi": "kimi", "anthropic": "anthropic",
}

// catalogID maps a peer's provider id to ours; ok is false when
// Switchboard's catalog has no such provider.
func catalogID(peerID string) (string, bool) {
	id := strings.ToLower(strings.TrimSpace(peerID))
	if m, ok := peerProviders[id]; ok {
		id = m
	}
	_, ok := provider.Lookup(id)
	return id, ok
}

// modelMapper rewrites a peer's "provider/model" names to Switchboard's
// "prefix/model".
type modelMapper struct {
	custom map[string]string // a peer's custom prefix or node id → our prefix
}

// mapModel returns the name to route and whether it changed; ok is false
// when the provider part is unknown here.
func (m modelMapper) mapModel(name string) (string, bool) {
	prov, model, found := strings.Cut(name, "/")
	if !found {
		return name, true // a bare model or another alias: routed as is
	}
	if p, ok := m.custom[prov]; ok {
		return p + "/" + model, true
	}
	id, ok := catalogID(prov)
	if !ok {
		return name, false
	}
	e, _ := provider.Lookup(id)
	return e.Prefix + "/" + model, true
}

var slugRe = regexp.MustCompile(`[^a-z0-9]+`)

// slug makes a provider id or prefix (lowercase letters, digits, '-').
func slug(s string) string {
	s = strings.Trim(slugRe.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 32 {
		s = strings.Trim(s[:32], "-")
	}
	return s
}

// uniqueName returns name, or name-2, name-3… if taken.
func uniqueName(name string, taken map[string]bool) string {
	n := name
	for i := 2; taken[n]; i++ {
		n = fmt.Sprintf("%s-%d", name, i)
	}
	taken[n] = true
	return n
}

// sortSetup orders a peer's items so reports and goldens are stable.
func sortSetup(s *Setup) {
	sort.SliceStable(s.Providers, func(i, j int) bool { return s.Providers[i].ID < s.Providers[j].ID })
	sort.SliceStable(s.Accounts, func(i, j int) bool {
		a, b := s.Accounts[i], s.Accounts[j]
		return a.Provider < b.Provider || a.Provider == b.Provider && a.Name < b.Name
	})
	sort.SliceStable(s.Combos, func(i, j int) bool { return s.Combos[i].Name < s.Combos[j].Name })
	sort.SliceStable(s.Aliases, func(i, j int) bool { return s.Aliases[i].Alias < s.Aliases[j].Alias })
	sort.SliceStable(s.Keys, func(i, j int) bool { return s.Keys[i].Name < s.Keys[j].Name })
	sort.SliceStable(s.Skipped, func(i, j int) bool {
		a, b := s.Skipped[i], s.Skipped[j]
		return a.Kind < b.Kind || a.Kind == b.Kind && a.Name < b.Name
	})
}
