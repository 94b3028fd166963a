package clitools

import (
	"fmt"
	"strings"
)

// A line-oriented TOML reader and surgical editor: enough of TOML to find
// every table header and key/value statement (multi-line strings and arrays
// included) with its exact lines, so an edit replaces, inserts or removes
// whole statements and leaves every other byte (comments, spacing, order,
// other tables) as it was. It validates the structure it scans and reports
// the first problem with its line.

type tstmt struct {
	header     bool   // a [table] or [[array]] line
	array      bool   // [[array]]
	table      string // the table a key belongs to, or the header's name
	key        string // dotted key, normalised ("a.b")
	valStart   int    // value bytes (keys only)
	valEnd     int
	start, end int // the statement's whole lines: text[start:end] (end after the newline)
	line       int
}

type tdoc struct {
	text  string
	stmts []tstmt
	nl    string
}

func newTOMLDoc(text string) (*tdoc, error) {
	d := &tdoc{text: text, nl: detectNL(text)}
	if err := d.scan(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *tdoc) String() string { return d.text }

func (d *tdoc) fail(off int, format string, args ...any) error {
	l, c := lineCol(d.text, off)
	return &SyntaxError{Line: l, Col: c, Msg: fmt.Sprintf(format, args...)}
}

func (d *tdoc) scan() error {
	s := d.text
	d.stmts = nil
	pos := 0
	if strings.HasPrefix(s, "\uFEFF") {
		pos = 3
	}
	table := ""
	seen := map[string]int{}
	for pos < len(s) {
		lineStart := pos
		pos = skipSpaces(s, pos)
		if pos >= len(s) {
			break
		}
		switch c := s[pos]; {
		case c == '\n' || c == '\r':
			pos = nextLine(s, pos)
			continue
		case c == '#':
			pos = nextLine(s, pos)
			continue
		case c == '[':
			st := tstmt{header: true, start: lineStart}
			st.line, _ = lineCol(s, pos)
			pos++
			if pos < len(s) && s[pos] == '[' {
				st.array = true
				pos++
			}
			name, p, err := d.key(pos, ']')
			if err != nil {
				return err
			}
			pos = p
			if pos >= len(s) || s[pos] != ']' {
				return d.fail(pos, "expected ']' to close the table header")
			}
			pos++
			if st.array {
				if pos >= len(s) || s[pos] != ']' {
					return d.fail(pos, "expected ']]' to close the array-of-tables header")
				}
				pos++
			}
			p, err = d.lineTail(pos)
			if err != nil {
				return err
			}
			pos = p
			st.table, st.end = name, pos
			table = name
			if !st.array {
				if l, dup := seen["["+name]; dup {
					return d.fail(st.start, "table [%s] is defined twice (also on line %d)", name, l)
				}
				seen["["+name] = st.line
			}
			d.stmts = append(d.stmts, st)
		default:
			st := tstmt{start: lineStart, table: table}
			st.line, _ = lineCol(s, pos)
			k, p, err := d.key(pos, '=')
			if err != nil {
				return err
			}
			pos = p
			if pos >= len(s) || s[pos] != '=' {
				return d.fail(pos, "expected '=' after key %q", k)
			}
			pos = skipSpaces(s, pos+1)
			st.key, st.valStart = k, pos
			p, err = d.value(pos, 0)
			if err != nil {
				return err
			}
			st.valEnd = p
			p, err = d.lineTail(p)
			if err != nil {
				return err
			}
			pos, st.end = p, p
			full := table + "\x00" + k
			if l, dup := seen[full]; dup && !strings.HasPrefix(table, "\x01") {
				return d.fail(st.start, "key %q is defined twice in the same table (also on line %d)", k, l)
			}
			seen[full] = st.line
			d.stmts = append(d.stmts, st)
		}
		if len(d.stmts) > 0 && d.stmts[len(d.stmts)-1].header && d.stmts[len(d.stmts)-1].array {
			table = "\x01" + table // keys of [[arrays]] repeat legitimately
		}
	}
	return nil
}

func skipSpaces(s string, pos int) int {
	for pos < len(s) && (s[pos] == ' ' || s[pos] == '\t') {
		pos++
	}
	return pos
}

func nextLine(s string, pos int) int {
	i := strings.IndexByte(s[pos:], '\n')
	if i < 0 {
		return len(s)
	}
	return pos + i + 1
}

// lineTail accepts spaces and a comment up to the end of the line.
func (d *tdoc) lineTail(pos int) (int, error) {
	s := d.text
	pos = skipSpaces(s, pos)
	if pos >= len(s) {
		return pos, nil
	}
	switch s[pos] {
	case '#':
		return nextLine(s, pos), nil
	case '\r':
		if pos+1 < len(s) && s[pos+1] == '\n' {
			return pos + 2, nil
		}
	case '\n':
		return pos + 1, nil
	}
	return 0, d.fail(pos, "unexpected %q after a value (one key = value per line)", s[pos])
}

// key reads a (dotted, possibly quoted) key and returns it normalised.
func (d *tdoc) key(pos int, stop byte) (string, int, error) {
	s := d.text
	var parts []string
	for {
		pos = skipSpaces(s, pos)
		if pos >= len(s) {
			return "", pos, d.fail(pos, "unexpected end of file in a key")
		}
		switch c := s[pos]; {
		case c == '"' || c == '\'':
			str, p, err := d.basicString(pos)
			if err != nil {
				return "", pos, err
			}
			parts = append(parts, str)
			pos = p
		case isBareKey(c):
			st := pos
			for pos < len(s) && isBareKey(s[pos]) {
				pos++
			}
			parts = append(parts, s[st:pos])
		default:
			return "", pos, d.fail(pos, "unexpected %q, expected a key", c)
		}
		pos = skipSpaces(s, pos)
		if pos < len(s) && s[pos] == '.' {
			pos++
			continue
		}
		if pos < len(s) && s[pos] == stop {
			return joinTOMLKey(parts), pos, nil
		}
		if pos >= len(s) {
			return "", pos, d.fail(pos, "unexpected end of file after a key")
		}
		return "", pos, d.fail(pos, "unexpected %q after key %q", s[pos], joinTOMLKey(parts))
	}
}

func isBareKey(c byte) bool {
	return c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// joinTOMLKey joins key parts with dots; parts with dots are quoted so the
// normalised form stays unambiguous.
func joinTOMLKey(parts []string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		if strings.ContainsAny(p, ".\"") || p == "" {
			out[i] = quoteTOML(p)
		} else {
			out[i] = p
		}
	}
	return strings.Join(out, ".")
}

// basicString reads a single-line "…" or '…' string.
func (d *tdoc) basicString(pos int) (string, int, error) {
	s := d.text
	q := s[pos]
	start := pos
	pos++
	var b strings.Builder
	for pos < len(s) {
		c := s[pos]
		switch {
		case c == q:
			return b.String(), pos + 1, nil
		case c == '\n':
			return "", pos, d.fail(start, "unterminated string")
		case c == '\\' && q == '"':
			if pos+1 >= len(s) {
				return "", pos, d.fail(start, "unterminated string")
			}
			switch e := s[pos+1]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '"', '\\':
				b.WriteByte(e)
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			pos += 2
		default:
			b.WriteByte(c)
			pos++
		}
	}
	return "", pos, d.fail(start, "unterminated string")
}

// value skips one TOML value and returns the offset after it.
func (d *tdoc) value(pos, depth int) (int, error) {
	s := d.text
	if depth > maxDepth {
		return pos, d.fail(pos, "nested too deeply")
	}
	if pos >= len(s) || s[pos] == '\n' || s[pos] == '\r' || s[pos] == '#' {
		return pos, d.fail(pos, "expected a value")
	}
	switch c := s[pos]; c {
	case '"', '\'':
		triple := strings.Repeat(string(c), 3)
		if strings.HasPrefix(s[pos:], triple) {
			i := pos + 3
			for {
				j := strings.Index(s[i:], triple)
				if j < 0 {
					return pos, d.fail(pos, "unterminated multi-line string")
				}
				k := i + j
				if c == '"' && escaped(s, k) {
					i = k + 1
					continue
				}
				end := k + 3
				for end < len(s) && s[end] == c && end-k < 5 { // up to two quotes may end the content
					end++
				}
				return end, nil
			}
		}
		_, p, err := d.basicString(pos)
		return p, err
	case '[', '{':
		closing := byte(']')
		if c == '{' {
			closing = '}'
		}
		pos++
		for {
			// whitespace, newlines and comments between elements
			for pos < len(s) {
				if s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r' || s[pos] == ',' {
					pos++
				} else if s[pos] == '#' {
					pos = nextLine(s, pos)
				} else {
					break
				}
			}
			if pos >= len(s) {
				return pos, d.fail(pos, "unterminated %c", c)
			}
			if s[pos] == closing {
				return pos + 1, nil
			}
			if c == '{' {
				_, p, err := d.key(pos, '=')
				if err != nil {
					return pos, err
				}
				pos = skipSpaces(s, p+1)
			}
			p, err := d.value(pos, depth+1)
			if err != nil {
				return pos, err
			}
			pos = p
		}
	default:
		st := pos
		for pos < len(s) && !strings.ContainsRune(" \t\r\n#,]}", rune(s[pos])) {
			pos++
		}
		// dates may hold one space: 1979-05-27 07:32:00
		if pos+1 < len(s) && s[pos] == ' ' && pos-st == 10 && s[pos+1] >= '0' && s[pos+1] <= '9' {
			pos++
			for pos < len(s) && !strings.ContainsRune(" \t\r\n#,]}", rune(s[pos])) {
				pos++
			}
		}
		if pos == st {
			return pos, d.fail(pos, "expected a value")
		}
		return pos, nil
	}
}

func escaped(s string, i int) bool {
	n := 0
	for i > 0 && s[i-1] == '\\' {
		n++
		i--
	}
	return n%2 == 1
}

func quoteTOML(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// tomlString decodes a simple string value's text ("" if it is not one).
func tomlString(raw string) string {
	if len(raw) < 2 || (raw[0] != '"' && raw[0] != '\'') || strings.HasPrefix(raw, `"""`) || strings.HasPrefix(raw, "'''") {
		return ""
	}
	d := &tdoc{text: raw}
	s, _, err := d.basicString(0)
	if err != nil {
		return ""
	}
	return s
}

// find returns the index of key in table ("" = the root), or -1.
func (d *tdoc) find(table, key string) int {
	for i, st := range d.stmts {
		if !st.header && st.table == table && st.key == key {
			return i
		}
	}
	return -1
}

func (d *tdoc) header(table string) int {
	for i, st := range d.stmts {
		if st.header && !st.array && st.table == table {
			return i
		}
	}
	return -1
}

// Get returns the raw text of table.key ("" table = root).
func (d *tdoc) Get(table, key string) (string, bool) {
	i := d.find(table, key)
	if i < 0 {
		return "", false
	}
	return d.text[d.stmts[i].valStart:d.stmts[i].valEnd], true
}

// GetString returns a string value, "" if absent or not a simple string.
func (d *tdoc) GetString(table, key string) string {
	raw, _ := d.Get(table, key)
	return tomlString(raw)
}

// Conflict reports a definition of name in a form we do not edit (dotted
// keys or an inline table) that would clash with writing a [name] table.
func (d *tdoc) Conflict(name string) string {
	for _, st := range d.stmts {
		if st.header {
			if strings.HasPrefix(name, st.table+".") && !st.array {
				continue
			}
			if st.array && (st.table == name || strings.HasPrefix(name, st.table+".")) {
				return fmt.Sprintf("line %d: [[%s]] is an array of tables", st.line, st.table)
			}
			continue
		}
		full := st.key
		if st.table != "" {
			full = st.table + "." + st.key
		}
		if full == name || strings.HasPrefix(name, full+".") || (strings.HasPrefix(full, name+".") && st.table != name) {
			return fmt.Sprintf("line %d: %s is defined with dotted keys or an inline table", st.line, full)
		}
	}
	return ""
}

// Set writes table.key = raw, replacing the value in place or adding the
// statement after the table's last key (creating the table at the end).
func (d *tdoc) Set(table, key, raw string) error {
	if i := d.find(table, key); i >= 0 {
		st := d.stmts[i]
		d.text = d.text[:st.valStart] + raw + d.text[st.valEnd:]
		return d.scan()
	}
	if c := d.tableAt(table, key); c != "" {
		return fmt.Errorf("%s: cannot set it to a value", c)
	}
	line := key + " = " + raw + d.nl
	if table == "" {
		return d.insertRoot(line)
	}
	h := d.header(table)
	if h < 0 {
		t := d.text
		if t != "" && !strings.HasSuffix(t, "\n") {
			t += d.nl
		}
		if strings.TrimSpace(t) != "" && !strings.HasSuffix(t, d.nl+d.nl) && !strings.HasSuffix(t, "\n\n") {
			t += d.nl
		}
		d.text = t + "[" + table + "]" + d.nl + line
		return d.scan()
	}
	at := d.stmts[h].end
	for _, st := range d.stmts[h+1:] {
		if st.header {
			break
		}
		at = st.end
	}
	d.insertAt(at, line)
	return d.scan()
}

// tableAt reports a [header] or dotted key that makes table.key a table,
// where adding `key = value` would define it twice.
func (d *tdoc) tableAt(table, key string) string {
	full := key
	if table != "" {
		full = table + "." + key
	}
	for _, st := range d.stmts {
		name := st.table
		if !st.header {
			name = st.key
			if st.table != "" {
				name = st.table + "." + st.key
			}
		}
		if (st.header && name == full) || strings.HasPrefix(name, full+".") {
			return fmt.Sprintf("line %d: %s is a table", st.line, full)
		}
	}
	return ""
}

// insertAt puts a line at off, starting a new line first if needed.
func (d *tdoc) insertAt(off int, line string) {
	if off > 0 && d.text[off-1] != '\n' {
		line = d.nl + line
	}
	d.text = d.text[:off] + line + d.text[off:]
}

// insertRoot adds a root key after the last root key, or before the first
// table (and the comments that lead into it).
func (d *tdoc) insertRoot(line string) error {
	last, first := -1, -1
	for i, st := range d.stmts {
		if st.header {
			first = i
			break
		}
		last = i
	}
	switch {
	case last >= 0:
		d.insertAt(d.stmts[last].end, line)
	case first >= 0:
		at := d.stmts[first].start
		// step back over the comment lines directly above the header
		for at > 0 {
			prev := strings.LastIndexByte(d.text[:at-1], '\n') + 1
			if strings.HasPrefix(strings.TrimSpace(d.text[prev:at]), "#") {
				at = prev
				continue
			}
			break
		}
		d.insertAt(at, line+d.nl)
	default:
		d.insertAt(len(d.text), line)
	}
	return d.scan()
}

// Delete removes the statement table.key (its whole lines).
func (d *tdoc) Delete(table, key string) error {
	i := d.find(table, key)
	if i < 0 {
		return nil
	}
	st := d.stmts[i]
	d.text = d.text[:st.start] + d.text[st.end:]
	return d.scan()
}

// DeleteTableIfEmpty removes [table]'s header when no key is left in it.
func (d *tdoc) DeleteTableIfEmpty(table string) error {
	h := d.header(table)
	if h < 0 {
		return nil
	}
	if h+1 < len(d.stmts) && !d.stmts[h+1].header {
		return nil
	}
	st := d.stmts[h]
	start, end := st.start, st.end
	for end < len(d.text) { // blank lines that followed the header
		le := nextLine(d.text, end)
		if strings.TrimSpace(d.text[end:le]) != "" {
			break
		}
		end = le
	}
	prevBlank := false
	prev := start
	if start > 0 {
		prev = strings.LastIndexByte(d.text[:start-1], '\n') + 1
		prevBlank = strings.TrimSpace(d.text[prev:start]) == ""
	}
	repl := ""
	switch {
	case end == len(d.text) && prevBlank:
		start = prev // the blank line that separated the table from the rest
	case end < len(d.text) && !prevBlank && end > st.end && start > 0:
		repl = d.nl // keep the neighbours apart
	}
	d.text = d.text[:start] + repl + d.text[end:]
	return d.scan()
}

// Empty reports a document with no statements left.
func (d *tdoc) Empty() bool { return len(d.stmts) == 0 && strings.TrimSpace(d.text) == "" }
