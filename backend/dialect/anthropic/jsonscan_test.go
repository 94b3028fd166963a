package anthropic

import (
	"encoding/json"
	"testing"
)

func TestField(t *testing.T) {
	obj := ` { "a" : 1 , "s":"x\"}y", "o":{"type":"inner","n":[1,{"b":"]"}]}, "type" :"outer", "z":null }`
	for key, want := range map[string]string{
		"a": "1", "s": `"x\"}y"`, "o": `{"type":"inner","n":[1,{"b":"]"}]}`, "type": `"outer"`, "z": "null", "missing": "",
	} {
		if got := field(obj, key); got != want {
			t.Errorf("field(%q) = %q, want %q", key, got, want)
		}
	}
	for _, bad := range []string{"", "[]", `{"a"`, `{"a":`, `{"a":"unterminated`, `{"a":{"b":1`, `{"a" 1}`, `{"x":1 "a":2}`} {
		if got := field(bad, "a"); got != "" {
			t.Errorf("field(%q) = %q on malformed input", bad, got)
		}
	}
	if fieldInt(`{"index":12}`, "index") != 12 || fieldInt(`{"index":"x"}`, "index") != -1 {
		t.Error("fieldInt")
	}
}

func TestUnquoteMatchesEncodingJSON(t *testing.T) {
	for _, raw := range []string{`""`, `"plain"`, `"a\nb\tc\r\"q\" \\ \/ \b\f"`, `"\u00e9\u4e16"`,
		`"\ud83d\udc4b wave"`, `"lone \ud83d surrogate"`, `"bad \uZZZZ hex"`, `"é 👋"`} {
		var want string
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			want = "" // not valid JSON: only require no panic
		}
		got := unquote(raw)
		if want != "" && got != want {
			t.Errorf("unquote(%s) = %q, want %q", raw, got, want)
		}
	}
	if unquote(`123`) != "" || unquote(`"`) != "" {
		t.Error("non-strings must give empty")
	}
}

// FuzzUnquote: for every valid JSON string, unquote agrees with
// encoding/json.
func FuzzUnquote(f *testing.F) {
	f.Add("plain")
	f.Add("quote\" nl\n tab\t \u2028 👋 \x00")
	f.Fuzz(func(t *testing.T, s string) {
		raw, _ := json.Marshal(s)
		var want string
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Skip()
		}
		if got := unquote(string(raw)); got != want {
			t.Fatalf("unquote(%s) = %q, want %q", raw, got, want)
		}
		if got := unquote(string(appendString(nil, s))); got != want {
			t.Fatalf("unquote(appendString(%q)) = %q, want %q", s, got, want)
		}
		_ = field(s, "a")
	})
}
