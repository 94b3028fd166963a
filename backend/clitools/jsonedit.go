package clitools

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The JSON/JSONC editor: every change is a splice into the original text
// at offsets the parser (jsonc.go) recorded, following the layout around it
// (indent unit, one entry per line or all on one line, trailing commas,
// CRLF), so the rest of the file stays byte-identical.

// jdoc is a JSON/JSONC document being edited.
type jdoc struct {
	text string
	root *jnode
	nl   string
	unit string
	bare bool // JSON5 with unquoted keys: write ours the same way
}

func (d *jdoc) render(v any, indent, unit, nl string) string {
	var b strings.Builder
	writeJSON(&b, v, indent, unit, nl, d.bare)
	return b.String()
}

func newJSONDoc(text string) (*jdoc, error) {
	root, err := parseJSONC(text)
	if err != nil {
		return nil, err
	}
	if root != nil && root.kind != jObject {
		l, c := lineCol(text, root.start)
		return nil, &SyntaxError{Line: l, Col: c, Msg: "the top level must be an object"}
	}
	d := &jdoc{text: text, root: root, nl: detectNL(text)}
	d.unit = d.detectUnit()
	if root != nil && len(root.members) > 0 {
		c := text[root.members[0].keyStart]
		d.bare = c != '"' && c != '\''
	}
	return d, nil
}

func detectNL(s string) string {
	if strings.Contains(s, "\r\n") {
		return "\r\n"
	}
	return "\n"
}

// detectUnit guesses one level of indentation from the first member of the
// first multi-line object.
func (d *jdoc) detectUnit() string {
	if d.root == nil {
		return "  "
	}
	var find func(n *jnode) string
	find = func(n *jnode) string {
		if n.kind == jObject {
			for _, m := range n.members {
				if d.onOwnLine(m.keyStart) {
					outer := d.lineIndent(n.start)
					inner := d.lineIndent(m.keyStart)
					if strings.HasPrefix(inner, outer) && len(inner) > len(outer) {
						return inner[len(outer):]
					}
				}
				if u := find(m.val); u != "" {
					return u
				}
			}
		}
		if n.kind == jArray {
			for _, it := range n.items {
				if u := find(it.val); u != "" {
					return u
				}
			}
		}
		return ""
	}
	if u := find(d.root); u != "" {
		return u
	}
	return "  "
}

func (d *jdoc) reparse() error {
	root, err := parseJSONC(d.text)
	if err != nil {
		return fmt.Errorf("internal error: edit produced invalid JSON: %w", err)
	}
	d.root = root
	return nil
}

func (d *jdoc) splice(start, end int, with string) {
	d.text = d.text[:start] + with + d.text[end:]
}

func (d *jdoc) lineStart(off int) int { return strings.LastIndexByte(d.text[:off], '\n') + 1 }

func (d *jdoc) lineEnd(off int) int {
	i := strings.IndexByte(d.text[off:], '\n')
	if i < 0 {
		return len(d.text)
	}
	if i > 0 && d.text[off+i-1] == '\r' {
		return off + i - 1
	}
	return off + i
}

// lineIndent is the leading whitespace of the line holding off.
func (d *jdoc) lineIndent(off int) string {
	ls := d.lineStart(off)
	i := ls
	for i < len(d.text) && (d.text[i] == ' ' || d.text[i] == '\t') {
		i++
	}
	return d.text[ls:i]
}

// onOwnLine reports whether only whitespace precedes off on its line.
func (d *jdoc) onOwnLine(off int) bool {
	return strings.TrimSpace(d.text[d.lineStart(off):off]) == ""
}

// restIsBlank reports whether only whitespace and comments follow off on its line.
func (d *jdoc) restIsBlank(off int) bool {
	rest := strings.TrimSpace(d.text[off:d.lineEnd(off)])
	return rest == "" || strings.HasPrefix(rest, "//") || (strings.HasPrefix(rest, "/*") && strings.HasSuffix(rest, "*/") && !strings.Contains(rest[2:len(rest)-2], "*/"))
}

// lookup walks path; it returns the node at path (nil if absent), the
// deepest existing object on the way and how many segments it covers.
func (d *jdoc) lookup(path []string) (node, parent *jnode, depth int, err error) {
	cur := d.root
	for i, k := range path {
		if cur == nil {
			return nil, parent, i - 1, nil
		}
		if cur.kind != jObject {
			return nil, nil, 0, fmt.Errorf("%s is not an object", strings.Join(path[:i], "."))
		}
		parent, depth = cur, i
		cur = cur.get(k)
	}
	return cur, parent, depth, nil
}

// Get returns the canonical text of the value at path.
func (d *jdoc) Get(path []string) (string, bool) {
	n, _, _, err := d.lookup(path)
	if err != nil || n == nil {
		return "", false
	}
	return canonical(d.text, n), true
}

// GetString returns the string at path ("" if absent or not a string).
func (d *jdoc) GetString(path []string) string {
	n, _, _, _ := d.lookup(path)
	if n == nil || n.kind != jString {
		return ""
	}
	return n.str
}

// Raw returns the original bytes of the value at path.
func (d *jdoc) Raw(path []string) (string, bool) {
	n, _, _, err := d.lookup(path)
	if err != nil || n == nil {
		return "", false
	}
	return d.text[n.start:n.end], true
}

// Node returns the parsed value at path.
func (d *jdoc) Node(path []string) *jnode {
	n, _, _, _ := d.lookup(path)
	return n
}

// Depth reports how many leading segments of path already exist as objects
// (the containers an undo must not remove).
func (d *jdoc) Depth(path []string) int {
	if d.root == nil {
		return 0
	}
	cur, n := d.root, 0
	for _, k := range path[:len(path)-1] {
		next := cur.get(k)
		if next == nil || next.kind != jObject {
			break
		}
		cur, n = next, n+1
	}
	return n + 1 // the root object itself
}

// Set writes v at path, creating missing objects on the way.
func (d *jdoc) Set(path []string, v any) error {
	if d.root == nil {
		// empty document: the whole file becomes our object
		prefix := ""
		if strings.HasPrefix(d.text, "\uFEFF") {
			prefix = "\uFEFF"
		}
		var value any = v
		for i := len(path) - 1; i >= 0; i-- {
			value = obj{{path[i], value}}
		}
		lead := strings.TrimRight(strings.TrimPrefix(d.text, prefix), " \t\r\n")
		if lead != "" {
			lead += d.nl
		}
		d.text = prefix + lead + d.render(value, "", d.unit, d.nl) + d.nl
		return d.reparse()
	}
	node, parent, depth, err := d.lookup(path)
	if err != nil {
		return err
	}
	if node != nil {
		var text string
		if r, ok := v.(rawJSON); ok {
			text = string(r)
		} else {
			text = d.render(v, d.lineIndent(node.start), d.unit, d.nl)
		}
		d.splice(node.start, node.end, text)
		return d.reparse()
	}
	// parent is the deepest existing object; build the rest as nested objects
	var value any = v
	for i := len(path) - 1; i > depth; i-- {
		value = obj{{path[i], value}}
	}
	d.insertMember(parent, path[depth], value, false)
	return d.reparse()
}

// insertMember adds key: value to object o (at its end, or first).
func (d *jdoc) insertMember(o *jnode, key string, value any, first bool) {
	at := -1
	if first {
		at = 0
	}
	d.insertEntry(o, jsonKey(key, d.bare)+": ", value, at)
}

// insertEntry adds one entry (prefix+value) to an object or array before
// entry at (-1: at the end), following the container's layout.
func (d *jdoc) insertEntry(c *jnode, prefix string, value any, at int) {
	type entry struct {
		start, end, comma int
	}
	var entries []entry
	if c.kind == jObject {
		for _, m := range c.members {
			entries = append(entries, entry{m.keyStart, m.val.end, m.comma})
		}
	} else {
		for _, it := range c.items {
			entries = append(entries, entry{it.val.start, it.val.end, it.comma})
		}
	}
	if len(entries) == 0 {
		indent := d.lineIndent(c.start) + d.unit
		inner := d.text[c.start+1 : c.end-1]
		text := d.nl + indent + prefix + d.render(value, indent, d.unit, d.nl)
		if strings.TrimSpace(inner) == "" {
			d.splice(c.start+1, c.end-1, text+d.nl+d.lineIndent(c.start))
		} else { // only comments inside: keep them below our entry
			d.splice(c.start+1, c.start+1, text)
		}
		return
	}
	multiline := d.onOwnLine(entries[0].start)
	if at >= 0 && at < len(entries) {
		e := entries[at]
		if multiline {
			indent := d.lineIndent(e.start)
			text := prefix + d.render(value, indent, d.unit, d.nl) + "," + d.nl + indent
			d.splice(e.start, e.start, text)
		} else {
			d.splice(e.start, e.start, prefix+d.render(value, "", "", "")+", ")
		}
		return
	}
	last := entries[len(entries)-1]
	if !multiline {
		// single-line container: "…last, key: value"
		if last.comma >= 0 {
			d.splice(last.comma+1, last.comma+1, " "+prefix+d.render(value, "", "", "")+",")
		} else {
			d.splice(last.end, last.end, ", "+prefix+d.render(value, "", "", ""))
		}
		return
	}
	indent := d.lineIndent(last.start)
	text := prefix + d.render(value, indent, d.unit, d.nl)
	after := last.end
	if last.comma >= 0 {
		after = last.comma + 1
	}
	if d.restIsBlank(after) && !strings.Contains(d.text[last.end:after], "\n") {
		// put the new entry on its own line below the last one, keeping
		// any comment that trails the last entry where it is
		tail := ""
		if last.comma >= 0 {
			tail = ","
		} else {
			d.splice(last.end, last.end, ",")
		}
		eol := d.lineEnd(last.end)
		d.splice(eol, eol, d.nl+indent+text+tail)
		return
	}
	if last.comma >= 0 {
		d.splice(last.comma+1, last.comma+1, d.nl+indent+text+",")
	} else {
		d.splice(last.end, last.end, ","+d.nl+indent+text)
	}
}

// Anchor names the member before path's ("" when it is the first).
func (d *jdoc) Anchor(path []string) string {
	_, parent, depth, err := d.lookup(path)
	if err != nil || parent == nil {
		return ""
	}
	_, idx := parent.member(path[depth])
	if idx <= 0 {
		return ""
	}
	return parent.members[idx-1].key
}

// SetAfter adds path = raw right after the member named anchor ("" =
// first), or at the end when anchor is gone; an existing member is
// replaced in place.
func (d *jdoc) SetAfter(path []string, raw string, anchor string) error {
	node, parent, depth, err := d.lookup(path)
	if err != nil {
		return err
	}
	if node != nil || parent == nil || depth != len(path)-1 {
		return d.Set(path, rawJSON(raw))
	}
	at := -1
	if anchor == "" {
		at = 0
	} else if _, i := parent.member(anchor); i >= 0 {
		at = i + 1
	}
	if at >= len(parent.members) {
		at = -1
	}
	d.insertEntry(parent, jsonKey(path[depth], d.bare)+": ", rawJSON(raw), at)
	return d.reparse()
}

// Delete removes the member at path (nothing if absent).
func (d *jdoc) Delete(path []string) error {
	node, parent, depth, err := d.lookup(path)
	if err != nil || node == nil {
		return err
	}
	_, idx := parent.member(path[depth])
	d.removeEntry(parent, idx)
	return d.reparse()
}

// removeEntry cuts entry idx of an object or array out of the text, with
// its comma and, when it sat on lines of its own, those lines.
func (d *jdoc) removeEntry(c *jnode, idx int) {
	var start, end, comma, prevComma int
	n := 0
	if c.kind == jObject {
		m := c.members[idx]
		start, end, comma, n = m.keyStart, m.val.end, m.comma, len(c.members)
		if idx > 0 {
			prevComma = c.members[idx-1].comma
		}
	} else {
		it := c.items[idx]
		start, end, comma, n = it.val.start, it.val.end, it.comma, len(c.items)
		if idx > 0 {
			prevComma = c.items[idx-1].comma
		}
	}
	cutEnd := end
	if comma >= 0 {
		cutEnd = comma + 1
	}
	last := idx == n-1
	if !d.onOwnLine(start) {
		if last && comma < 0 && idx > 0 && prevComma >= 0 {
			d.splice(prevComma, cutEnd, "") // "a": 1, "b": 2 -> "a": 1
		} else {
			e := cutEnd
			for e < len(d.text) && (d.text[e] == ' ' || d.text[e] == '\t') {
				e++
			}
			d.splice(start, e, "")
		}
		d.collapseEmpty()
		return
	}
	e := cutEnd
	for e < len(d.text) && (d.text[e] == ' ' || d.text[e] == '\t') {
		e++
	}
	le := d.lineEnd(cutEnd)
	rest := strings.TrimSpace(d.text[cutEnd:le])
	if rest == "" || strings.HasPrefix(rest, "//") {
		// the entry had its line(s) to itself: remove them whole
		ls := d.lineStart(start)
		nlEnd := le
		if nlEnd < len(d.text) && d.text[nlEnd] == '\r' {
			nlEnd++
		}
		if nlEnd < len(d.text) && d.text[nlEnd] == '\n' {
			nlEnd++
		}
		d.splice(ls, nlEnd, "")
	} else {
		d.splice(start, e, "")
	}
	if last && comma < 0 && idx > 0 && prevComma >= 0 {
		d.splice(prevComma, prevComma+1, "")
	}
	d.collapseEmpty()
}

// collapseEmpty turns containers left with only whitespace inside into {} / [].
func (d *jdoc) collapseEmpty() {
	root, err := parseJSONC(d.text)
	if err != nil || root == nil {
		return
	}
	var fix func(n *jnode) bool
	fix = func(n *jnode) bool {
		switch n.kind {
		case jObject:
			if len(n.members) == 0 && n.end-n.start > 2 && strings.TrimSpace(d.text[n.start+1:n.end-1]) == "" {
				d.splice(n.start+1, n.end-1, "")
				return true
			}
			for _, m := range n.members {
				if fix(m.val) {
					return true
				}
			}
		case jArray:
			if len(n.items) == 0 && n.end-n.start > 2 && strings.TrimSpace(d.text[n.start+1:n.end-1]) == "" {
				d.splice(n.start+1, n.end-1, "")
				return true
			}
			for _, it := range n.items {
				if fix(it.val) {
					return true
				}
			}
		}
		return false
	}
	// one collapse per call is enough: removeEntry empties one container at a time
	fix(root)
}

// Prune removes empty objects along path from the innermost up to (not
// including) the first keep segments: the containers an apply created.
func (d *jdoc) Prune(path []string, keep int) error {
	for i := len(path) - 1; i >= keep && i >= 1; i-- {
		n := d.Node(path[:i])
		if n == nil {
			continue
		}
		if n.kind != jObject && n.kind != jArray {
			return nil
		}
		if len(n.members) > 0 || len(n.items) > 0 || strings.TrimSpace(d.text[n.start+1:n.end-1]) != "" {
			return nil
		}
		if err := d.Delete(path[:i]); err != nil {
			return err
		}
	}
	return nil
}

// Items returns the array at path (nil if absent or not an array).
func (d *jdoc) Items(path []string) *jnode {
	n := d.Node(path)
	if n == nil || n.kind != jArray {
		return nil
	}
	return n
}

// itemField returns the string field key of an array element.
func itemField(n *jnode, key string) string {
	if f := n.get(key); f != nil && f.kind == jString {
		return f.str
	}
	return ""
}

// RemoveItems drops the elements of the array at path that match, and
// returns their original text.
func (d *jdoc) RemoveItems(path []string, match func(*jnode) bool) ([]string, error) {
	var removed []string
	for {
		arr := d.Items(path)
		if arr == nil {
			return removed, nil
		}
		idx := -1
		for i, it := range arr.items {
			if match(it.val) {
				idx = i
				break
			}
		}
		if idx < 0 {
			return removed, nil
		}
		removed = append(removed, d.text[arr.items[idx].val.start:arr.items[idx].val.end])
		d.removeEntry(arr, idx)
		if err := d.reparse(); err != nil {
			return nil, err
		}
	}
}

// InsertItems puts values at the front of the array at path (creating it).
func (d *jdoc) InsertItems(path []string, values []any) error {
	if d.Node(path) == nil {
		return d.Set(path, values)
	}
	arr := d.Items(path)
	if arr == nil {
		return fmt.Errorf("%s is not an array", strings.Join(path, "."))
	}
	for i := len(values) - 1; i >= 0; i-- {
		d.insertEntry(arr, "", values[i], 0)
		if err := d.reparse(); err != nil {
			return err
		}
		arr = d.Items(path)
	}
	return nil
}

// Empty reports whether the document holds nothing but an empty object.
func (d *jdoc) Empty() bool {
	return d.root == nil || (len(d.root.members) == 0 && strings.TrimSpace(d.text[d.root.start+1:d.root.end-1]) == "")
}

func (d *jdoc) String() string { return d.text }

// validUTF8 is checked before editing: we never rewrite bytes we cannot read.
func validUTF8(b []byte) bool { return utf8.Valid(b) }
