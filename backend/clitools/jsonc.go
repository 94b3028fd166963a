package clitools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// This file is a small, lenient JSON parser that remembers where every value
// sits in the text, and an editor built on it that changes only the bytes of
// the keys it touches. It reads strict JSON and the relaxed dialects tools
// use for their settings (JSONC: // and /* */ comments, trailing commas; the
// JSON5 bits OpenClaw allows: unquoted keys, single-quoted strings). Every
// edit is a splice into the original text, so comments, key order, spacing
// and everything we did not touch stay byte-identical.

type jkind byte

const (
	jObject jkind = 'o'
	jArray  jkind = 'a'
	jString jkind = 's'
	jNumber jkind = 'n'
	jBool   jkind = 'b'
	jNull   jkind = 'z'
)

type jnode struct {
	kind       jkind
	start, end int // the value's bytes: text[start:end]
	str        string
	members    []*jmember // objects
	items      []*jitem   // arrays
}

type jmember struct {
	key              string
	keyStart, keyEnd int // the key's bytes, quotes included
	val              *jnode
	comma            int // offset of the comma after the value, -1 if none
}

type jitem struct {
	val   *jnode
	comma int
}

// get returns the member's value for key (the last one when a key repeats:
// that is the one JSON parsers keep).
func (n *jnode) get(key string) *jnode {
	if n == nil || n.kind != jObject {
		return nil
	}
	for i := len(n.members) - 1; i >= 0; i-- {
		if n.members[i].key == key {
			return n.members[i].val
		}
	}
	return nil
}

func (n *jnode) member(key string) (*jmember, int) {
	for i := len(n.members) - 1; i >= 0; i-- {
		if n.members[i].key == key {
			return n.members[i], i
		}
	}
	return nil, -1
}

// SyntaxError reports where a file stops being parseable.
type SyntaxError struct {
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	switch {
	case e.Line == 0:
		return e.Msg
	case e.Col == 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

type jparser struct {
	s   string
	pos int
}

func lineCol(s string, off int) (int, int) {
	if off > len(s) {
		off = len(s)
	}
	line := 1 + strings.Count(s[:off], "\n")
	col := off - strings.LastIndex(s[:off], "\n")
	return line, col
}

func (p *jparser) fail(off int, format string, args ...any) error {
	l, c := lineCol(p.s, off)
	return &SyntaxError{Line: l, Col: c, Msg: fmt.Sprintf(format, args...)}
}

// parseJSONC parses a whole document. An empty (or whitespace/comment-only)
// document yields a nil root and no error.
func parseJSONC(s string) (*jnode, error) {
	p := &jparser{s: s}
	if strings.HasPrefix(s, "\uFEFF") {
		p.pos = 3
	}
	if err := p.skip(); err != nil {
		return nil, err
	}
	if p.pos >= len(s) {
		return nil, nil
	}
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if err := p.skip(); err != nil {
		return nil, err
	}
	if p.pos < len(s) {
		return nil, p.fail(p.pos, "unexpected %q after the end of the document", p.s[p.pos])
	}
	return n, nil
}

// skip passes whitespace and comments.
func (p *jparser) skip() error {
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.pos++
		case c == '/' && p.pos+1 < len(p.s) && p.s[p.pos+1] == '/':
			i := strings.IndexByte(p.s[p.pos:], '\n')
			if i < 0 {
				p.pos = len(p.s)
			} else {
				p.pos += i
			}
		case c == '/' && p.pos+1 < len(p.s) && p.s[p.pos+1] == '*':
			i := strings.Index(p.s[p.pos+2:], "*/")
			if i < 0 {
				return p.fail(p.pos, "unterminated /* comment")
			}
			p.pos += i + 4
		default:
			return nil
		}
	}
	return nil
}

const maxDepth = 200

func (p *jparser) value(depth int) (*jnode, error) {
	if depth > maxDepth {
		return nil, p.fail(p.pos, "nested too deeply")
	}
	if p.pos >= len(p.s) {
		return nil, p.fail(p.pos, "unexpected end of file, expected a value")
	}
	start := p.pos
	switch c := p.s[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"' || c == '\'':
		str, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jnode{kind: jString, start: start, end: p.pos, str: str}, nil
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		for p.pos < len(p.s) && strings.IndexByte("+-.0123456789eExXabcdefABCDEF", p.s[p.pos]) >= 0 {
			p.pos++
		}
		return &jnode{kind: jNumber, start: start, end: p.pos}, nil
	default:
		w := p.ident()
		switch w {
		case "true", "false":
			return &jnode{kind: jBool, start: start, end: p.pos}, nil
		case "null":
			return &jnode{kind: jNull, start: start, end: p.pos}, nil
		case "Infinity", "NaN":
			return &jnode{kind: jNumber, start: start, end: p.pos}, nil
		}
		return nil, p.fail(start, "unexpected %q, expected a value", string(rune(c)))
	}
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (p *jparser) ident() string {
	start := p.pos
	for p.pos < len(p.s) && isIdent(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *jparser) str() (string, error) {
	q := p.s[p.pos]
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == q:
			p.pos++
			return b.String(), nil
		case c == '\n':
			return "", p.fail(start, "unterminated string")
		case c == '\\':
			if p.pos+1 >= len(p.s) {
				return "", p.fail(start, "unterminated string")
			}
			e := p.s[p.pos+1]
			p.pos += 2
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'u':
				if p.pos+4 > len(p.s) {
					return "", p.fail(p.pos, "bad \\u escape")
				}
				v, err := strconv.ParseUint(p.s[p.pos:p.pos+4], 16, 32)
				if err != nil {
					return "", p.fail(p.pos, "bad \\u escape")
				}
				p.pos += 4
				r := rune(v)
				if r >= 0xD800 && r < 0xDC00 && p.pos+6 <= len(p.s) && p.s[p.pos] == '\\' && p.s[p.pos+1] == 'u' {
					if v2, err := strconv.ParseUint(p.s[p.pos+2:p.pos+6], 16, 32); err == nil && v2 >= 0xDC00 && v2 < 0xE000 {
						r = (r-0xD800)<<10 + (rune(v2) - 0xDC00) + 0x10000
						p.pos += 6
					}
				}
				b.WriteRune(r)
			case '\n':
				// JSON5 line continuation
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", p.fail(start, "unterminated string")
}

func (p *jparser) object(depth int) (*jnode, error) {
	n := &jnode{kind: jObject, start: p.pos}
	p.pos++
	for {
		if err := p.skip(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.s) {
			return nil, p.fail(n.start, "unterminated object (missing '}')")
		}
		if p.s[p.pos] == '}' {
			p.pos++
			n.end = p.pos
			return n, nil
		}
		if len(n.members) > 0 && n.members[len(n.members)-1].comma < 0 {
			return nil, p.fail(p.pos, "expected ',' or '}' after an object member")
		}
		m := &jmember{keyStart: p.pos, comma: -1}
		switch c := p.s[p.pos]; {
		case c == '"' || c == '\'':
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			m.key = k
		case isIdent(c):
			m.key = p.ident()
		default:
			return nil, p.fail(p.pos, "unexpected %q, expected a key or '}'", string(rune(c)))
		}
		m.keyEnd = p.pos
		if err := p.skip(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.s) || p.s[p.pos] != ':' {
			return nil, p.fail(p.pos, "expected ':' after key %q", m.key)
		}
		p.pos++
		if err := p.skip(); err != nil {
			return nil, err
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m.val = v
		n.members = append(n.members, m)
		if err := p.skip(); err != nil {
			return nil, err
		}
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			m.comma = p.pos
			p.pos++
		}
	}
}

func (p *jparser) array(depth int) (*jnode, error) {
	n := &jnode{kind: jArray, start: p.pos}
	p.pos++
	for {
		if err := p.skip(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.s) {
			return nil, p.fail(n.start, "unterminated array (missing ']')")
		}
		if p.s[p.pos] == ']' {
			p.pos++
			n.end = p.pos
			return n, nil
		}
		if len(n.items) > 0 && n.items[len(n.items)-1].comma < 0 {
			return nil, p.fail(p.pos, "expected ',' or ']' after an array element")
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		it := &jitem{val: v, comma: -1}
		n.items = append(n.items, it)
		if err := p.skip(); err != nil {
			return nil, err
		}
		if p.pos < len(p.s) && p.s[p.pos] == ',' {
			it.comma = p.pos
			p.pos++
		}
	}
}

// canonical renders a parsed value as compact standard JSON (comments and
// layout dropped, key order kept), for comparing values.
func canonical(s string, n *jnode) string {
	var b strings.Builder
	writeCanonical(&b, s, n)
	return b.String()
}

func writeCanonical(b *strings.Builder, s string, n *jnode) {
	switch n.kind {
	case jObject:
		b.WriteByte('{')
		for i, m := range n.members {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(quoteJSON(m.key))
			b.WriteByte(':')
			writeCanonical(b, s, m.val)
		}
		b.WriteByte('}')
	case jArray:
		b.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, s, it.val)
		}
		b.WriteByte(']')
	case jString:
		b.WriteString(quoteJSON(n.str))
	default:
		b.WriteString(s[n.start:n.end])
	}
}

func quoteJSON(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(buf.String(), "\n")
}

// ---- values we write ----

// obj is a JSON object whose key order we choose.
type obj []kv

type kv struct {
	K string
	V any
}

// renderJSON writes v pretty-printed: nested lines start with indent plus
// unit per level, newlines are nl.
func renderJSON(v any, indent, unit, nl string) string {
	var b strings.Builder
	writeJSON(&b, v, indent, unit, nl, false)
	return b.String()
}

// jsonKey quotes a key, or leaves an identifier bare in a JSON5 file
// whose keys are bare.
func jsonKey(k string, bare bool) string {
	if bare && k != "" && !(k[0] >= '0' && k[0] <= '9') {
		ok := true
		for i := 0; i < len(k); i++ {
			if !isIdent(k[i]) || k[i] >= 0x80 {
				ok = false
				break
			}
		}
		if ok {
			return k
		}
	}
	return quoteJSON(k)
}

func writeJSON(b *strings.Builder, v any, indent, unit, nl string, bare bool) {
	switch x := v.(type) {
	case obj:
		if len(x) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(nl + indent + unit + jsonKey(e.K, bare) + ": ")
			writeJSON(b, e.V, indent+unit, unit, nl, bare)
		}
		b.WriteString(nl + indent + "}")
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(nl + indent + unit)
			writeJSON(b, e, indent+unit, unit, nl, bare)
		}
		b.WriteString(nl + indent + "]")
	case string:
		b.WriteString(quoteJSON(x))
	case rawJSON:
		b.WriteString(string(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case nil:
		b.WriteString("null")
	default:
		panic(fmt.Sprintf("clitools: cannot render %T", v))
	}
}

// rawJSON is value text inserted as is (restoring what we replaced).
type rawJSON string

// canonicalOf returns the canonical text of a value we are about to write.
func canonicalOf(v any) string {
	s := renderJSON(v, "", "", "")
	n, err := parseJSONC(s)
	if err != nil || n == nil {
		return s
	}
	return canonical(s, n)
}
