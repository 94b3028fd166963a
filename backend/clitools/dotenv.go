package clitools

import (
	"regexp"
	"strings"
)

// A .env editor: KEY=VALUE lines (optionally `export KEY=VALUE`), comments
// and blank lines. Setting a key rewrites only that line's value; adding one
// appends a line; removing one drops its line. Everything else stays.

type eline struct {
	key        string
	valStart   int // offsets of the value text in the document
	valEnd     int
	start, end int // the whole line, newline included
	line       int
}

type envDoc struct {
	text  string
	lines []eline
	nl    string
}

var envKeyRe = regexp.MustCompile(`^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*`)

func newEnvDoc(text string) (*envDoc, error) {
	d := &envDoc{text: text, nl: detectNL(text)}
	return d, d.scan()
}

func (d *envDoc) String() string { return d.text }

func (d *envDoc) scan() error {
	d.lines = nil
	s := d.text
	pos, n := 0, 0
	for pos < len(s) {
		n++
		end := nextLine(s, pos)
		raw := strings.TrimRight(s[pos:end], "\r\n")
		trim := strings.TrimSpace(raw)
		if trim == "" || strings.HasPrefix(trim, "#") {
			pos = end
			continue
		}
		m := envKeyRe.FindStringSubmatchIndex(raw)
		if m == nil {
			return &SyntaxError{Line: n, Col: 1, Msg: "expected KEY=VALUE, a comment or a blank line"}
		}
		vs := pos + m[1]
		ve := pos + len(raw)
		val := s[vs:ve]
		if len(val) > 0 && (val[0] == '"' || val[0] == '\'' || val[0] == '`') {
			q := val[0]
			i := 1
			for i < len(val) && !(val[i] == q && !escaped(val, i)) {
				i++
			}
			if i >= len(val) {
				return &SyntaxError{Line: n, Col: m[1] + 1, Msg: "unterminated quoted value (multi-line values are not supported)"}
			}
			ve = vs + i + 1
			rest := strings.TrimSpace(val[i+1:])
			if rest != "" && !strings.HasPrefix(rest, "#") {
				return &SyntaxError{Line: n, Col: m[1] + i + 2, Msg: "unexpected text after the closing quote"}
			}
		} else if i := strings.Index(val, " #"); i >= 0 {
			ve = vs + i
		}
		for ve > vs && (s[ve-1] == ' ' || s[ve-1] == '\t') {
			ve--
		}
		d.lines = append(d.lines, eline{key: raw[m[2]:m[3]], valStart: vs, valEnd: ve, start: pos, end: end, line: n})
		pos = end
	}
	return nil
}

func (d *envDoc) find(key string) int {
	for i := len(d.lines) - 1; i >= 0; i-- { // the last definition wins
		if d.lines[i].key == key {
			return i
		}
	}
	return -1
}

// Raw returns the value text as written (quotes included).
func (d *envDoc) Raw(key string) (string, bool) {
	i := d.find(key)
	if i < 0 {
		return "", false
	}
	return d.text[d.lines[i].valStart:d.lines[i].valEnd], true
}

// Get returns the decoded value.
func (d *envDoc) Get(key string) (string, bool) {
	raw, ok := d.Raw(key)
	if !ok {
		return "", false
	}
	return unquoteEnv(raw), true
}

func unquoteEnv(raw string) string {
	if len(raw) >= 2 && (raw[0] == '"' || raw[0] == '\'' || raw[0] == '`') && raw[len(raw)-1] == raw[0] {
		in := raw[1 : len(raw)-1]
		if raw[0] == '"' {
			in = strings.NewReplacer(`\n`, "\n", `\"`, `"`, `\\`, `\`).Replace(in)
		}
		return in
	}
	return raw
}

var plainEnv = regexp.MustCompile(`^[A-Za-z0-9_./:@+,=%-]*$`)

func quoteEnv(v string) string {
	if plainEnv.MatchString(v) {
		return v
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v) + `"`
}

// SetRaw writes key=raw (raw already quoted as needed).
func (d *envDoc) SetRaw(key, raw string) error {
	if i := d.find(key); i >= 0 {
		l := d.lines[i]
		d.text = d.text[:l.valStart] + raw + d.text[l.valEnd:]
		return d.scan()
	}
	t := d.text
	if t != "" && !strings.HasSuffix(t, "\n") {
		t += d.nl
	}
	d.text = t + key + "=" + raw + d.nl
	return d.scan()
}

// Set writes key=value.
func (d *envDoc) Set(key, value string) error { return d.SetRaw(key, quoteEnv(value)) }

// Delete removes every line defining key.
func (d *envDoc) Delete(key string) error {
	for i := d.find(key); i >= 0; i = d.find(key) {
		l := d.lines[i]
		d.text = d.text[:l.start] + d.text[l.end:]
		if err := d.scan(); err != nil {
			return err
		}
	}
	return nil
}

// Empty reports a file with nothing but blanks left.
func (d *envDoc) Empty() bool { return strings.TrimSpace(d.text) == "" }
