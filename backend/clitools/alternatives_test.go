package clitools

import (
	"bytes"
	"strings"
	"testing"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
	"github.com/tailscale/hujson"
	"github.com/tidwall/sjson"
	"gopkg.in/yaml.v3"
)

// Why jsonc.go, jsonedit.go, toml.go and yaml.go are hand-written: each case
// runs a maintained library on an input our editors handle and pins what
// the library does to bytes the contract says must stay as they were (see
// the package comment). If one of these starts failing, the library has
// changed: evaluate it again.

func TestLibrariesBreakTheJSONContract(t *testing.T) {
	hujsonPatch := func(in, patch string) string {
		v, err := hujson.Parse([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Patch([]byte(patch)); err != nil {
			t.Fatal(err)
		}
		return string(v.Pack())
	}
	sjsonSet := func(in, path string, val any) string {
		out, err := sjson.Set(in, path, val)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	cases := []struct {
		name, lib, in string
		do            func(in string) string
		libOut        string // what the library writes
		ours          func(d *jdoc) error
		want          string // what we write
	}{
		{"a CRLF before '}' becomes LF", "hujson Patch", "{\r\n\t\"a\": 1\r\n}\r\n",
			func(in string) string {
				return hujsonPatch(in, `[{"op":"add","path":"/o","value":{"k":"v"}}]`)
			},
			"{\r\n\t\"a\": 1,\"o\":{\"k\":\"v\"}\n}\r\n",
			func(d *jdoc) error { return d.Set([]string{"o", "k"}, "v") },
			"{\r\n\t\"a\": 1,\r\n\t\"o\": {\r\n\t\t\"k\": \"v\"\r\n\t}\r\n}\r\n"},
		{"the user's trailing comma is dropped", "hujson Patch", "{\n  \"a\": 1,\n  \"b\": 2,\n}\n",
			func(in string) string { return hujsonPatch(in, `[{"op":"remove","path":"/b"}]`) },
			"{\n  \"a\": 1\n}\n",
			func(d *jdoc) error { return d.Delete([]string{"b"}) },
			"{\n  \"a\": 1,\n}\n"},
		{"Format (which Patch asks for) re-lays out untouched keys", "hujson Format", "{\n  \"model\":   \"x\",\n  \"env\": {\"A\": 1}\n}\n",
			func(in string) string {
				v, err := hujson.Parse([]byte(hujsonPatch(in, `[{"op":"add","path":"/env/K","value":"v"}]`)))
				if err != nil {
					t.Fatal(err)
				}
				v.Format()
				return string(v.Pack())
			},
			"{\n\t\"model\": \"x\",\n\t\"env\":   {\"A\": 1, \"K\": \"v\"}\n}\n",
			func(d *jdoc) error { return d.Set([]string{"env", "K"}, "v") },
			"{\n  \"model\":   \"x\",\n  \"env\": {\"A\": 1, \"K\": \"v\"}\n}\n"},
		{"a key inside a comment is edited instead of the real one", "sjson", "{\n  // \"a\": 0,\n  \"a\": 1\n}\n",
			func(in string) string { return sjsonSet(in, "a", 2) },
			"{\n  // \"a\": 2,\n  \"a\": 1\n}\n",
			func(d *jdoc) error { return d.Set([]string{"a"}, 2) },
			"{\n  // \"a\": 0,\n  \"a\": 2\n}\n"},
		{"an entry after a line comment lands on the comment's line's end, final newline lost", "sjson", "{\n  \"a\": 1 // one\n}\n",
			func(in string) string { return sjsonSet(in, "b", true) },
			"{\n  \"a\": 1 // one\n,\"b\":true}",
			func(d *jdoc) error { return d.Set([]string{"b"}, true) },
			"{\n  \"a\": 1, // one\n  \"b\": true\n}\n"},
		{"JSON5 (OpenClaw): a second, invalid member instead of a replacement", "sjson", "{a: 'x', b: [1,],}",
			func(in string) string { return sjsonSet(in, "a", "y") },
			"{a: 'x', b: [1,],,\"a\":\"y\"}",
			func(d *jdoc) error { return d.Set([]string{"a"}, "y") },
			"{a: \"y\", b: [1,],}"},
	}
	for _, c := range cases {
		t.Run(c.lib+": "+c.name, func(t *testing.T) {
			if got := c.do(c.in); got != c.libOut {
				t.Errorf("%s now gives %q (was %q): evaluate it again", c.lib, got, c.libOut)
			}
			checkJSONEdit(t, c.in, c.ours, c.want)
		})
	}
	// hujson reads JWCC only: OpenClaw's JSON5 and a file with a BOM would
	// be refused as malformed; jsonc.go reads both.
	for _, in := range []string{"{a: 'x'}", "\uFEFF{\"a\": 1}"} {
		if _, err := hujson.Parse([]byte(in)); err == nil {
			t.Errorf("hujson now parses %q: evaluate it again", in)
		}
		if _, err := newJSONDoc(in); err != nil {
			t.Errorf("ours refuses %q: %v", in, err)
		}
	}
}

const tomlSample = "# top\nmodel = \"a\" # mine\n\n# providers\n[model_providers.x]\nname = \"X\"\n\n[tui]\nx = [\n  1, # one\n  2,\n]\n"

func TestLibrariesBreakTheTOMLContract(t *testing.T) {
	// go-toml/v2 round-trips values, not text: comments, quoting, order and
	// layout are gone.
	var m map[string]any
	if err := toml.Unmarshal([]byte(tomlSample), &m); err != nil {
		t.Fatal(err)
	}
	out, err := toml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := "model = 'a'\n\n[model_providers]\n[model_providers.x]\nname = 'X'\n\n[tui]\nx = [1, 2]\n"; string(out) != want {
		t.Errorf("go-toml/v2 round trip now gives %q: evaluate it again", out)
	}
	// Its parser (package unstable, outside its compatibility promise) has
	// byte ranges for key/value lines but none for table headers, and does
	// not report a comment that trails a value: not enough to find every
	// statement's whole lines, which toml.go's scan needs to splice.
	p := unstable.Parser{KeepComments: true}
	p.Reset([]byte(tomlSample))
	var comments []string
	headersWithRange := 0
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Comment:
			comments = append(comments, string(p.Raw(e.Raw)))
		case unstable.Table:
			if e.Raw != (unstable.Range{}) {
				headersWithRange++
			}
		}
	}
	if err := p.Error(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(comments, "|") != "# top|# providers" || headersWithRange != 0 {
		t.Errorf("go-toml/v2 unstable now reports comments %q and %d header ranges: evaluate it again", comments, headersWithRange)
	}
	d, err := newTOMLDoc(tomlSample)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set("", "model", `"b"`); err != nil {
		t.Fatal(err)
	}
	if d.String() != strings.Replace(tomlSample, `"a"`, `"b"`, 1) {
		t.Errorf("ours: %q", d.String())
	}
}

func TestLibrariesBreakTheYAMLContract(t *testing.T) {
	// yaml.v3's Node tree keeps comments but not layout: re-encoding an
	// unedited document re-indents lists, drops blank lines and respaces.
	in := "name: c   # the name\n\n# models below\nmodels:\n- name: x\n  model: y\n"
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(in), &n); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		t.Fatal(err)
	}
	if want := "name: c # the name\n# models below\nmodels:\n  - name: x\n    model: y\n"; b.String() != want {
		t.Errorf("yaml.v3 round trip now gives %q: evaluate it again", b.String())
	}
	d, err := newYAMLDoc(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.InsertItems("models", []obj{{{"name", "SB"}}}); err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(in, "models:\n", "models:\n- name: SB\n", 1); d.String() != want {
		t.Errorf("ours: %q, want %q", d.String(), want)
	}
}
