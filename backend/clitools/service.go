package clitools

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// writeFile is writeAtomic; tests swap it to make a write fail.
var writeFile = writeAtomic

// keyPlaceholder stands in for a key Apply has yet to mint.
const keyPlaceholder = "sk-sb-new-key-created-on-apply"

// current is a file as it is on disk now.
type current struct {
	spec   fileSpec
	real   string // the path written (symlinks resolved)
	exists bool
	text   string
	mode   fs.FileMode
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func readCurrent(spec fileSpec) (current, error) {
	c := current{spec: spec, real: spec.path}
	if r, err := filepath.EvalSymlinks(spec.path); err == nil {
		c.real = r
	}
	fi, err := os.Stat(c.real)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("clitools: %s: %w", spec.path, err)
	}
	if fi.IsDir() {
		return c, &MalformedError{Path: spec.path, Err: errors.New("is a directory")}
	}
	b, err := os.ReadFile(c.real)
	if err != nil {
		return c, fmt.Errorf("clitools: %s: %w", spec.path, err)
	}
	if !validUTF8(b) {
		return c, &MalformedError{Path: spec.path, Err: errors.New("is not UTF-8 text")}
	}
	c.exists, c.text, c.mode = true, string(b), fi.Mode().Perm()
	return c, nil
}

func parseCurrent(c current) (*doc, error) {
	text := c.text
	if !c.exists {
		text = ""
	}
	d, err := parseDoc(c.spec, text)
	if err != nil {
		return nil, &MalformedError{Path: c.spec.path, Err: err}
	}
	return d, nil
}

// Detect reports every one-click tool: installed or not, where it points,
// and the model it will use.
func (s *Service) Detect(ctx context.Context) []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, _ := s.loadState()
	var out []Status
	for _, t := range registry {
		if ctx.Err() != nil {
			break
		}
		out = append(out, s.detect(t, st))
	}
	return out
}

func (s *Service) detect(t *toolDef, st *stateFile) Status {
	res := Status{ID: t.id, Name: t.name, Slots: append([]string{}, t.slots...), ConfigPaths: []string{}}
	res.BinaryPath = findBinary(s.env, t.binaries)
	res.Installed = res.BinaryPath != ""
	specs := t.files(s.env)
	ds := docs{}
	var problems []string
	for _, spec := range specs {
		res.ConfigPaths = append(res.ConfigPaths, spec.path)
		if fileExists(spec.path) {
			res.ConfigFound = true // informative only: a config file is not an installed tool
		}
		c, err := readCurrent(spec)
		if err == nil {
			ds[spec.role], err = parseCurrent(c)
		}
		if err != nil {
			problems = append(problems, strings.TrimPrefix(err.Error(), "clitools: "))
		}
	}
	_, res.Managed = st.Tools[t.id]
	if len(problems) > 0 {
		res.State, res.Detail = StateMalformed, strings.Join(problems, "; ")
		return res
	}
	res.State, res.Model, res.Detail = t.inspect(ds, s.root())
	if res.Managed && res.State != StateOurs {
		res.Detail = strings.TrimPrefix(res.Detail+"; changed since Switchboard configured it (apply again to update, or undo)", "; ")
	}
	return res
}

func (s *Service) tool(id string) (*toolDef, error) {
	t := lookupTool(id)
	if t == nil {
		var ids []string
		for _, t := range registry {
			ids = append(ids, t.id)
		}
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownTool, id, strings.Join(ids, ", "))
	}
	return t, nil
}

// built is a plan plus what Apply needs to carry it out.
type built struct {
	plan    *Plan
	tool    *toolDef
	cur     []current
	bases   []base
	ops     [][]opRec
	out     []string
	key     string
	mintKey bool
	model   string
	slots   map[string]string
}

// base is what a file would be without our edits.
type base struct {
	exists bool
	text   string
	backup string // the backup file holding text, if one exists already
}

// Plan computes what Apply would write, without writing or minting anything.
func (s *Service) Plan(ctx context.Context, id string, choice Choice) (*Plan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.build(ctx, id, choice, false)
	if err != nil {
		return nil, err
	}
	return b.plan, nil
}

func (s *Service) build(ctx context.Context, id string, choice Choice, mint bool) (*built, error) {
	t, err := s.tool(id)
	if err != nil {
		return nil, err
	}
	st, err := s.loadState()
	if err != nil {
		return nil, err
	}
	rec := st.Tools[id]
	choice.Model = strings.TrimSpace(choice.Model)
	if choice.Model == "" && rec != nil {
		choice.Model = rec.Model
		if choice.Slots == nil {
			choice.Slots = rec.Slots
		}
	}
	if choice.Model == "" && t.needModel {
		return nil, fmt.Errorf("%w for %s (any Switchboard model, alias or combo name)", ErrNoModel, t.name)
	}
	for k := range choice.Slots {
		if !contains(t.slots, k) {
			return nil, fmt.Errorf("%w: %s has no %q slot (slots: %s)", ErrUnknownSlot, t.name, k, strings.Join(t.slots, ", "))
		}
	}
	b := &built{tool: t, model: choice.Model, slots: choice.Slots}
	curDocs := docs{}
	for _, spec := range t.files(s.env) {
		c, err := readCurrent(spec)
		if err != nil {
			return nil, err
		}
		d, err := parseCurrent(c)
		if err != nil {
			return nil, err
		}
		b.cur = append(b.cur, c)
		curDocs[spec.role] = d
	}
	// the base: the files as they would be without our earlier edits
	baseDocs := docs{}
	for i, c := range b.cur {
		bs := base{exists: c.exists, text: c.text}
		if fr := rec.file(c.spec.path); fr != nil {
			switch {
			case c.exists && hashString(c.text) == fr.Hash:
				// untouched since our apply: the exact original
				if orig, ok := s.readBase(fr); ok {
					bs = orig
					break
				}
				fallthrough
			case c.exists:
				d := curDocs[c.spec.role]
				rd, _ := parseDoc(c.spec, d.String())
				if err := rd.revert(fr.Ops); err != nil {
					return nil, err
				}
				bs = base{exists: true, text: rd.String()}
				if !fr.Existed && (rd.empty() || rd.String() == c.spec.initial) {
					bs = base{}
				}
			}
		}
		d, err := parseDoc(c.spec, bs.text)
		if err != nil {
			return nil, &MalformedError{Path: c.spec.path, Err: err}
		}
		if !bs.exists && c.spec.initial != "" {
			if d, err = parseDoc(c.spec, c.spec.initial); err != nil {
				return nil, err
			}
		}
		b.bases = append(b.bases, bs)
		baseDocs[b.cur[i].spec.role] = d
	}
	// the key: reuse the one in the file while it still verifies
	key := t.readKey(curDocs)
	if key == "" || s.keys == nil || !s.keys.Valid(key) {
		key = ""
	}
	if key == "" {
		if s.keys == nil {
			return nil, ErrNoKeys
		}
		b.mintKey = true
		key = keyPlaceholder
		if mint {
			k, err := s.keys.Issue(ctx, t.id)
			if err != nil {
				return nil, fmt.Errorf("clitools: create a key for %s: %w", t.name, err)
			}
			key = k
		}
	}
	b.key = key
	p := params{Root: s.root(), V1: s.root() + "/v1", Key: key, Model: choice.Model, Slots: choice.Slots}
	if err := t.apply(baseDocs, p); err != nil {
		if mint && b.mintKey {
			_ = s.keys.Revoke(ctx, t.id)
		}
		return nil, err
	}
	plan := &Plan{Tool: t.id, Model: choice.Model, KeyName: t.id, NewKey: b.mintKey, Notes: t.notes}
	for _, c := range b.cur {
		d := baseDocs[c.spec.role]
		after := d.String()
		before := ""
		if c.exists {
			before = c.text
		}
		b.out = append(b.out, after)
		b.ops = append(b.ops, d.ops)
		plan.Files = append(plan.Files, FileChange{Path: c.spec.path, Before: before, After: after, Created: !c.exists,
			Diff: unifiedDiff(c.spec.path, before, after, !c.exists)})
	}
	b.plan = plan
	return b, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Apply points the tool at Switchboard: it mints (or reuses) the tool's key,
// backs up and writes the files, and records what it did for Undo.
func (s *Service) Apply(ctx context.Context, id string, choice Choice) (*Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.build(ctx, id, choice, true)
	if err != nil {
		return nil, err
	}
	res := &Result{Tool: id, KeyName: id, KeyCreated: b.mintKey, Notes: b.tool.notes}
	fail := func(err error) (*Result, error) {
		if b.mintKey {
			_ = s.keys.Revoke(ctx, id)
		}
		return nil, err
	}
	st, err := s.loadState()
	if err != nil {
		return fail(err)
	}
	old := st.Tools[id]
	now := s.now()
	rec := &toolState{AppliedAt: now.UTC().Format(time.RFC3339), Model: b.model, Slots: b.slots, KeyName: id}
	keep := st.referenced()
	type written struct {
		path string
		prev current
	}
	var done []written
	rollback := func() {
		for i := len(done) - 1; i >= 0; i-- {
			w := done[i]
			if w.prev.exists {
				_ = writeAtomic(w.prev.real, []byte(w.prev.text), w.prev.mode)
			} else {
				_ = os.Remove(w.path)
			}
		}
	}
	for i, c := range b.cur {
		after := b.out[i]
		fr := &fileState{Path: c.spec.path, Role: c.spec.role, Format: c.spec.format.String(), Existed: b.bases[i].exists, Hash: hashString(after), Ops: b.ops[i]}
		if of := old.file(c.spec.path); of != nil {
			fr.CreatedDirs = of.CreatedDirs
		}
		changed := !c.exists || c.text != after
		fr.Base = b.bases[i].backup
		if changed && c.exists {
			bk, err := s.backup(id, c.spec.path, c.text, keep)
			if err != nil {
				rollback()
				return fail(err)
			}
			keep[bk] = true
			if fr.Existed && fr.Base == "" && b.bases[i].text == c.text {
				fr.Base = bk
			}
			res.Files = append(res.Files, FileResult{Path: c.spec.path, Action: "updated", Backup: bk})
		}
		if fr.Existed && fr.Base == "" {
			// the original differs from the file on disk (user edits since
			// our last apply): keep it too, so undo can restore it
			bk, err := s.backup(id, c.spec.path+".base", b.bases[i].text, keep)
			if err != nil {
				rollback()
				return fail(err)
			}
			keep[bk] = true
			fr.Base = bk
		}
		if !changed {
			res.Files = append(res.Files, FileResult{Path: c.spec.path, Action: "unchanged"})
		} else {
			mode := c.mode
			if !c.exists {
				mode = 0o644
				if c.spec.secret {
					mode = 0o600
				}
				dirs, err := mkdirs(filepath.Dir(c.real))
				if err != nil {
					rollback()
					return fail(err)
				}
				fr.CreatedDirs = append(fr.CreatedDirs, dirs...)
				res.Files = append(res.Files, FileResult{Path: c.spec.path, Action: "created"})
			}
			if err := writeFile(c.real, []byte(after), mode); err != nil {
				rollback()
				return fail(fmt.Errorf("clitools: write %s: %w", c.spec.path, err))
			}
			done = append(done, written{c.real, c})
			res.Changed = true
		}
		rec.Files = append(rec.Files, fr)
	}
	rec.KeyMinted = b.mintKey || (old != nil && old.KeyMinted)
	st.Tools[id] = rec
	if err := s.saveState(st); err != nil {
		rollback()
		return fail(err)
	}
	return res, nil
}

// Undo takes the tool back to how it was before Apply.
func (s *Service) Undo(ctx context.Context, id string) (*Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.tool(id)
	if err != nil {
		return nil, err
	}
	st, err := s.loadState()
	if err != nil {
		return nil, err
	}
	rec := st.Tools[id]
	if rec == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotApplied, t.name)
	}
	res := &Result{Tool: id, KeyName: rec.KeyName}
	// read and check everything before writing anything
	type step struct {
		fr     *fileState
		cur    current
		action string
		text   string
	}
	var steps []step
	for _, fr := range rec.Files {
		spec := fileSpec{role: fr.Role, path: fr.Path, format: parseFormat(fr.Format)}
		for _, sp := range t.files(s.env) {
			if sp.role == fr.Role && sp.format == spec.format {
				spec.secret, spec.initial = sp.secret, sp.initial
			}
		}
		c, err := readCurrent(spec)
		if err != nil {
			return nil, err
		}
		switch {
		case !c.exists:
			steps = append(steps, step{fr: fr, cur: c, action: "missing"})
		case hashString(c.text) == fr.Hash:
			if !fr.Existed {
				steps = append(steps, step{fr: fr, cur: c, action: "removed"})
				continue
			}
			bs, ok := s.readBase(fr)
			if ok {
				steps = append(steps, step{fr: fr, cur: c, action: "restored", text: bs.text})
				continue
			}
			fallthrough
		default:
			d, err := parseCurrent(c)
			if err != nil {
				return nil, err
			}
			if err := d.revert(fr.Ops); err != nil {
				return nil, err
			}
			if !fr.Existed && (d.empty() || d.String() == spec.initial) {
				steps = append(steps, step{fr: fr, cur: c, action: "removed"})
			} else {
				steps = append(steps, step{fr: fr, cur: c, action: "reverted", text: d.String()})
			}
		}
	}
	keep := st.referenced()
	for _, sp := range steps {
		fres := FileResult{Path: sp.fr.Path, Action: sp.action}
		switch sp.action {
		case "removed":
			bk, err := s.backup(id, sp.fr.Path, sp.cur.text, keep)
			if err != nil {
				return nil, err
			}
			fres.Backup = bk
			if err := os.Remove(sp.cur.real); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("clitools: remove %s: %w", sp.fr.Path, err)
			}
			res.Changed = true
		case "restored", "reverted":
			if sp.text != sp.cur.text {
				bk, err := s.backup(id, sp.fr.Path, sp.cur.text, keep)
				if err != nil {
					return nil, err
				}
				fres.Backup = bk
				if err := writeAtomic(sp.cur.real, []byte(sp.text), sp.cur.mode); err != nil {
					return nil, fmt.Errorf("clitools: write %s: %w", sp.fr.Path, err)
				}
				res.Changed = true
			} else {
				fres.Action = "unchanged"
			}
		}
		res.Files = append(res.Files, fres)
	}
	for _, sp := range steps {
		for i := len(sp.fr.CreatedDirs) - 1; i >= 0; i-- {
			_ = os.Remove(sp.fr.CreatedDirs[i]) // only succeeds when empty
		}
	}
	if s.keys != nil {
		if err := s.keys.Revoke(ctx, rec.KeyName); err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("could not revoke key %q: %v", rec.KeyName, err))
		} else {
			res.KeyRevoked = true
		}
	}
	delete(st.Tools, id)
	if err := s.saveState(st); err != nil {
		return nil, err
	}
	s.rotate(id, st.referenced())
	return res, nil
}

// mkdirs creates dir and returns the folders it had to create, outermost first.
func mkdirs(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append([]string{d}, missing...)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("clitools: create %s: %w", dir, err)
	}
	return missing, nil
}
