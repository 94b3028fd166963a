package provider

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

const testProject = "proj-golden-42"

// fixedCloudCode pins what varies between runs: the request id and the
// platform in the Gemini CLI's User-Agent.
func fixedCloudCode(t *testing.T) {
	t.Helper()
	saved, savedPlatform := newUUID, googlePlatform
	newUUID = func() string { return "00000000-0000-4000-8000-000000000001" }
	googlePlatform = nodePlatform("linux", "amd64")
	t.Cleanup(func() { newUUID, googlePlatform = saved, savedPlatform })
}

// The exact upstream requests of both Cloud Code sign-ins: URL, headers,
// and the request wrapped in the envelope.
func TestCloudCodeGoldens(t *testing.T) {
	fixedCloudCode(t)
	up := newUpstream(t, okJSON)
	c := newTestClient(t, ClientOptions{})
	in := input(t, "cloudcode_request.in.json")
	const geminiCLIUA = "GeminiCLI-tui/0.62.1/gemini-2.5-pro (darwin; arm64; terminal)"
	tests := []struct {
		name, entry, model, ua string
		stream                 bool
		wantUA                 string
	}{
		{"gca_other_client", "gemini-code-assist", "gemini-2.5-flash", "opencode/1.18.33", true,
			"GeminiCLI-tui/0.61.0/gemini-2.5-flash (linux; x64; terminal)"},
		{"gca_gemini_cli_client", "gemini-code-assist", "models/gemini-2.5-pro", "GeminiCLI-tui/0.62.1/gca/gemini-2.5-pro (darwin; arm64; terminal)",
			false, geminiCLIUA},
		{"ag_claude_tools", "antigravity", "claude-sonnet-4-6", "opencode/1.18.33", true, antigravityUA},
		{"ag_gemini", "antigravity", "gemini-3-flash", geminiCLIUA, false, antigravityUA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := signInEntry(t, tt.entry, up.URL)
			resp, err := c.Send(context.Background(), &Call{Entry: e, APIKey: testToken, Project: testProject,
				ClientUserAgent: tt.ua, Op: OpGenerate, Model: tt.model, Stream: tt.stream, Body: in, AllowLocal: true,
				Header: http.Header{"X-Goog-Api-Key": {"client-key-must-not-pass"}}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := up.last(t)
			wantPath, wantQuery := "/v1internal:generateContent", ""
			if tt.stream {
				wantPath, wantQuery = "/v1internal:streamGenerateContent", "alt=sse"
			}
			if got.path != wantPath || got.query != wantQuery {
				t.Errorf("URL %s?%s, want %s?%s", got.path, got.query, wantPath, wantQuery)
			}
			if got.header.Get("Authorization") != "Bearer "+testToken || got.header.Get("X-Goog-Api-Key") != "" {
				t.Errorf("credentials: %v", got.header)
			}
			if ua := got.header.Get("User-Agent"); ua != tt.wantUA {
				t.Errorf("User-Agent %q, want %q", ua, tt.wantUA)
			}
			// The Gemini request travels whole inside the envelope.
			inner := gjson.Get(got.body, "request")
			for _, k := range []string{"contents", "systemInstruction", "tools", "generationConfig"} {
				if inner.Get(k).Raw != gjson.GetBytes(in, k).Raw {
					t.Errorf("request.%s changed on the way", k)
				}
			}
			if m := gjson.Get(got.body, "model").String(); m != strings.TrimPrefix(tt.model, "models/") {
				t.Errorf("model %q", m)
			}
			dialecttest.Golden(t, filepath.Join("testdata", "subscription", tt.name+".golden"), rendered(t, got))
		})
	}
}

func TestCloudCodeRequestErrors(t *testing.T) {
	up := newUpstream(t, okJSON)
	c := newTestClient(t, ClientOptions{})
	for _, tt := range []struct {
		name, entry, project, token, body string
		kind                              ir.ErrorKind
	}{
		{"no project", "gemini-code-assist", " ", testToken, `{"contents":[]}`, ir.KindAuth},
		{"no token", "antigravity", testProject, "", `{"contents":[]}`, ir.KindAuth},
		{"body not an object", "antigravity", testProject, testToken, `[1]`, ir.KindBadRequest},
		{"body not JSON", "gemini-code-assist", testProject, testToken, `{"contents":`, ir.KindBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := up.hits.Load()
			_, err := c.Send(context.Background(), &Call{Entry: signInEntry(t, tt.entry, up.URL), APIKey: tt.token,
				Project: tt.project, Op: OpGenerate, Model: "m", Body: []byte(tt.body), AllowLocal: true})
			var ie *ir.Error
			if !errors.As(err, &ie) || ie.Kind != tt.kind || ie.Provider != tt.entry {
				t.Fatalf("err = %v, want %s from %s", err, tt.kind, tt.entry)
			}
			if up.hits.Load() != before {
				t.Error("a request that cannot be sent reached the upstream")
			}
		})
	}
}

func TestCloudCodeURL(t *testing.T) {
	e, _ := Lookup("antigravity")
	if got := e.URL(OpGenerate, "gemini-3-flash", true); got != "https://daily-cloudcode-pa.googleapis.com/v1internal:streamGenerateContent?alt=sse" {
		t.Errorf("stream URL %s", got)
	}
	g, _ := Lookup("gemini-code-assist")
	if got := g.URL(OpGenerate, "gemini-2.5-pro", false); got != "https://cloudcode-pa.googleapis.com/v1internal:generateContent" {
		t.Errorf("URL %s", got)
	}
	for _, op := range []Op{OpEmbed, OpCountTokens, OpListModels} {
		if g.Supports(op) {
			t.Errorf("Cloud Code offers %s", op)
		}
	}
}

func TestAntigravitySessionID(t *testing.T) {
	a := sessionID(gjson.Parse(`[{"role":"user","parts":[{"text":"hello"}]},{"role":"model","parts":[{"text":"x"}]}]`))
	b := sessionID(gjson.Parse(`[{"role":"user","parts":[{"text":"hello"}]},{"role":"user","parts":[{"text":"more"}]}]`))
	if a != b || !strings.HasPrefix(a, "-") || len(a) < 2 {
		t.Errorf("the same conversation got sessions %q and %q", a, b)
	}
	if r := sessionID(gjson.Parse(`[]`)); r == a || !strings.HasPrefix(r, "-") {
		t.Errorf("random session %q", r)
	}
	// A session the request already names is kept.
	out, err := antigravityRequest([]byte(`{"sessionId":"mine","contents":[]}`), "gemini-3-flash")
	if err != nil || gjson.GetBytes(out, "sessionId").String() != "mine" {
		t.Errorf("got %s, %v", out, err)
	}
}

// envelopeServer answers every request with body as typ.
func envelopeServer(t *testing.T, typ, body string) *upstream {
	return newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", typ)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = io.WriteString(w, body)
	})
}

// The answer reaches the reader as the plain Gemini API: each SSE event's
// envelope unwrapped (names, multi-line data and errors kept), the JSON
// answer's too, the trace id becoming the response id.
func TestCloudCodeAnswerUnwrapped(t *testing.T) {
	c := newTestClient(t, ClientOptions{})
	stream := "data: {\"response\":{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}]}}]},\"traceId\":\"tr-1\"}\r\n\r\n" +
		": keep-alive\n\n" +
		"event: chunk\ndata: {\"response\":\ndata: {\"responseId\":\"own\",\"candidates\":[]}}\n\n" +
		"data: {\"error\":{\"code\":503,\"message\":\"overloaded\",\"status\":\"UNAVAILABLE\"}}\n\n" +
		"data: {\"response\":{}, \"traceId\":\"tr-2\"}" // last event without its blank line
	for _, tt := range []struct {
		name, typ, body, want string
		stream                bool
	}{
		{"stream", "text/event-stream; charset=utf-8", stream, "data: {\"responseId\":\"tr-1\",\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}]}}]}\n\n" +
			"event: chunk\ndata: {\"responseId\":\"own\",\"candidates\":[]}\n\n" +
			"data: {\"error\":{\"code\":503,\"message\":\"overloaded\",\"status\":\"UNAVAILABLE\"}}\n\n" +
			"data: {\"responseId\":\"tr-2\"}\n\n", true},
		{"json", "application/json", `{"traceId":"t9","response":{"candidates":[{"finishReason":"STOP"}]}}`,
			`{"responseId":"t9","candidates":[{"finishReason":"STOP"}]}`, false},
		{"json without envelope", "application/json", `{"candidates":[]}`, `{"candidates":[]}`, false},
		{"json, no trace id", "application/json", ` {"response": {"a":1} } `, `{"a":1}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			up := envelopeServer(t, tt.typ, tt.body)
			resp, err := c.Send(context.Background(), &Call{Entry: signInEntry(t, "gemini-code-assist", up.URL), APIKey: testToken,
				Project: testProject, Op: OpGenerate, Model: "m", Stream: tt.stream, Body: []byte(`{}`), AllowLocal: true})
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.ContentLength != -1 || resp.Header.Get("Content-Length") != "" {
				t.Errorf("the wrapped length survived: %d %q", resp.ContentLength, resp.Header.Get("Content-Length"))
			}
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// An event beyond the SSE reader's bound ends the stream with an error
// instead of growing without limit.
func TestCloudCodeStreamBounded(t *testing.T) {
	body := "data: {\"response\":{\"text\":\"" + strings.Repeat("x", sse.MaxEventSize) + "\"}}\n\n"
	up := envelopeServer(t, "text/event-stream", body)
	c := newTestClient(t, ClientOptions{})
	resp, err := c.Send(context.Background(), &Call{Entry: signInEntry(t, "antigravity", up.URL), APIKey: testToken,
		Project: testProject, Op: OpGenerate, Model: "m", Stream: true, Body: []byte(`{}`), AllowLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, sse.ErrTooLarge) {
		t.Fatalf("err = %v, want sse.ErrTooLarge", err)
	}
}

// FuzzCloudCodeEnvelope: unwrapping never panics and turns valid JSON into
// valid JSON; wrapping accepts what checkObject accepts and emits JSON.
func FuzzCloudCodeEnvelope(f *testing.F) {
	for _, s := range []string{`{}`, `{"response":{}}`, `{"response":{"a":1},"traceId":"t"}`, `{"response":{ },"traceId":"t"}`,
		`{"response":[1]}`, `{"response":"x"}`, `[]`, `x`, `{"traceId":7,"response":{"responseId":"r"}}`, `{"response":{"x":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out := unwrapEnvelope(data)
		if gjson.ValidBytes(data) && !gjson.ValidBytes(out) {
			t.Errorf("valid %q unwrapped to invalid %q", data, out)
		}
		for _, q := range []string{QuirksCodeAssist, QuirksAntigravity} {
			body, err := cloudCodeBody(&Call{Entry: &Entry{ID: "x", Quirks: q}, Project: "p", Model: "claude-x", Body: data})
			if err == nil && !gjson.ValidBytes(body) {
				t.Errorf("%s: invalid envelope %q from %q", q, body, data)
			}
		}
	})
}

func TestGeminiCLIWithModel(t *testing.T) {
	for ua, want := range map[string]string{
		"GeminiCLI/0.61.0/gca/gemini-2.5-pro (linux; x64; terminal)":                   "GeminiCLI/0.61.0/m (linux; x64; terminal)",
		"GeminiCLI-tui/0.61.0/auto (win32; x64; terminal)":                             "GeminiCLI-tui/0.61.0/m (win32; x64; terminal)",
		"GeminiCLI-a2a/1.0.0/x/y/z (darwin; arm64; vscode) extra":                      "GeminiCLI-a2a/1.0.0/m (darwin; arm64; vscode) extra",
		"GeminiCLI/0.61.0 (linux)":                                                     "",
		"GeminiCLI//m (linux)":                                                         "",
		"opencode/1.18.33":                                                             "",
		"CloudCodeVSCode/0.61.0 (aidev_client; os_type=Linux; proxy_client=geminicli)": "",
	} {
		got, ok := geminiCLIWithModel(ua, "m")
		if got != want || ok != (want != "") {
			t.Errorf("%q → %q, %v; want %q", ua, got, ok, want)
		}
	}
}
