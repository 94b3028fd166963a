package jsonscan

import (
	"encoding/json"
	"fmt"
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
	got, want := walk(gjson.Parse(doc), Each), walk(gjson.Parse(doc), gjsonEach)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Each(%q):\n%v\ngjson:\n%v", doc, got, want)
	}
}

func TestEachMatchesGJSON(t *testing.T) {
	for _, doc := range []string{
		`{"role":"user","content":[{"type":"text","text":"a \"b\" \u00e9\n"},{"type":"tool_result","content":[{"x":[1,2,{}]}],"is_error":false}]}`,
		` [ 1 , -2.5e3 , "s" , true , false , null , {} , [] , {"a" : {"b" : ["]", "}", "\\"]}} ] `,
		`"just a string"`, `42`, `{}`, `[]`, `{"k\"ey":"v"}`,
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
