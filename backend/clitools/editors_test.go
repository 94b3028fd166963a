package clitools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/tailscale/hujson"
	"gopkg.in/yaml.v3"
)

func TestJSONEdits(t *testing.T) {
	cases := []struct {
		name, in string
		edit     func(d *jdoc) error
		want     string
	}{
		{"add to single-line object", `{"a": 1, "b": {"c": 2}}`,
			func(d *jdoc) error { return d.Set([]string{"b", "x"}, "y") }, `{"a": 1, "b": {"c": 2, "x": "y"}}`},
		{"add to empty object", "{\n  \"env\": {}\n}\n",
			func(d *jdoc) error { return d.Set([]string{"env", "K"}, "v") }, "{\n  \"env\": {\n    \"K\": \"v\"\n  }\n}\n"},
		{"add after a trailing line comment", "{\n  \"a\": 1 // one\n}\n",
			func(d *jdoc) error { return d.Set([]string{"b"}, true) }, "{\n  \"a\": 1, // one\n  \"b\": true\n}\n"},
		{"keep CRLF and tabs", "{\r\n\t\"a\": 1\r\n}\r\n",
			func(d *jdoc) error { return d.Set([]string{"o", "k"}, "v") }, "{\r\n\t\"a\": 1,\r\n\t\"o\": {\r\n\t\t\"k\": \"v\"\r\n\t}\r\n}\r\n"},
		{"replace in place", "{\n  \"a\": \"old\", // note\n  \"b\": 2\n}\n",
			func(d *jdoc) error { return d.Set([]string{"a"}, "new") }, "{\n  \"a\": \"new\", // note\n  \"b\": 2\n}\n"},
		{"delete last member", "{\n  \"a\": 1,\n  \"b\": 2\n}\n",
			func(d *jdoc) error { return d.Delete([]string{"b"}) }, "{\n  \"a\": 1\n}\n"},
		{"delete last member with trailing comma", "{\n  \"a\": 1,\n  \"b\": 2,\n}\n",
			func(d *jdoc) error { return d.Delete([]string{"b"}) }, "{\n  \"a\": 1,\n}\n"},
		{"delete from single line", `{"a": 1, "b": 2, "c": 3}`,
			func(d *jdoc) error { return d.Delete([]string{"b"}) }, `{"a": 1, "c": 3}`},
		{"delete last from single line", `{"a": 1, "b": 2}`,
			func(d *jdoc) error { return d.Delete([]string{"b"}) }, `{"a": 1}`},
		{"delete only member collapses", "{\n  \"e\": {\n    \"k\": 1\n  }\n}\n",
			func(d *jdoc) error { return d.Delete([]string{"e", "k"}) }, "{\n  \"e\": {}\n}\n"},
		{"empty document", "",
			func(d *jdoc) error { return d.Set([]string{"a", "b"}, "c") }, "{\n  \"a\": {\n    \"b\": \"c\"\n  }\n}\n"},
		{"BOM kept", "\uFEFF{\"a\": 1}\n",
			func(d *jdoc) error { return d.Set([]string{"b"}, 2) }, "\uFEFF{\"a\": 1, \"b\": 2}\n"},
		{"prepend to array", "{\n  \"m\": [\n    1\n  ]\n}\n",
			func(d *jdoc) error { return d.InsertItems([]string{"m"}, []any{obj{{"x", 1}}}) }, "{\n  \"m\": [\n    {\n      \"x\": 1\n    },\n    1\n  ]\n}\n"},
		{"object only holding a comment", "{\n  \"e\": { /* later */ }\n}\n",
			func(d *jdoc) error { return d.Set([]string{"e", "k"}, "v") }, "{\n  \"e\": {\n    \"k\": \"v\" /* later */ }\n}\n"},
		{"json5 keys and quotes", "{a: 'x', b: [1,],}",
			func(d *jdoc) error { return d.Set([]string{"a"}, "y") }, "{a: \"y\", b: [1,],}"},
		{"restore after anchor", "{\n  \"a\": 1,\n  \"c\": 3\n}\n",
			func(d *jdoc) error { return d.SetAfter([]string{"b"}, "2", "a") }, "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3\n}\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkJSONEdit(t, c.in, c.edit, c.want) })
	}
}

// checkJSONEdit runs one edit on in and compares the text with want.
func checkJSONEdit(t *testing.T, in string, edit func(d *jdoc) error, want string) {
	t.Helper()
	d, err := newJSONDoc(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := edit(d); err != nil {
		t.Fatal(err)
	}
	if d.String() != want {
		t.Errorf("got\n%q\nwant\n%q", d.String(), want)
	}
}

func TestJSONSetThenDeleteRoundTrips(t *testing.T) {
	for _, in := range []string{
		"{\n  \"a\": 1\n}\n",
		"{\n  \"a\": 1,\n}\n",
		"{\"a\": 1}",
		"{\n  \"a\": {\n    \"x\": 1 // c\n  }\n}\n",
		"// head\n{\n\t\"a\": [1, 2]\n}\n",
	} {
		d, err := newJSONDoc(in)
		if err != nil {
			t.Fatal(err)
		}
		keep := d.Depth([]string{"n", "k"})
		if err := d.Set([]string{"n", "k"}, obj{{"z", "1"}}); err != nil {
			t.Fatal(err)
		}
		if err := d.Delete([]string{"n", "k"}); err != nil {
			t.Fatal(err)
		}
		if err := d.Prune([]string{"n", "k"}, keep); err != nil {
			t.Fatal(err)
		}
		if d.String() != in {
			t.Errorf("round trip of %q gave %q", in, d.String())
		}
	}
}

func TestTOMLEdits(t *testing.T) {
	in := "# top\nmodel = \"a\" # mine\n\n# providers\n[model_providers.x]\nname = \"X\"\n\n[tui]\nx = [\n  1, # one\n  2,\n]\ns = '''\n[not a table]\n'''\n"
	d, err := newTOMLDoc(in)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Get("tui", "s"); got != "'''\n[not a table]\n'''" {
		t.Errorf("multi-line string: %q", got)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.Set("", "model", `"b"`))
	must(d.Set("", "model_provider", `"sb"`))
	must(d.Set("model_providers.sb", "base_url", `"u"`))
	must(d.Set("model_providers.x", "wire_api", `"responses"`))
	want := "# top\nmodel = \"b\" # mine\nmodel_provider = \"sb\"\n\n# providers\n[model_providers.x]\nname = \"X\"\nwire_api = \"responses\"\n\n[tui]\nx = [\n  1, # one\n  2,\n]\ns = '''\n[not a table]\n'''\n\n[model_providers.sb]\nbase_url = \"u\"\n"
	if d.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", d.String(), want)
	}
	must(d.Delete("model_providers.sb", "base_url"))
	must(d.DeleteTableIfEmpty("model_providers.sb"))
	must(d.Delete("", "model_provider"))
	must(d.Delete("model_providers.x", "wire_api"))
	must(d.Set("", "model", `"a"`))
	if d.String() != in {
		t.Errorf("round trip:\n%s", unifiedDiff("t", in, d.String(), false))
	}
	// root keys go before the comments that lead into the first table
	d, _ = newTOMLDoc("# about tui\n[tui]\nx = 1\n")
	must(d.Set("", "model", `"m"`))
	if d.String() != "model = \"m\"\n\n# about tui\n[tui]\nx = 1\n" {
		t.Errorf("%q", d.String())
	}
	// a [model_providers] table with dotted keys is refused, not mangled
	d, _ = newTOMLDoc("[model_providers]\nswitchboard.base_url = \"x\"\n")
	if c := d.Conflict("model_providers.switchboard"); c == "" {
		t.Error("dotted-key conflict not found")
	}
	// a key that is a table here is refused, not defined a second time
	// (FuzzTOMLScan's go-toml/v2 oracle catches the write)
	for _, in := range []string{"model.x = 1\n", "[model]\nx = 1\n", "[model.sub]\n"} {
		d, _ = newTOMLDoc(in)
		if err := d.Set("", "model", `"m"`); err == nil || d.String() != in {
			t.Errorf("%q: %v, %q", in, err, d.String())
		}
	}
}

func TestEnvEdits(t *testing.T) {
	in := "# c\nexport A=1\nB=\"two words\" # note\n\nC='x'\n"
	d, err := newEnvDoc(in)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := d.Get("B"); v != "two words" {
		t.Errorf("B = %q", v)
	}
	_ = d.Set("A", "http://x/v1")
	_ = d.Set("D", "has space")
	_ = d.Delete("C")
	want := "# c\nexport A=http://x/v1\nB=\"two words\" # note\n\nD=\"has space\"\n"
	if d.String() != want {
		t.Errorf("got %q", d.String())
	}
	d, _ = newEnvDoc("A=1") // no final newline
	_ = d.Set("B", "2")
	if d.String() != "A=1\nB=2\n" {
		t.Errorf("got %q", d.String())
	}
}

func TestYAMLEdits(t *testing.T) {
	ours := func(n *yaml.Node) bool { return strings.HasPrefix(mapField(n, "name"), "SB") }
	item := []obj{{{"name", "SB (m)"}, {"model", "a: b"}}}
	cases := []struct{ name, in, want string }{
		{"block list", "models:\n- name: x\n  model: y\n", "models:\n- name: SB (m)\n  model: 'a: b'\n- name: x\n  model: y\n"},
		{"empty flow list", "name: c\nmodels: [] # none yet\nother: 1\n", "name: c\nmodels: # none yet\n  - name: SB (m)\n    model: 'a: b'\nother: 1\n"},
		{"missing key", "name: c", "name: c\nmodels:\n  - name: SB (m)\n    model: 'a: b'\n"},
	}
	for _, c := range cases {
		d, err := newYAMLDoc(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.InsertItems("models", item); err != nil {
			t.Fatal(err)
		}
		if d.String() != c.want {
			t.Errorf("%s: got\n%s\nwant\n%s", c.name, d.String(), c.want)
		}
		if _, err := d.RemoveItems("models", ours); err != nil {
			t.Fatal(err)
		}
		if c.name == "block list" && d.String() != c.in {
			t.Errorf("%s: remove gave %q", c.name, d.String())
		}
	}
	// a non-empty flow list is the one case that re-encodes
	d, _ := newYAMLDoc("models: [{name: x}]\n")
	if err := d.InsertItems("models", item); err != nil {
		t.Fatal(err)
	}
	if seq := d.Seq("models"); seq == nil || len(seq.Content) != 2 || mapField(seq.Content[0], "name") != "SB (m)" {
		t.Errorf("flow insert: %s", d.String())
	}
}

func TestUnifiedDiff(t *testing.T) {
	// every want here was checked with GNU patch -p1: before + diff = after
	cases := []struct {
		name, before, after string
		created             bool
		want                string
	}{
		{"change and append", "a\nb\nc\n", "a\nB\nc\nd\n", false,
			"--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n"},
		{"created", "", "x\n", true,
			"--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+x\n"},
		{"unchanged", "a\n", "a\n", false, ""},
		// the hand-written diff this replaced emitted a hunkless diff here
		{"final newline added", "a", "a\n", false,
			"--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n"},
		{"final newline removed", "a\n", "a", false,
			"--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n"},
		// ... and marked only the new side, at the end of the whole diff
		{"no final newline on either side", "a\nb", "a\nc", false,
			"--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"},
		{"change far from a missing final newline", "1\n2\n3\n4\n5\n6\n7\n8\nend", "0\n1\n2\n3\n4\n5\n6\n7\n8\nend", false,
			"--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n"},
		// ... and dropped the \r of CRLF lines, so the diff did not apply
		{"CRLF kept", "{\r\n\t\"a\": 1\r\n}\r\n", "{\r\n\t\"a\": 1,\r\n\t\"b\": 2\r\n}\r\n", false,
			"--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n {\r\n-\t\"a\": 1\r\n+\t\"a\": 1,\r\n+\t\"b\": 2\r\n }\r\n"},
	}
	for _, c := range cases {
		if got := unifiedDiff("f", c.before, c.after, c.created); got != c.want {
			t.Errorf("%s: got\n%q\nwant\n%q", c.name, got, c.want)
		}
	}
	if got := unifiedDiff("/home/u/.codex/config.toml", "a\n", "b\n", false); !strings.HasPrefix(got, "--- a/home/u/.codex/config.toml\n+++ b/home/u/.codex/config.toml\n") {
		t.Errorf("absolute path: %q", got)
	}
}

// Two edits far apart in a large file give two small hunks, not the whole
// file (the hand-written LCS fell back to replacing everything between the
// first and the last change once that span passed 4M line pairs).
func TestUnifiedDiffLargeFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("{\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "  \"key%04d\": {\"v\": %d},\n", i, i)
	}
	b.WriteString("  \"last\": true\n}\n")
	before := b.String()
	after := strings.Replace(before, `"key2500": {"v": 2500}`, `"key2500": {"v": "x"}`, 1)
	after = strings.Replace(after, "  \"last\": true\n", "  \"last\": true,\n  \"env\": {\n    \"K\": \"v\"\n  }\n", 1)
	got := unifiedDiff("f", before, after, false)
	if n := strings.Count(got, "\n@@ "); n != 2 || strings.Count(got, "\n") > 25 {
		t.Errorf("%d hunks, %d lines:\n%s", n, strings.Count(got, "\n"), got)
	}
}

func FuzzJSONCEdit(f *testing.F) {
	for _, s := range []string{"{}", "{\"a\": 1}", "{\n  \"a\": [1,2,],\n  // c\n}\n", "{a:'b'}", "{\"env\": {\"K\": \"v\" /* c */}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := newJSONDoc(s)
		if err != nil {
			return
		}
		if d.Node([]string{"env"}) != nil && d.Node([]string{"env"}).kind != jObject {
			return
		}
		// hujson, an independent JWCC parser, is the oracle where it reads
		// the input: the edit must change env.SB and nothing else
		before, oracle := jwccValue(s)
		if err := d.Set([]string{"env", "SB"}, "v"); err != nil {
			t.Fatalf("set on %q: %v", s, err)
		}
		if got := d.GetString([]string{"env", "SB"}); got != "v" {
			t.Fatalf("set on %q gave %q", s, d.String())
		}
		if oracle {
			want, _ := jwccValue(s)
			env, _ := want["env"].(map[string]any)
			if env == nil {
				env = map[string]any{}
			}
			env["SB"] = "v"
			want["env"] = env
			if got, ok := jwccValue(d.String()); !ok || !reflect.DeepEqual(got, want) {
				t.Fatalf("set on %q gave %q: %v, want %v", s, d.String(), got, want)
			}
		}
		if err := d.Delete([]string{"env", "SB"}); err != nil {
			t.Fatalf("delete on %q: %v", s, err)
		}
		if _, err := parseJSONC(d.String()); err != nil {
			t.Fatalf("%q became invalid: %q", s, d.String())
		}
		if oracle && !strings.Contains(s, "SB") { // a repeated SB would resurface
			got, ok := jwccValue(d.String())
			if _, had := before["env"]; !had && ok {
				delete(got, "env") // the container Prune would take away
			}
			if !ok || !reflect.DeepEqual(got, before) {
				t.Fatalf("set+delete on %q gave %q: %v, want %v", s, d.String(), got, before)
			}
		}
	})
}

// jwccValue decodes a JWCC object with hujson and encoding/json (numbers
// as written); ok is false when hujson does not read it.
func jwccValue(s string) (map[string]any, bool) {
	b, err := hujson.Standardize([]byte(s))
	if err != nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v map[string]any
	if dec.Decode(&v) != nil || v == nil {
		return nil, false
	}
	return v, true
}

func FuzzTOMLScan(f *testing.F) {
	for _, s := range []string{"a = 1\n[t]\nb = \"x\"\n", "x = [\n1,\n]\n", "s = \"\"\"\n]\n\"\"\"\n", tomlSample,
		"[model_providers]\nother = 1\n[model_providers.switchboard]\nname = 'x'\n", "model.x = 1\n", "[model_providers.switchboard.base_url]\n", "d = 1979-05-27 07:32:00\nt = {a = 1}\n[[arr]]\nk = 1\n[[arr]]\nk = 2\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := newTOMLDoc(s)
		if err != nil {
			return
		}
		if d.Conflict("model_providers.switchboard") != "" {
			return
		}
		// go-toml/v2, a full TOML 1.0 decoder, is the oracle where it reads
		// the input: the edits must set our two keys and change nothing else
		var want map[string]any
		oracle := toml.Unmarshal([]byte(s), &want) == nil && !strings.Contains(strings.ToLower(s), "nan")
		for _, kv := range [][3]string{{"model_providers.switchboard", "base_url", `"u"`}, {"", "model", `"m"`}} {
			if err := d.Set(kv[0], kv[1], kv[2]); err != nil {
				if strings.Contains(err.Error(), " is a table") {
					return // refused, nothing written
				}
				t.Fatalf("%q: %v", s, err)
			}
		}
		if d.GetString("model_providers.switchboard", "base_url") != "u" || d.GetString("", "model") != "m" {
			t.Fatalf("%q gave %q", s, d.String())
		}
		if !oracle {
			return
		}
		if want == nil {
			want = map[string]any{}
		}
		mp, _ := want["model_providers"].(map[string]any)
		if mp == nil {
			mp = map[string]any{}
		}
		sb, _ := mp["switchboard"].(map[string]any)
		if sb == nil {
			sb = map[string]any{}
		}
		sb["base_url"] = "u"
		mp["switchboard"] = sb
		want["model_providers"] = mp
		want["model"] = "m"
		var got map[string]any
		if err := toml.Unmarshal([]byte(d.String()), &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q gave %q (%v): %v, want %v", s, d.String(), err, got, want)
		}
	})
}
