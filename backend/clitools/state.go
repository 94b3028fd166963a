package clitools

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// stateFile is <dataDir>/clitools-state.json: for each tool we configured,
// per file the hash of what we wrote, the original (as a backup path), and
// the edits we made, so Undo can tell whether the user touched the file
// since and take back exactly our part. It holds values we replaced, so it
// is written 0600 like the backups.
type stateFile struct {
	Version int                   `json:"version"`
	Tools   map[string]*toolState `json:"tools"`
}

type toolState struct {
	AppliedAt string            `json:"appliedAt"`
	Model     string            `json:"model"`
	Slots     map[string]string `json:"slots,omitempty"`
	KeyName   string            `json:"keyName"`
	KeyMinted bool              `json:"keyMinted"`
	Files     []*fileState      `json:"files"`
}

type fileState struct {
	Path        string   `json:"path"`
	Role        string   `json:"role"`
	Format      string   `json:"format"`
	Existed     bool     `json:"existed"`        // the file existed before our first apply
	Base        string   `json:"base,omitempty"` // backup holding the file without our edits
	Hash        string   `json:"hash"`           // sha256 of what we wrote
	Ops         []opRec  `json:"ops"`
	CreatedDirs []string `json:"createdDirs,omitempty"`
}

func (t *toolState) file(path string) *fileState {
	if t == nil {
		return nil
	}
	for _, f := range t.Files {
		if f.Path == path {
			return f
		}
	}
	return nil
}

func (f format) String() string {
	return [...]string{"json", "toml", "env", "yaml"}[f]
}

func parseFormat(s string) format {
	switch s {
	case "toml":
		return fmtTOML
	case "env":
		return fmtEnv
	case "yaml":
		return fmtYAML
	}
	return fmtJSON
}

// StateFileName and BackupsDir are what clitools keeps in the data
// directory (core keeps their modes owner-only).
const (
	StateFileName = "clitools-state.json"
	BackupsDir    = "backups"
)

func (s *Service) statePath() string { return filepath.Join(s.dataDir, StateFileName) }

func (s *Service) loadState() (*stateFile, error) {
	st := &stateFile{Version: 1, Tools: map[string]*toolState{}}
	if s.dataDir == "" {
		return st, errors.New("clitools: no data directory configured")
	}
	b, err := os.ReadFile(s.statePath())
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("clitools: read state: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return st, fmt.Errorf("clitools: %s is damaged (%v); move it away to start over", s.statePath(), err)
	}
	if st.Tools == nil {
		st.Tools = map[string]*toolState{}
	}
	return st, nil
}

func (s *Service) saveState(st *stateFile) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dataDir, 0o700); err != nil {
		return fmt.Errorf("clitools: %w", err)
	}
	if err := writeAtomic(s.statePath(), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("clitools: save state: %w", err)
	}
	return nil
}

// referenced lists the backups the state still needs.
func (st *stateFile) referenced() map[string]bool {
	m := map[string]bool{}
	for _, t := range st.Tools {
		for _, f := range t.Files {
			if f.Base != "" {
				m[f.Base] = true
			}
		}
	}
	return m
}

// readBase loads the original of a file from its backup.
func (s *Service) readBase(fr *fileState) (base, bool) {
	if !fr.Existed {
		return base{}, true
	}
	if fr.Base == "" {
		return base{}, false
	}
	b, err := os.ReadFile(fr.Base)
	if err != nil {
		return base{}, false
	}
	return base{exists: true, text: string(b), backup: fr.Base}, true
}

// MaxBackups is how many backups are kept per tool (plus those Undo needs).
const MaxBackups = 10

func (s *Service) backupDir(tool string) string {
	return filepath.Join(s.dataDir, BackupsDir, "clitools", tool)
}

// backup copies text to a new timestamped file and prunes old backups.
func (s *Service) backup(tool, path, text string, keep map[string]bool) (string, error) {
	dir := s.backupDir(tool)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("clitools: backup: %w", err)
	}
	stamp := s.now().UTC().Format("20060102T150405.000000000Z")
	name := filepath.Base(path)
	p := filepath.Join(dir, stamp+"-"+name)
	for i := 1; fileExists(p); i++ {
		p = filepath.Join(dir, fmt.Sprintf("%s.%d-%s", stamp, i, name))
	}
	if err := writeAtomic(p, []byte(text), 0o600); err != nil {
		return "", fmt.Errorf("clitools: backup %s: %w", path, err)
	}
	keep[p] = true
	s.rotate(tool, keep)
	return p, nil
}

// rotate keeps the newest MaxBackups backups of a tool and any in keep.
func (s *Service) rotate(tool string, keep map[string]bool) {
	dir := s.backupDir(tool)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names) // timestamps first: oldest first
	extra := len(names) - MaxBackups
	for _, n := range names {
		if extra <= 0 {
			break
		}
		p := filepath.Join(dir, n)
		if keep[p] {
			continue
		}
		if os.Remove(p) == nil {
			extra--
		}
	}
}

// Backups lists a tool's backups, newest first.
func (s *Service) Backups(tool string) []string {
	entries, err := os.ReadDir(s.backupDir(tool))
	if err != nil {
		return nil
	}
	var out []string
	for i := len(entries) - 1; i >= 0; i-- {
		if !entries[i].IsDir() && !strings.HasPrefix(entries[i].Name(), ".") {
			out = append(out, filepath.Join(s.backupDir(tool), entries[i].Name()))
		}
	}
	return out
}

// writeAtomic replaces path with data: a temp file in the same folder,
// fsync, the given permissions, rename, then fsync of the folder.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".sb-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		// Windows supports only the read-only bit; ignore there
		if filepath.Separator == '/' {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
