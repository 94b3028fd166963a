package jsonw

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"switchboard/backend/ir"
)

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\ slash", "line\nbreak\r\ttab", "\x00\x01\x1f", "bad utf8 \xff\xfe",
		"sep \u2028 \u2029", "emoji 🎉 и кириллица", "<html>&amp;"} {
		checkAppendString(t, s)
	}
}

// checkAppendString: AppendString's output is valid JSON without raw line
// breaks, decodes to what encoding/json's does, and is the same for s as a
// string and as bytes.
func checkAppendString(t *testing.T, s string) {
	t.Helper()
	got := AppendString(nil, s)
	var back string
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("%q → %s: invalid JSON: %v", s, got, err)
	}
	want, _ := json.Marshal(s)
	var wantBack string
	_ = json.Unmarshal(want, &wantBack)
	if back != wantBack {
		t.Errorf("%q: decoded %q, encoding/json gives %q", s, back, wantBack)
	}
	if bytes.ContainsAny(got, "\n\r") {
		t.Errorf("%q: raw line break in %s", s, got)
	}
	if string(AppendString(nil, []byte(s))) != string(got) {
		t.Errorf("%q: string and []byte forms differ", s)
	}
}

func TestFieldsAndRaw(t *testing.T) {
	b := []byte{'{'}
	b = AppendStringField(b, "a", "x")
	b = AppendIntField(b, "n", -3)
	b = AppendBoolField(b, "ok", true)
	b = AppendFloat(AppendKey(b, "f"), 0.5, 64)
	b = AppendRaw(AppendKey(b, "raw"), []byte(`{"k":[1]}`), "{}")
	b = AppendRaw(AppendKey(b, "bad"), []byte(`{not json`), "null")
	b = append(b, '}')
	want := `{"a":"x","n":-3,"ok":true,"f":0.5,"raw":{"k":[1]},"bad":null}`
	if string(b) != want {
		t.Fatalf("got %s\nwant %s", b, want)
	}
}

func BenchmarkAppendString(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendString(buf[:0], "Hello, world! Here is a \"delta\" with a newline\nand more text.")
	}
}

// AppendString and encoding/json agree on every input.
func FuzzAppendString(f *testing.F) {
	f.Add("a run of plain text longer than sixty-four bytes, then an escape\" and ünïcödé\u2028")
	f.Add("\xff\xfe bad bytes after a long run of plain text that the vector loop takes.........")
	f.Fuzz(checkAppendString)
}

// AppendText copies the form the client wrote while it belongs to Text,
// and escapes Text otherwise; AppendJoined joins like the encoders did.
func TestAppendTextUsesTheWrittenForm(t *testing.T) {
	text := strings.Repeat("caf\u00e9 \"q\"\n", 30)
	raw := strings.Repeat(`caf\u00e9 \"q\"\n`, 30) // not how AppendString would write it
	b := ir.Block{Type: ir.BlockText, Text: text, Escaped: ir.NewEscaped(text, raw)}
	if got := string(AppendText(nil, &b)); got != `"`+raw+`"` {
		t.Fatalf("AppendText did not copy the written form: %.60s", got)
	}
	b.Text = strings.ToUpper(text)
	checkDecodesTo(t, AppendText(nil, &b), b.Text)
	bad := ir.Block{Type: ir.BlockText, Text: text, Escaped: ir.NewEscaped(text, "bad \xff utf-8")}
	if got := AppendText(nil, &bad); bytes.Contains(got, []byte("\xff")) {
		t.Fatal("invalid UTF-8 in the written form was copied")
	}
	blocks := []ir.Block{
		{Type: ir.BlockText, Text: text, Escaped: ir.NewEscaped(text, raw)},
		{Type: ir.BlockText},
		{Type: ir.BlockImage, Data: "x"},
		{Type: ir.BlockText, Text: "tail\t"},
	}
	checkDecodesTo(t, AppendJoined(nil, blocks, ir.BlockText, "\n\n"), text+"\n\ntail\t")
	checkDecodesTo(t, AppendJoined(nil, nil, ir.BlockText, "\n\n"), "")
}

func checkDecodesTo(t *testing.T, got []byte, want string) {
	t.Helper()
	var s string
	if err := json.Unmarshal(got, &s); err != nil || s != want {
		t.Fatalf("%.80s decodes to %.40q (%v), want %.40q", got, s, err, want)
	}
}
