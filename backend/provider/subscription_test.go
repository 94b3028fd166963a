package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
)

// A sign-in's access token; goldens show it redacted.
const (
	testToken   = "sk-ant-oat01-TEST-ACCESS-TOKEN-0123456789"
	testAccount = "acct-0123-4567"

	claudeCodeUA = "claude-cli/2.1.197 (external, sdk-cli)"
	codexExecUA  = "codex_exec/0.169.0 (Debian 12.0.0; x86_64) dumb (codex_exec; 0.169.0)"
	// The betas Claude Code 2.1.197 sent in the tool-read capture.
	claudeCodeClientBetas = "claude-code-20250219,interleaved-thinking-2025-05-14,thinking-token-count-2026-05-13," +
		"context-management-2025-06-27,prompt-caching-scope-2026-01-05,mid-conversation-system-2026-04-07,effort-2025-11-24"
)

// fixedIdentity pins the platform part of the CLIs' identity so goldens do
// not depend on the machine running the tests.
func fixedIdentity(t *testing.T) {
	t.Helper()
	saved := ident
	ident = newIdentity("linux", "amd64")
	t.Cleanup(func() { ident = saved })
}

// signInEntry is the catalog entry id pointed at the fake upstream.
func signInEntry(t *testing.T, id, base string) *Entry {
	t.Helper()
	e, ok := Lookup(id)
	if !ok {
		t.Fatalf("catalog has no %s entry", id)
	}
	e.BaseURL = base
	return &e
}

// input reads a captured client body and compacts it, as a client sends it.
func input(t testing.TB, name string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, dialecttest.Read(t, filepath.Join("testdata", "subscription", name))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rendered is what the upstream received, written for a golden file: the
// request line, the headers sorted (the token redacted), then the body.
func rendered(t *testing.T, r recorded) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(r.method + " " + r.path + "\n")
	keys := make([]string, 0, len(r.header))
	for k := range r.header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range r.header[k] {
			if k == "Authorization" {
				v = strings.ReplaceAll(v, testToken, "<access-token>")
			}
			b.WriteString(k + ": " + v + "\n")
		}
	}
	b.WriteString("\n")
	if err := json.Indent(&b, []byte(r.body), "", "  "); err != nil {
		t.Fatalf("upstream body is not JSON: %v\n%s", err, r.body)
	}
	b.WriteString("\n")
	return b.Bytes()
}

func TestSubscriptionGoldens(t *testing.T) {
	fixedIdentity(t)
	up := newUpstream(t, okJSON)
	c := newTestClient(t, ClientOptions{})
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	const (
		msgs        = `"messages":[{"role":"user","content":"Hello"}]`
		otherUA     = "Anthropic/Python 0.72.0"
		otherClient = "opencode/1.18.33 ai-sdk/provider-utils/4.0.23 runtime/bun/1.3.1"
	)
	tests := []struct {
		name      string
		entry     string
		ua        string
		stream    bool
		body      []byte
		header    http.Header
		unchanged bool // the body must reach the upstream byte for byte
	}{
		{name: "claude_code_client", entry: "claude", ua: claudeCodeUA, stream: true,
			body:      input(t, "claude_code_client.in.json"),
			header:    hdr("Anthropic-Beta", claudeCodeClientBetas, "Anthropic-Version", "2023-06-01"),
			unchanged: true},
		{name: "claude_other_no_system", entry: "claude", ua: otherUA,
			body: []byte(`{"model":"claude-sonnet-4-5","max_tokens":1024,` + msgs + `}`),
			// The client's own betas come first; its SDK identity is replaced.
			header: hdr("Anthropic-Beta", "prompt-caching-2024-07-31,oauth-2025-04-20", "X-Stainless-Lang", "python")},
		{name: "claude_other_string_system", entry: "claude", ua: otherUA, stream: true,
			body: []byte(`{"model":"claude-sonnet-4-5","max_tokens":1024,"system":"You are terse.\nAnswer in French.",` + msgs + `,"stream":true}`)},
		{name: "claude_other_array_system", entry: "claude", ua: otherUA, stream: true,
			body:   []byte(`{"model":"claude-opus-4-5","max_tokens":2048,"system":[{"type":"text","text":"You are a code reviewer.","cache_control":{"type":"ephemeral"}},{"type":"text","text":"Be brief."}],` + msgs + `,"stream":true}`),
			header: hdr("Anthropic-Beta", "interleaved-thinking-2025-05-14", "Anthropic-Beta", "fine-grained-tool-streaming-2025-05-14")},
		{name: "codex_cli_client", entry: "codex", ua: codexExecUA, stream: true,
			body:      input(t, "codex_cli_client.in.json"),
			header:    hdr("Session-Id", "01a214e2-3ef0-78b0-9ce6-feede075b57f", "Originator", "codex_exec"),
			unchanged: false}, // instructions are taken out of the leading developer messages
		{name: "codex_other_client", entry: "codex", ua: otherClient,
			body: []byte(`{"model":"gpt-5.1-codex","input":[{"role":"system","content":"You are terse."},` +
				`{"type":"message","role":"developer","content":[{"type":"input_text","text":"Use metric units."}]},` +
				`{"role":"user","content":[{"type":"input_text","text":"How far is the moon?"}]}],` +
				`"temperature":0.2,"top_p":0.9,"max_output_tokens":512,"reasoning":{"effort":"high"},"include":["message.output_text.logprobs"],` +
				`"service_tier":"auto","metadata":{"k":"v"},"text":{"verbosity":"low"},"stream":false}`),
			header: hdr("Session_id", "3f0c9a1e-sess")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := signInEntry(t, tt.entry, up.URL)
			resp, err := c.Send(context.Background(), &Call{Entry: e, APIKey: testToken, AccountRef: testAccount,
				ClientUserAgent: tt.ua, Op: OpGenerate, Model: "m", Stream: tt.stream, Body: tt.body,
				Header: tt.header, AllowLocal: true})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := up.last(t)
			if tt.unchanged && got.body != string(tt.body) {
				t.Error("the body was changed on its way upstream")
			}
			if v := got.header.Get("Authorization"); v != "Bearer "+testToken {
				t.Errorf("Authorization = %q", v)
			}
			if got.header.Get("X-Api-Key") != "" {
				t.Error("a sign-in request carries x-api-key")
			}
			dialecttest.Golden(t, filepath.Join("testdata", "subscription", tt.name+".golden"), rendered(t, got))
		})
	}
}

func TestSubscriptionErrors(t *testing.T) {
	up := newUpstream(t, okJSON)
	c := newTestClient(t, ClientOptions{})
	tests := []struct {
		name    string
		entry   string
		token   string
		account string
		body    string
		kind    ir.ErrorKind
	}{
		{"codex without account id", "codex", testToken, "", `{"model":"m","input":"hi"}`, ir.KindAuth},
		{"codex blank account id", "codex", testToken, "  ", `{"model":"m","input":"hi"}`, ir.KindAuth},
		{"claude without token", "claude", "", "", `{"model":"m"}`, ir.KindAuth},
		{"codex without token", "codex", " ", testAccount, `{"model":"m"}`, ir.KindAuth},
		{"claude body not JSON", "claude", testToken, "", `not json`, ir.KindBadRequest},
		{"claude body an array", "claude", testToken, "", `[{"model":"m"}]`, ir.KindBadRequest},
		{"claude truncated body", "claude", testToken, "", `{"model":"m","system":[{"type":"text"`, ir.KindBadRequest},
		{"claude system a number", "claude", testToken, "", `{"model":"m","system":42}`, ir.KindBadRequest},
		{"codex body not JSON", "codex", testToken, testAccount, "\x00\xff{", ir.KindBadRequest},
		{"codex body a string", "codex", testToken, testAccount, `"hi"`, ir.KindBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := up.hits.Load()
			_, err := c.Send(context.Background(), &Call{Entry: signInEntry(t, tt.entry, up.URL), APIKey: tt.token,
				AccountRef: tt.account, Op: OpGenerate, Model: "m", Body: []byte(tt.body), AllowLocal: true})
			var ie *ir.Error
			if !errors.As(err, &ie) || ie.Kind != tt.kind {
				t.Fatalf("err = %v, want kind %s", err, tt.kind)
			}
			if ie.Provider != tt.entry {
				t.Errorf("Provider = %q, want %q", ie.Provider, tt.entry)
			}
			if strings.Contains(ie.Error(), testToken) {
				t.Error("the error contains the token")
			}
			if up.hits.Load() != before {
				t.Error("a request that cannot be sent reached the upstream")
			}
		})
	}
}

// A provider without quirks sees exactly what it saw before sign-ins
// existed, whatever the call carries for them.
func TestNoQuirksUnchanged(t *testing.T) {
	up := newUpstream(t, okJSON)
	c := newTestClient(t, ClientOptions{})
	tests := []struct {
		name string
		d    dialect.Name
		auth AuthStyle
		ua   string
		body []byte
	}{
		{"anthropic api key, Claude Code client", dialect.Anthropic, AuthXAPIKey, claudeCodeUA, input(t, "claude_code_client.in.json")},
		{"anthropic api key, other client", dialect.Anthropic, AuthXAPIKey, "Anthropic/Python 0.72.0", []byte(`{"model":"m","max_tokens":8,"messages":[]}`)},
		{"responses api key, Codex client", dialect.Responses, AuthBearer, codexExecUA, input(t, "codex_cli_client.in.json")},
		{"responses api key, other client", dialect.Responses, AuthBearer, "x", []byte(`{"model":"m","input":"hi","temperature":0.2,"max_output_tokens":9}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := entryFor(tt.d, up.URL, tt.auth)
			if tt.d == dialect.Anthropic {
				e.Headers = map[string]string{"anthropic-version": "2023-06-01"}
			}
			fwd := http.Header{"Anthropic-Beta": {"a-1,b-2"}}
			resp, err := c.Send(context.Background(), &Call{Entry: e, APIKey: testKey, AccountRef: testAccount,
				ClientUserAgent: tt.ua, Op: OpGenerate, Model: "m", Body: tt.body, Header: fwd, AllowLocal: true})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := up.last(t)
			if got.body != string(tt.body) {
				t.Error("body changed")
			}
			want := http.Header{
				"Accept":          {"application/json"},
				"Accept-Encoding": {"gzip"},
				"Anthropic-Beta":  {"a-1,b-2"},
				"Content-Length":  got.header["Content-Length"],
				"Content-Type":    {"application/json"},
				"User-Agent":      {DefaultUserAgent},
			}
			if tt.auth == AuthXAPIKey {
				want["X-Api-Key"] = []string{testKey}
				want["Anthropic-Version"] = []string{"2023-06-01"}
			} else {
				want["Authorization"] = []string{"Bearer " + testKey}
			}
			if !headersEqual(got.header, want) {
				t.Errorf("headers\n got %v\nwant %v", got.header, want)
			}
		})
	}
}

func headersEqual(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestClaudeCodeBody(t *testing.T) {
	pre := claudeCodePreambleBlock
	tests := []struct{ name, in, want string }{
		{"preamble already first", `{"system":[` + pre + `,{"type":"text","text":"x"}]}`, `{"system":[` + pre + `,{"type":"text","text":"x"}]}`},
		{"string equal to the preamble", `{"system":"You are Claude Code, Anthropic's official CLI for Claude."}`, `{"system":[` + pre + `]}`},
		{"empty string", `{"system":""}`, `{"system":[` + pre + `]}`},
		{"null", `{"system":null,"m":1}`, `{"system":[` + pre + `],"m":1}`},
		{"empty array", `{"system":[ ]}`, `{"system":[` + pre + `]}`},
		{"escapes kept", `{"system":"say \"hi\"\n\u00e9"}`, `{"system":[` + pre + `,{"type":"text","text":"say \"hi\"\n\u00e9"}]}`},
		{"preamble not first", `{"system":[{"type":"text","text":"a"},` + pre + `]}`, `{"system":[` + pre + `,{"type":"text","text":"a"},` + pre + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := claudeCodeBody([]byte(tt.in), false)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestCodexBody(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check map[string]string // path → raw JSON wanted ("" = absent)
	}{
		{"string input, no instructions", `{"model":"m","input":"hi"}`, map[string]string{
			"input":        `[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}]`,
			"instructions": `"` + codexInstructions + `"`, "stream": "true", "store": "false", "include": ""}},
		{"store and stream fixed", `{"input":[],"instructions":"x","store":true,"stream":"yes"}`, map[string]string{
			"store": "false", "stream": "true", "instructions": `"x"`, "input": "[]"}},
		{"blank instructions filled from input", `{"instructions":"  ","input":[{"role":"developer","content":"d"},{"role":"user","content":"u"}]}`, map[string]string{
			"instructions": `"d"`, "input": `[{"role":"user","content":"u"}]`}},
		{"every item moved", `{"input":[ {"role":"system","content":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"x"},{"type":"input_text","text":"b"}]} ]}`, map[string]string{
			"instructions": `"a\n\nb"`, "input": "[]"}},
		{"whitespace between items", `{"input":[ {"role":"system","content":"s"} ,  {"role":"user","content":"u"} ]}`, map[string]string{
			"instructions": `"s"`, "input": `[{"role":"user","content":"u"} ]`}},
		{"only leading system messages move", `{"input":[{"role":"user","content":"u"},{"role":"system","content":"s"}]}`, map[string]string{
			"instructions": `"` + codexInstructions + `"`, "input": `[{"role":"user","content":"u"},{"role":"system","content":"s"}]`}},
		{"non-message items stop the move", `{"input":[{"type":"function_call_output","role":"system","call_id":"c","output":"o"}]}`, map[string]string{
			"instructions": `"` + codexInstructions + `"`}},
		{"include appended", `{"instructions":"x","reasoning":{"effort":"low"},"include":["a"]}`, map[string]string{
			"include": `["a","reasoning.encrypted_content"]`}},
		{"include already there", `{"instructions":"x","reasoning":{},"include":["reasoning.encrypted_content"]}`, map[string]string{
			"include": `["reasoning.encrypted_content"]`}},
		{"include of the wrong type", `{"instructions":"x","reasoning":{},"include":"a"}`, map[string]string{
			"include": `["reasoning.encrypted_content"]`}},
		{"no reasoning, no include", `{"instructions":"x","reasoning":null}`, map[string]string{"include": ""}},
		{"priority tier kept", `{"instructions":"x","service_tier":"priority"}`, map[string]string{"service_tier": `"priority"`}},
		{"other tiers dropped", `{"instructions":"x","service_tier":"flex"}`, map[string]string{"service_tier": ""}},
		{"rejected fields dropped", `{"instructions":"x","previous_response_id":"r","user":"u","truncation":"auto","stream_options":{},"top_logprobs":2,"text":{"verbosity":"low"}}`, map[string]string{
			"previous_response_id": "", "user": "", "truncation": "", "stream_options": "", "top_logprobs": "", "text": `{"verbosity":"low"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := codexBody([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(got) {
				t.Fatalf("invalid JSON: %s", got)
			}
			for path, want := range tt.check {
				if r := gjson.GetBytes(got, path); r.Raw != want {
					t.Errorf("%s = %s, want %s (body %s)", path, r.Raw, want, got)
				}
			}
		})
	}
}

// The Codex CLI's own body needs no edit but its instructions: nothing
// else about it may change.
func TestCodexBodyKeepsCodexCLIRequest(t *testing.T) {
	in := input(t, "codex_cli_client.in.json")
	got, err := codexBody(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"model", "tools", "tool_choice", "parallel_tool_calls", "reasoning", "store", "stream", "include", "prompt_cache_key", "client_metadata"} {
		if a, b := gjson.GetBytes(in, k).Raw, gjson.GetBytes(got, k).Raw; a != b {
			t.Errorf("%s changed: %s → %s", k, a, b)
		}
	}
	if n, m := len(gjson.GetBytes(in, "input").Array()), len(gjson.GetBytes(got, "input").Array()); m != n-2 {
		t.Errorf("input has %d items, want %d (the two leading developer messages moved)", m, n-2)
	}
}

func TestMergeBetas(t *testing.T) {
	call := &Call{Entry: &Entry{Headers: map[string]string{"anthropic-beta": "entry-1, oauth-2025-04-20"}},
		Header: http.Header{"Anthropic-Beta": {"client-2, client-1", "client-2,,effort-2025-11-24"}}}
	want := "client-2,client-1,effort-2025-11-24,entry-1,oauth-2025-04-20,claude-code-20250219,interleaved-thinking-2025-05-14," +
		"thinking-token-count-2026-05-13,context-management-2025-06-27,prompt-caching-scope-2026-01-05,mid-conversation-system-2026-04-07"
	if got := mergeBetas(call); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestQuirksValidation(t *testing.T) {
	base := Entry{ID: "x", Name: "X", Prefix: "x", BaseURL: "https://x.example", Auth: AuthOAuth, SignIn: "claude",
		RefreshLead: 1, Tier: "subscription"}
	tests := []struct {
		quirks string
		d      dialect.Name
		ok     bool
	}{
		{QuirksClaudeCode, dialect.Anthropic, true},
		{QuirksCodex, dialect.Responses, true},
		{QuirksClaudeCode, dialect.Responses, false},
		{QuirksCodex, dialect.OpenAIChat, false},
		{QuirksKimiCLI, dialect.Anthropic, true},
		{QuirksKimiCLI, dialect.OpenAIChat, false},
		{QuirksQwenCode, dialect.OpenAIChat, true},
		{QuirksQwenCode, dialect.Anthropic, false},
		{"gemini-cli", dialect.Gemini, false},
	}
	for _, tt := range tests {
		e := base
		e.Quirks, e.Dialect = tt.quirks, tt.d
		if err := e.validate(); (err == nil) != tt.ok {
			t.Errorf("quirks %q on %s: err = %v", tt.quirks, tt.d, err)
		}
	}
}

func TestNewIdentity(t *testing.T) {
	id := newIdentity("darwin", "arm64")
	if id.codexUA != "codex_cli_rs/"+codexVersion+" (Mac OS; arm64) unknown" {
		t.Errorf("codex UA %q", id.codexUA)
	}
	h := http.Header{}
	for _, kv := range id.claudeHeaders {
		h.Set(kv[0], kv[1])
	}
	if h.Get("X-Stainless-Os") != "MacOS" || h.Get("X-Stainless-Arch") != "arm64" {
		t.Errorf("stainless platform %q %q", h.Get("X-Stainless-Os"), h.Get("X-Stainless-Arch"))
	}
}

// FuzzSubscriptionBodies: whatever the body, the quirks never panic, and
// what they accept comes out as valid JSON.
func FuzzSubscriptionBodies(f *testing.F) {
	for _, s := range []string{``, `{}`, `null`, `[]`, `{"system":"x"}`, `{"system":[{"type":"text","text":"a"}]}`,
		`{"system":[]}`, `{"system":{}}`, `{"input":"x"}`, `{"input":[{"role":"system","content":[{"text":"a"},{"text":1}]}]}`,
		`{"reasoning":{},"include":[1,"x"]}`, `{"stream":true,"store":false,"instructions":"i"}`, `{"a":1,"a":2}`, "{\"system\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for name, fn := range map[string]func([]byte) ([]byte, *ir.Error){
			"claude":      func(b []byte) ([]byte, *ir.Error) { return claudeCodeBody(b, false) },
			"claude-code": func(b []byte) ([]byte, *ir.Error) { return claudeCodeBody(b, true) },
			"codex":       codexBody,
		} {
			out, err := fn(slices.Clone(body))
			if err != nil {
				if err.Kind != ir.KindBadRequest {
					t.Errorf("%s: kind %s", name, err.Kind)
				}
				continue
			}
			if !gjson.ValidBytes(out) {
				t.Errorf("%s: invalid output %q from %q", name, out, body)
			}
		}
	})
}

func BenchmarkQuirksBody(b *testing.B) {
	cc := input(b, "claude_code_client.in.json")
	cx := input(b, "codex_cli_client.in.json")
	other := []byte(`{"model":"claude-sonnet-4-5","max_tokens":1024,"system":[{"type":"text","text":"Be brief."}],"messages":[{"role":"user","content":"Hello"}]}`)
	for _, bc := range []struct {
		name string
		fn   func() ([]byte, *ir.Error)
	}{
		{"claude-code client", func() ([]byte, *ir.Error) { return claudeCodeBody(cc, true) }},
		{"claude other client", func() ([]byte, *ir.Error) { return claudeCodeBody(other, false) }},
		{"codex cli", func() ([]byte, *ir.Error) { return codexBody(cx) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
