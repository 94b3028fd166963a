package jsonscan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

var cases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+10`, `-12.0E-3`, `true`, `false`, `null`, ` {"a" : [1, {"b":null}] } `,
	`{"model":"m","stream":true,"messages":[{"role":"user","content":"hi \"there\" \\ \/ \b\f\n\r\t \u00e9"}]}`,
	`"long string with no escapes at all, longer than eight bytes"`, `"é 漢字 🙂"`, "\"\xff\xfe\"",
	`{"a":{}}`, `{"a":[]}`, `[[[[[[]]]]]]`, `{"k":"v",}`, `[1,]`, `[,1]`, `{,}`, `{"a"}`, `{"a":}`, `{"a" 1}`,
	`{1:2}`, `01`, `1.`, `.5`, `1e`, `1e+`, `-`, `+1`, `tru`, `truex`, `nul`, `"abc`, `"a\x"`, `"\u12G4"`,
	`"\u12"`, "\"a\tb\"", "\"a\nb\"", `[1 2]`, `{"a":1 "b":2}`, `{} {}`, ``, ` `, `"\`, `[`, `{`, `{"a":[}`,
	`{"a":{"b":1]}`, `[1}`, `"12345678\"12345678"`, `"1234567\\"`, `"12345678`,
}

func TestValidAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range cases {
		if got, want := Valid([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("Valid(%q) = %v, encoding/json says %v", c, got, want)
		}
		if got, want := ValidString(c), json.Valid([]byte(c)); got != want {
			t.Errorf("ValidString(%q) = %v, encoding/json says %v", c, got, want)
		}
	}
}

func TestTopMembers(t *testing.T) {
	body := `{"model":"claude-x","messages":[{"role":"user","content":[{"type":"text","text":"a \"q\""}]}],` +
		` "stream" : true, "n":-1.5e3, "o":{}, "a":[], "s":"x\u0041"}`
	var got []string
	if !Top([]byte(body), func(k, v []byte) { got = append(got, string(k)+"="+string(v)) }) {
		t.Fatal("valid body refused")
	}
	var want []string
	gjson.Parse(body).ForEach(func(k, v gjson.Result) bool {
		want = append(want, k.Str+"="+v.Raw)
		return true
	})
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("members:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Not an object: no members.
	if !Top([]byte(`[{"model":"x"}]`), func(k, v []byte) { t.Errorf("member %s of an array", k) }) {
		t.Fatal("valid array refused")
	}
}

// A body deeper than the fixed stack still scans.
func TestDeepNesting(t *testing.T) {
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	if !Valid([]byte(deep)) || Valid([]byte(deep+"]")) {
		t.Fatal("deep nesting misjudged")
	}
}

func FuzzValid(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, encoding/json says %v", b, got, want)
		}
		if !json.Valid(b) || !bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{")) {
			return
		}
		n := 0
		Top(b, func(k, v []byte) {
			if !json.Valid(v) {
				t.Fatalf("member %q: value %q is not JSON", k, v)
			}
			n++
		})
		want := 0
		gjson.ParseBytes(b).ForEach(func(_, _ gjson.Result) bool { want++; return true })
		if n != want {
			t.Fatalf("%d members, gjson sees %d", n, want)
		}
	})
}

func BenchmarkValid(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"model":"m","messages":[`)
	for i := 0; i < 2000; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"role":"user","content":"` + strings.Repeat("some prose with \\\"quotes\\\" and\\nnewlines, ", 12) + `"}`)
	}
	sb.WriteString(`],"stream":true}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.Run("jsonscan", func(b *testing.B) {
		for b.Loop() {
			Valid(body)
		}
	})
	b.Run("gjson", func(b *testing.B) {
		for b.Loop() {
			gjson.ValidBytes(body)
		}
	})
}

// Scan hands over every string, keys included, in order, as written.
func TestScanStrings(t *testing.T) {
	body := `{"a":"x\"y","b":[{"k":"v"},1,"s",null],"":""}`
	var got []string
	if !Scan([]byte(body), nil, func(s []byte) { got = append(got, string(s)) }) {
		t.Fatal("valid body refused")
	}
	want := []string{"a", `x\"y`, "b", "k", "v", "s", "", ""}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("strings %q, want %q", got, want)
	}
}
