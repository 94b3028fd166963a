package jsonscan

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unsafe"

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
	// Again with the spans the first walk left, and level by level (the
	// decoders keep a level's values and walk them after it), which reads
	// the spans out of the order they were made in.
	if got := walk(gjson.Parse(doc), w.Each); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Walker.Each again (%q):\n%v\ngjson:\n%v", doc, got, want)
	}
	if got, want := breadth(gjson.Parse(doc), (&Walker{}).Each), breadth(gjson.Parse(doc), gjsonEach); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Walker.Each level by level (%q):\n%v\ngjson:\n%v", doc, got, want)
	}
	// With the spans a validating Scan left (the gateway's pass), walked
	// whole and level by level.
	scanned := func() *Walker {
		w := &Walker{buf: make([]byte, 0, 8)}
		if !w.Scan(unsafe.Slice(unsafe.StringData(doc), len(doc)), nil, nil) {
			t.Fatalf("Walker.Scan(%q) = false", doc)
		}
		checkSpans(t, doc, w)
		return w
	}
	if got := walk(gjson.Parse(doc), scanned().Each); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Walker.Each after Scan (%q):\n%v\ngjson:\n%v", doc, got, want)
	}
	if got, want := breadth(gjson.Parse(doc), scanned().Each), breadth(gjson.Parse(doc), gjsonEach); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Walker.Each after Scan, level by level (%q):\n%v\ngjson:\n%v", doc, got, want)
	}
}

// checkSpans: every span w holds is one whole value of doc, in order.
func checkSpans(t *testing.T, doc string, w *Walker) {
	t.Helper()
	base := uintptr(unsafe.Pointer(unsafe.StringData(doc)))
	for n, sp := range w.spans {
		start, end := int(sp.start-base), int(sp.end-base)
		if n > 0 && sp.start <= w.spans[n-1].start {
			t.Fatalf("%q: span %d starts at %d, not after span %d", doc, n, start, n-1)
		}
		if start < 0 || end > len(doc) || endValue(doc, start) != end {
			t.Fatalf("%q: span %d is [%d,%d), the value there ends at %d", doc, n, start, end, endValue(doc, start))
		}
	}
}

// breadth lists what an iterator yields, a level at a time.
func breadth(r gjson.Result, each func(gjson.Result, func(k, v gjson.Result) bool)) []string {
	var out []string
	level := []gjson.Result{r}
	for len(level) > 0 {
		var next []gjson.Result
		for _, r := range level {
			each(r, func(k, v gjson.Result) bool {
				out = append(out, fmt.Sprintf("%q %d %q %q", k.Str, v.Type, v.Raw, v.Str))
				if v.Type == gjson.JSON {
					next = append(next, v)
				}
				return true
			})
		}
		level = next
	}
	return out
}

func TestEachMatchesGJSON(t *testing.T) {
	for _, doc := range []string{
		`{"role":"user","content":[{"type":"text","text":"a \"b\" \u00e9\n"},{"type":"tool_result","content":[{"x":[1,2,{}]}],"is_error":false}]}`,
		` [ 1 , -2.5e3 , "s" , true , false , null , {} , [] , {"a" : {"b" : ["]", "}", "\\"]}} ] `,
		`"just a string"`, `42`, `{}`, `[]`, `{"k\"ey":"v"}`,
		`["\ud83d\ude00 pair", "\ud83d lone high", "\ude00 lone low", "\u00e9\u4e2d\\/\b\f\n\r\t\"", "a\u0000b"]`,
		longDoc, strings.Repeat("[", 70) + `"` + strings.Repeat("deep ", 40) + `"` + strings.Repeat("]", 70),
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

// longDoc has strings long enough for the Walker to remember, at every
// level, beside short ones.
var longDoc = func() string {
	long := strings.Repeat(`line \"quoted\"\n`, 12)
	return `{"system":"` + long + `","messages":[{"role":"user","content":[{"type":"text","text":"` + long +
		`"},{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"` + long + `"}]}]},` +
		`{"role":"assistant","content":"` + long + `"}],"tools":[{"name":"x","input_schema":{"type":"object",` +
		`"properties":{"a":{"description":"` + long + `"}}}}],"n":[1,2.5,true,null]}`
}()

func FuzzEach(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c))
	}
	f.Add([]byte(longDoc))
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
