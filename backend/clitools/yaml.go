package clitools

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// A YAML editor for one job: adding and removing our entries in a
// top-level block sequence (Continue's `models:`). yaml.v3's node tree
// tells where things are; the edits are line splices, so comments, anchors,
// quoting and indentation elsewhere stay as they were. Only a non-empty
// flow sequence (`models: [a, b]`) forces a re-encode of the document.

type ydoc struct {
	text string
	root *yaml.Node // the document's top mapping, nil when empty
	nl   string
}

var yamlLineRe = regexp.MustCompile(`line (\d+)`)

func newYAMLDoc(text string) (*ydoc, error) {
	d := &ydoc{text: text, nl: detectNL(text)}
	return d, d.parse()
}

func (d *ydoc) parse() error {
	var doc yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(d.text))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			d.root = nil
			return nil
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
			fmt.Sscan(m[1], &line)
			msg = strings.TrimSpace(yamlLineRe.ReplaceAllString(msg, ""))
			msg = strings.TrimPrefix(strings.TrimPrefix(msg, ":"), " ")
		}
		return &SyntaxError{Line: line, Col: 0, Msg: msg}
	}
	if len(doc.Content) == 0 {
		d.root = nil
		return nil
	}
	r := doc.Content[0]
	if r.Kind == yaml.ScalarNode && r.Tag == "!!null" {
		d.root = nil
		return nil
	}
	if r.Kind != yaml.MappingNode {
		return &SyntaxError{Line: r.Line, Col: r.Column, Msg: "the top level must be a mapping"}
	}
	d.root = r
	return nil
}

func (d *ydoc) String() string { return d.text }

// lines splits keeping the newline on each line.
func (d *ydoc) lines() []string { return strings.SplitAfter(d.text, "\n") }

func (d *ydoc) lookup(key string) (k, v *yaml.Node) {
	if d.root == nil {
		return nil, nil
	}
	for i := 0; i+1 < len(d.root.Content); i += 2 {
		if d.root.Content[i].Value == key {
			k, v = d.root.Content[i], d.root.Content[i+1]
		}
	}
	return k, v
}

// GetString returns a top-level string value.
func (d *ydoc) GetString(key string) string {
	_, v := d.lookup(key)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

// Seq returns the sequence under a top-level key (nil if absent or not one).
func (d *ydoc) Seq(key string) *yaml.Node {
	_, v := d.lookup(key)
	if v == nil || v.Kind != yaml.SequenceNode {
		return nil
	}
	return v
}

// Has reports whether a top-level key exists.
func (d *ydoc) Has(key string) bool { k, _ := d.lookup(key); return k != nil }

func mapField(n *yaml.Node, key string) string {
	if n == nil || n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// lastLine is the last line a node's text occupies.
func lastLine(n *yaml.Node) int {
	l := n.Line
	if n.Kind == yaml.ScalarNode && (n.Style&(yaml.LiteralStyle|yaml.FoldedStyle)) != 0 {
		l += strings.Count(strings.TrimRight(n.Value, "\n"), "\n") + 1
	}
	if n.Kind == yaml.ScalarNode && (n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle)) == 0 && strings.Contains(n.Value, "\n") {
		l += strings.Count(n.Value, "\n")
	}
	for _, c := range n.Content {
		if cl := lastLine(c); cl > l {
			l = cl
		}
	}
	return l
}

// itemStart is the line of a sequence item's dash.
func (d *ydoc) itemStart(item *yaml.Node) int {
	ls := d.lines()
	l := item.Line
	if l-1 < len(ls) {
		prefix := ls[l-1]
		if item.Column-1 <= len(prefix) {
			prefix = prefix[:item.Column-1]
		}
		if strings.Contains(prefix, "-") {
			return l
		}
	}
	// "-" alone on the line above
	for j := l - 1; j >= 1; j-- {
		t := strings.TrimSpace(ls[j-1])
		if t == "-" {
			return j
		}
		if t != "" && !strings.HasPrefix(t, "#") {
			break
		}
	}
	return l
}

// RemoveItems deletes the items of the top-level sequence key that match,
// returning their original text.
func (d *ydoc) RemoveItems(key string, match func(*yaml.Node) bool) ([]string, error) {
	var removed []string
	for {
		seq := d.Seq(key)
		if seq == nil {
			return removed, nil
		}
		idx := -1
		for i, it := range seq.Content {
			if match(it) {
				idx = i
				break
			}
		}
		if idx < 0 {
			return removed, nil
		}
		if seq.Style&yaml.FlowStyle != 0 {
			seq.Content = append(seq.Content[:idx], seq.Content[idx+1:]...)
			if err := d.reencode(); err != nil {
				return nil, err
			}
			continue
		}
		it := seq.Content[idx]
		from, to := d.itemStart(it), lastLine(it)
		ls := d.lines()
		removed = append(removed, strings.Join(ls[from-1:to], ""))
		d.text = strings.Join(ls[:from-1], "") + strings.Join(ls[to:], "")
		if err := d.parse(); err != nil {
			return nil, fmt.Errorf("internal error: edit produced invalid YAML: %w", err)
		}
	}
}

// yamlScalar renders a string the way yaml.v3 would (quoted when needed).
func yamlScalar(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return quoteJSON(s)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// renderYAMLItem renders a flat mapping as one block-sequence item.
func renderYAMLItem(item obj, indent, nl string) string {
	var b strings.Builder
	for i, f := range item {
		if i == 0 {
			b.WriteString(indent + "- ")
		} else {
			b.WriteString(indent + "  ")
		}
		b.WriteString(f.K + ": " + yamlScalar(fmt.Sprint(f.V)) + nl)
	}
	return b.String()
}

// InsertItems puts items at the front of the top-level sequence key,
// creating the key at the end of the document when it is missing.
func (d *ydoc) InsertItems(key string, items []obj) error {
	k, v := d.lookup(key)
	ls := d.lines()
	switch {
	case k == nil:
		t := d.text
		if t != "" && !strings.HasSuffix(t, "\n") {
			t += d.nl
		}
		t += key + ":" + d.nl
		for _, it := range items {
			t += renderYAMLItem(it, "  ", d.nl)
		}
		d.text = t
	case v.Kind == yaml.SequenceNode && len(v.Content) > 0 && v.Style&yaml.FlowStyle == 0:
		first := v.Content[0]
		from := d.itemStart(first)
		line := ls[from-1]
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		var b strings.Builder
		for _, it := range items {
			b.WriteString(renderYAMLItem(it, indent, d.nl))
		}
		d.text = strings.Join(ls[:from-1], "") + b.String() + strings.Join(ls[from-1:], "")
	case (v.Kind == yaml.SequenceNode && len(v.Content) == 0) || (v.Kind == yaml.ScalarNode && v.Tag == "!!null"):
		// `models:` or `models: []`: rewrite that one line
		line := ls[k.Line-1]
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		var b strings.Builder
		b.WriteString(indent + key + ":")
		if i := strings.Index(line, " #"); i >= 0 {
			b.WriteString(strings.TrimRight(line[i:], "\r\n"))
		}
		b.WriteString(d.nl)
		for _, it := range items {
			b.WriteString(renderYAMLItem(it, indent+"  ", d.nl))
		}
		if v.Line != k.Line && v.Kind == yaml.SequenceNode { // "[]" on its own line
			d.text = strings.Join(ls[:k.Line-1], "") + b.String() + strings.Join(ls[v.Line:], "")
		} else {
			d.text = strings.Join(ls[:k.Line-1], "") + b.String() + strings.Join(ls[k.Line:], "")
		}
	case v.Kind == yaml.SequenceNode: // non-empty flow sequence: unavoidable re-encode
		for i := len(items) - 1; i >= 0; i-- {
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for _, f := range items[i] {
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f.K},
					&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: fmt.Sprint(f.V)})
			}
			v.Content = append([]*yaml.Node{n}, v.Content...)
		}
		return d.reencode()
	default:
		return fmt.Errorf("line %d: %s is not a list", k.Line, key)
	}
	if err := d.parse(); err != nil {
		return fmt.Errorf("internal error: edit produced invalid YAML: %w", err)
	}
	return nil
}

// DeleteKeyIfEmpty removes a top-level key whose sequence is empty.
func (d *ydoc) DeleteKeyIfEmpty(key string) error {
	k, v := d.lookup(key)
	if k == nil {
		return nil
	}
	if !((v.Kind == yaml.SequenceNode && len(v.Content) == 0) || (v.Kind == yaml.ScalarNode && v.Tag == "!!null")) {
		return nil
	}
	ls := d.lines()
	to := k.Line
	if v.Line > to {
		to = v.Line
	}
	d.text = strings.Join(ls[:k.Line-1], "") + strings.Join(ls[to:], "")
	return d.parse()
}

func (d *ydoc) reencode() error {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{d.root}}
	if err := enc.Encode(doc); err != nil {
		return err
	}
	d.text = buf.String()
	if d.nl != "\n" {
		d.text = strings.ReplaceAll(d.text, "\n", d.nl)
	}
	return d.parse()
}

// Empty reports a document with no content left.
func (d *ydoc) Empty() bool { return d.root == nil || len(d.root.Content) == 0 }
