package jsonscan

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// walk lists what an iterator yields, recursively.
func walk(r gjson.Result, each func(gjson.Result, func(k, v gjson.Result) bool)) []string {
	var out []string
	each(r, func(k, v gjson.Result) bool {
		out = append(out, fmt.Sprintf("%q %d %q %q %v", k.Str, v.Type, v.Raw, v.Str, v.Num))
		if v.Type == gjson.JSON {
			out = append(out, walk(v, each)...)
		}
		return true
	})
	return out
}

func gjsonEach(r gjson.Result, f func(k, v gjson.Result) bool) { r.ForEach(f) }

func checkEach(t *testing.T, doc string) {
	t.Helper()
	want := walk(gjson.Parse(doc), gjsonEach)
	if got := walk(gjson.Parse(doc), Each); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Each(%q):\n%v\ngjson:\n%v", doc, got, want)
	}
	w := &Walker{}
	if got := walk(gjson.Parse(doc), w.Each); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Walker.Each(%q):\n%v\ngjson:\n%v", doc, got, want)
	}
}

func TestEachMatchesGJSON(t *testing.T) {
	for _, doc := range []string{
		`{"role":"user","content":[{"type":"text","text":"a \"b\" \u00e9\n"},{"type":"tool_result","content":[{"x":[1,2,{}]}],"is_error":false}]}`,
		` [ 1 , -2.5e3 , "s" , true , false , null , {} , [] , {"a" : {"b" : ["]", "}", "\\"]}} ] `,
		`"just a string"`, `42`, `{}`, `[]`, `{"k\"ey":"v"}`,
		`["\ud83d\ude00 pair", "\ud83d lone high", "\ude00 lone low", "\u00e9\u4e2d\\/\b\f\n\r\t\"", "a\u0000b"]`,
	} {
		checkEach(t, doc)
	}
	if v := Get(gjson.Parse(`{"a":1,"content":[{"t":"x"}],"c":2}`), "content"); v.Raw != `[{"t":"x"}]` {
		t.Fatalf("Get content = %q", v.Raw)
	}
	if v := Get(gjson.Parse(`{"a":1}`), "b"); v.Exists() {
		t.Fatalf("Get of a missing key = %q", v.Raw)
	}
}

func FuzzEach(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) { // no panic, whatever it yields
			Each(gjson.Result{Type: gjson.JSON, Raw: string(b)}, func(k, v gjson.Result) bool { return true })
			return
		}
		checkEach(t, string(b))
	})
}

// Decoded strings share blocks: a thousand escaped strings cost a few
// allocations, and each keeps its own text.
func TestWalkerArena(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("[")
	for i := range 1000 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `"line %d\nsaid \"hi\""`, i)
	}
	sb.WriteString("]")
	doc := gjson.Parse(sb.String())
	var got []string
	allocs := testing.AllocsPerRun(5, func() {
		w := &Walker{}
		got = got[:0]
		w.Each(doc, func(_, v gjson.Result) bool { got = append(got, v.Str); return true })
	})
	if allocs > 10 {
		t.Fatalf("%v allocations for 1000 escaped strings", allocs)
	}
	for i, s := range got {
		if want := fmt.Sprintf("line %d\nsaid \"hi\"", i); s != want {
			t.Fatalf("string %d = %q, want %q", i, s, want)
		}
	}
}
