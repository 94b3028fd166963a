package clitools

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

type format int

const (
	fmtJSON format = iota // JSON, JSONC and JSON5-ish
	fmtTOML
	fmtEnv
	fmtYAML
)

// fileSpec is one file a tool reads.
type fileSpec struct {
	role    string // short name the tool's code uses ("settings", "env"…)
	path    string
	format  format
	secret  bool   // holds the key: 0600 when we create it
	initial string // content of a new file before our edits
}

// opRec records one edit so it can be taken back later.
type opRec struct {
	File    string   `json:"file"` // role
	Kind    string   `json:"kind"` // set | delete | items
	Path    []string `json:"path"`
	Keep    int      `json:"keep,omitempty"`    // containers that existed before (JSON), 1 = table existed (TOML)
	Wrote   string   `json:"wrote,omitempty"`   // sha256 of the canonical value we wrote
	HadPrev bool     `json:"hadPrev,omitempty"` // a value was there before
	Prev    string   `json:"prev,omitempty"`    // its original text
	Field   string   `json:"field,omitempty"`   // items: the field holding the marker
	Marker  string   `json:"marker,omitempty"`  // items: prefix that marks our entries
	Anchor  string   `json:"anchor,omitempty"`  // delete (JSON): the member that preceded it
}

func hashString(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// doc is one parsed file being edited.
type doc struct {
	spec fileSpec
	json *jdoc
	toml *tdoc
	env  *envDoc
	yaml *ydoc
	ops  []opRec
}

func parseDoc(spec fileSpec, text string) (*doc, error) {
	d := &doc{spec: spec}
	var err error
	switch spec.format {
	case fmtJSON:
		d.json, err = newJSONDoc(text)
	case fmtTOML:
		d.toml, err = newTOMLDoc(text)
	case fmtEnv:
		d.env, err = newEnvDoc(text)
	case fmtYAML:
		d.yaml, err = newYAMLDoc(text)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (d *doc) String() string {
	switch d.spec.format {
	case fmtJSON:
		return d.json.String()
	case fmtTOML:
		return d.toml.String()
	case fmtEnv:
		return d.env.String()
	default:
		return d.yaml.String()
	}
}

func (d *doc) empty() bool {
	switch d.spec.format {
	case fmtJSON:
		return d.json.Empty()
	case fmtTOML:
		return d.toml.Empty()
	case fmtEnv:
		return d.env.Empty()
	default:
		return d.yaml.Empty()
	}
}

// tomlSplit turns a path into table and key.
func tomlSplit(p []string) (string, string) {
	return strings.Join(p[:len(p)-1], "."), p[len(p)-1]
}

// current returns the canonical value at path and whether it exists.
func (d *doc) current(p []string) (string, bool) {
	switch d.spec.format {
	case fmtJSON:
		return d.json.Get(p)
	case fmtTOML:
		t, k := tomlSplit(p)
		return d.toml.Get(t, k)
	case fmtEnv:
		return d.env.Get(p[0])
	}
	return "", false
}

// raw returns the original text of the value at path.
func (d *doc) raw(p []string) (string, bool) {
	switch d.spec.format {
	case fmtJSON:
		return d.json.Raw(p)
	case fmtTOML:
		t, k := tomlSplit(p)
		return d.toml.Get(t, k)
	case fmtEnv:
		return d.env.Raw(p[0])
	}
	return "", false
}

// canonFor is how a value we write compares with what the file holds later.
func (d *doc) canonFor(v any) string {
	switch d.spec.format {
	case fmtJSON:
		return canonicalOf(v)
	case fmtTOML:
		return tomlValue(v)
	default:
		return fmt.Sprint(v)
	}
}

func tomlValue(v any) string {
	switch x := v.(type) {
	case string:
		return quoteTOML(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int:
		return fmt.Sprint(x)
	}
	panic(fmt.Sprintf("clitools: no TOML form for %T", v))
}

// set writes v at path and records how to take it back.
func (d *doc) set(p []string, v any) error {
	op := opRec{File: d.spec.role, Kind: "set", Path: p, Wrote: hashString(d.canonFor(v))}
	op.Prev, op.HadPrev = d.raw(p)
	var err error
	switch d.spec.format {
	case fmtJSON:
		op.Keep = d.json.Depth(p)
		err = d.json.Set(p, v)
	case fmtTOML:
		t, k := tomlSplit(p)
		if t != "" {
			if c := d.toml.Conflict(t); c != "" {
				return fmt.Errorf("%s: %s; edit it by hand or write it as a [%s] table", d.spec.path, c, t)
			}
			if d.toml.header(t) >= 0 {
				op.Keep = 1
			}
		}
		err = d.toml.Set(t, k, tomlValue(v))
	case fmtEnv:
		err = d.env.Set(p[0], fmt.Sprint(v))
	default:
		return fmt.Errorf("clitools: set on YAML is not supported")
	}
	if err != nil {
		return fmt.Errorf("%s: %w", d.spec.path, err)
	}
	d.ops = append(d.ops, op)
	return nil
}

// del removes path (recording its value so undo can put it back).
func (d *doc) del(p []string) error {
	prev, had := d.raw(p)
	if !had {
		return nil
	}
	op := opRec{File: d.spec.role, Kind: "delete", Path: p, HadPrev: true, Prev: prev}
	var err error
	switch d.spec.format {
	case fmtJSON:
		op.Anchor = d.json.Anchor(p)
		err = d.json.Delete(p)
	case fmtTOML:
		t, k := tomlSplit(p)
		err = d.toml.Delete(t, k)
	case fmtEnv:
		err = d.env.Delete(p[0])
	}
	if err != nil {
		return fmt.Errorf("%s: %w", d.spec.path, err)
	}
	d.ops = append(d.ops, op)
	return nil
}

// items replaces our entries (those whose field starts with marker) in the
// list at path with items, placed first.
func (d *doc) items(p []string, field, marker string, items []obj) error {
	op := opRec{File: d.spec.role, Kind: "items", Path: p, Field: field, Marker: marker}
	match := func(get func(string) string) bool { return strings.HasPrefix(get(field), marker) }
	var err error
	switch d.spec.format {
	case fmtJSON:
		if n := d.json.Node(p); n != nil && n.kind != jArray {
			return fmt.Errorf("%s: %s is not a list", d.spec.path, strings.Join(p, "."))
		}
		// containers an undo must keep: the list itself when it was there
		if d.json.Node(p) == nil {
			op.Keep = d.json.Depth(p)
		} else {
			op.Keep = len(p) + 1
		}
		if _, err = d.json.RemoveItems(p, func(n *jnode) bool { return match(func(k string) string { return itemField(n, k) }) }); err != nil {
			break
		}
		vals := make([]any, len(items))
		for i, it := range items {
			vals[i] = it
		}
		err = d.json.InsertItems(p, vals)
	case fmtYAML:
		if d.yaml.Has(p[0]) {
			op.Keep = 1
		}
		if _, err = d.yaml.RemoveItems(p[0], func(n *yaml.Node) bool { return match(func(k string) string { return mapField(n, k) }) }); err != nil {
			break
		}
		err = d.yaml.InsertItems(p[0], items)
	default:
		return fmt.Errorf("clitools: lists are not supported in this format")
	}
	if err != nil {
		return fmt.Errorf("%s: %w", d.spec.path, err)
	}
	d.ops = append(d.ops, op)
	return nil
}

// revert takes back recorded ops (newest first) on the document as it is
// now: a value we wrote and the user left alone goes back to what it was
// (or away); a value the user changed since stays theirs; values we
// deleted come back unless the user set them again; our list entries go.
func (d *doc) revert(ops []opRec) error {
	for i := len(ops) - 1; i >= 0; i-- {
		op := ops[i]
		if op.File != d.spec.role {
			continue
		}
		var err error
		switch op.Kind {
		case "set":
			cur, ok := d.current(op.Path)
			if !ok || hashString(cur) != op.Wrote {
				continue
			}
			if op.HadPrev {
				err = d.restoreRaw(op.Path, op.Prev)
			} else {
				err = d.remove(op.Path, op.Keep)
			}
		case "delete":
			if _, ok := d.current(op.Path); ok {
				continue
			}
			if d.spec.format == fmtJSON {
				err = d.json.SetAfter(op.Path, op.Prev, op.Anchor)
			} else {
				err = d.restoreRaw(op.Path, op.Prev)
			}
		case "items":
			match := func(get func(string) string) bool { return strings.HasPrefix(get(op.Field), op.Marker) }
			switch d.spec.format {
			case fmtJSON:
				if d.json.Items(op.Path) == nil {
					continue
				}
				if _, err = d.json.RemoveItems(op.Path, func(n *jnode) bool { return match(func(k string) string { return itemField(n, k) }) }); err == nil {
					err = d.json.Prune(append(append([]string{}, op.Path...), "x"), op.Keep)
				}
			case fmtYAML:
				if _, err = d.yaml.RemoveItems(op.Path[0], func(n *yaml.Node) bool { return match(func(k string) string { return mapField(n, k) }) }); err == nil && op.Keep == 0 {
					err = d.yaml.DeleteKeyIfEmpty(op.Path[0])
				}
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", d.spec.path, err)
		}
	}
	return nil
}

func (d *doc) restoreRaw(p []string, raw string) error {
	switch d.spec.format {
	case fmtJSON:
		return d.json.Set(p, rawJSON(raw))
	case fmtTOML:
		t, k := tomlSplit(p)
		return d.toml.Set(t, k, raw)
	case fmtEnv:
		return d.env.SetRaw(p[0], raw)
	}
	return nil
}

func (d *doc) remove(p []string, keep int) error {
	switch d.spec.format {
	case fmtJSON:
		if err := d.json.Delete(p); err != nil {
			return err
		}
		return d.json.Prune(p, keep)
	case fmtTOML:
		t, k := tomlSplit(p)
		if err := d.toml.Delete(t, k); err != nil {
			return err
		}
		if t != "" && keep == 0 {
			return d.toml.DeleteTableIfEmpty(t)
		}
	case fmtEnv:
		return d.env.Delete(p[0])
	}
	return nil
}
