package agentbody

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tidwall/gjson"
)

func TestGenerate(t *testing.T) {
	for _, shape := range Shapes {
		for _, size := range []int{100_000, 1_000_000} {
			o := Options{Shape: shape, Size: size, Seed: 7, Model: "bench-model", Stream: true}
			body, st, err := Generate(o)
			if err != nil {
				t.Fatal(err)
			}
			name := string(shape) + "/" + itoa(size)
			if !json.Valid(body) {
				t.Fatalf("%s: invalid JSON", name)
			}
			if st.Bytes != len(body) || len(body) < size || len(body) > size+size/20+16<<10 {
				t.Errorf("%s: %d bytes (stats %d), want about %d", name, len(body), st.Bytes, size)
			}
			again, _, _ := Generate(o)
			if !bytes.Equal(body, again) {
				t.Errorf("%s: not deterministic", name)
			}
			other, _, _ := Generate(Options{Shape: shape, Size: size, Seed: 8, Model: "bench-model", Stream: true})
			if bytes.Equal(body, other) {
				t.Errorf("%s: the seed changes nothing", name)
			}
			// Byte scanners find the top-level keys; nothing is tagged as
			// a signature the gateway wrapped.
			wantKeys := 1
			if shape == Gemini {
				wantKeys = 0
			}
			for _, k := range []string{`"model":`, `"stream":`} {
				if n := bytes.Count(body, []byte(k)); n != wantKeys {
					t.Errorf("%s: %s appears %d times, want %d", name, k, n, wantKeys)
				}
			}
			if bytes.Contains(body, []byte("swb1")) {
				t.Errorf("%s: holds the gateway's signature tag", name)
			}
			if shape != Gemini && (gjson.GetBytes(body, "model").Str != "bench-model" || !gjson.GetBytes(body, "stream").Bool()) {
				t.Errorf("%s: model/stream not set", name)
			}
			if st.Tools == 0 || st.Calls == 0 || st.Messages < 10 {
				t.Errorf("%s: stats %+v", name, st)
			}
		}
	}
}

func TestShapes(t *testing.T) {
	get := func(s Shape, path string) gjson.Result {
		body, _, err := Generate(Options{Shape: s, Size: 300_000, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		return gjson.GetBytes(body, path)
	}
	checks := []struct {
		shape Shape
		path  string
		want  int64
	}{
		{Claude, "tools.#", 24},
		{Claude, `messages.#(role=="system")#|#`, 1},
		{Claude, `system.#(cache_control.type=="ephemeral")#|#`, 2},
		{Codex, `input.#(role=="developer")#|#`, 2},
		{Gemini, "tools.0.functionDeclarations.#", 15},
		{OpenCode, "tools.#", 10},
		{OpenCode, `messages.#(role=="system")#|#`, 1},
		{OpenCode, "stream_options.include_usage", 1},
	}
	for _, c := range checks {
		r := get(c.shape, c.path)
		if r.Int() != c.want {
			t.Errorf("%s %s = %s, want %d", c.shape, c.path, r.Raw, c.want)
		}
	}
	// The last block is marked for caching, as Claude Code does.
	msgs := get(Claude, "messages").Array()
	blocks := msgs[len(msgs)-1].Get("content").Array()
	if blocks[len(blocks)-1].Get("cache_control.type").Str != "ephemeral" {
		t.Error("claude: the last block is not marked for caching")
	}
	// Every kind of item the shape's tool loop has is there.
	for _, c := range []struct {
		shape Shape
		kinds []string
	}{
		{Claude, []string{`"type":"thinking"`, `"signature":"`, `"type":"tool_use"`, `"type":"tool_result"`, `"is_error":true`}},
		{Codex, []string{`"type":"reasoning"`, `"encrypted_content":"gAAAAA`, `"type":"function_call"`, `"type":"function_call_output"`, `"role":"assistant"`}},
		{Gemini, []string{`"functionCall":`, `"functionResponse":`, `"thoughtSignature":"`, `"role":"model"`}},
		{OpenCode, []string{`"tool_calls":[{"id":"call_`, `"type":"function","function":{"name":`, `"role":"tool","tool_call_id":"call_`, `"role":"assistant","content":""`}},
	} {
		body, _, _ := Generate(Options{Shape: c.shape, Size: 300_000, Seed: 1})
		for _, k := range c.kinds {
			if !bytes.Contains(body, []byte(k)) {
				t.Errorf("%s: no %s", c.shape, k)
			}
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{"100k": 100_000, "664k": 664_000, "1m": 1_000_000, "1.5M": 1_500_000, "4096": 4096} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "k", "-1m", "100g", "70m"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q): no error", in)
		}
	}
	if _, _, err := Generate(Options{Shape: "cline", Size: 1000}); err == nil {
		t.Error("unknown shape: no error")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
