package provider

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"switchboard/backend/dialect"
)

func TestURL(t *testing.T) {
	oa := Entry{Dialect: dialect.OpenAIChat, BaseURL: "https://api.openai.com/v1"}
	rs := Entry{Dialect: dialect.Responses, BaseURL: "https://api.openai.com/v1"}
	an := Entry{Dialect: dialect.Anthropic, BaseURL: "https://api.anthropic.com"}
	gm := Entry{Dialect: dialect.Gemini, BaseURL: "https://generativelanguage.googleapis.com"}
	const g = "https://generativelanguage.googleapis.com/v1beta/"
	tests := []struct {
		e      Entry
		op     Op
		model  string
		stream bool
		want   string
	}{
		{oa, OpGenerate, "gpt-4.1", false, "https://api.openai.com/v1/chat/completions"},
		{oa, OpGenerate, "gpt-4.1", true, "https://api.openai.com/v1/chat/completions"},
		{oa, OpEmbed, "text-embedding-3-small", false, "https://api.openai.com/v1/embeddings"},
		{oa, OpListModels, "", false, "https://api.openai.com/v1/models"},
		{oa, OpCountTokens, "gpt-4.1", false, ""},
		{rs, OpGenerate, "gpt-5", true, "https://api.openai.com/v1/responses"},
		{rs, OpCountTokens, "gpt-5", false, "https://api.openai.com/v1/responses/input_tokens"},
		{rs, OpListModels, "", false, "https://api.openai.com/v1/models"},
		{an, OpGenerate, "claude-sonnet-4-5", true, "https://api.anthropic.com/v1/messages"},
		{an, OpCountTokens, "claude-sonnet-4-5", false, "https://api.anthropic.com/v1/messages/count_tokens"},
		{an, OpListModels, "", false, "https://api.anthropic.com/v1/models"},
		{an, OpEmbed, "x", false, ""},
		{gm, OpGenerate, "gemini-2.5-pro", false, g + "models/gemini-2.5-pro:generateContent"},
		{gm, OpGenerate, "gemini-2.5-pro", true, g + "models/gemini-2.5-pro:streamGenerateContent?alt=sse"},
		{gm, OpEmbed, "gemini-embedding-001", false, g + "models/gemini-embedding-001:batchEmbedContents"},
		{gm, OpCountTokens, "gemini-2.5-flash", false, g + "models/gemini-2.5-flash:countTokens"},
		{gm, OpListModels, "", false, g + "models"},
		{gm, OpGenerate, "models/gemini-2.5-pro", false, g + "models/gemini-2.5-pro:generateContent"},
		{gm, OpGenerate, "tunedModels/my-tune", false, g + "tunedModels/my-tune:generateContent"},
		// A hostile model name stays one path segment of one method.
		{gm, OpGenerate, "../../x?key=1#", false, g + "models/..%2F..%2Fx%3Fkey=1%23:generateContent"},
		{gm, OpGenerate, "x:countTokens", false, g + "models/x%3AcountTokens:generateContent"},
		{Entry{Dialect: "soap", BaseURL: "https://x"}, OpGenerate, "m", false, ""},
	}
	for _, tt := range tests {
		if got := tt.e.URL(tt.op, tt.model, tt.stream); got != tt.want {
			t.Errorf("%s %s %q stream=%v:\n got %q\nwant %q", tt.e.Dialect, tt.op, tt.model, tt.stream, got, tt.want)
		}
	}
	if an.Supports(OpEmbed) || !an.Supports(OpCountTokens) || oa.Supports(OpCountTokens) {
		t.Error("Supports disagrees with URL")
	}
}

func TestCatalogURLsAreWellFormed(t *testing.T) {
	for _, e := range All() {
		if got := e.URL(OpGenerate, "m", false); got == "" || got[:len(e.BaseURL)] != e.BaseURL {
			t.Errorf("%s: generate URL %q", e.ID, got)
		}
	}
	ds, _ := Lookup("deepseek")
	if got := ds.URL(OpGenerate, "deepseek-chat", true); got != "https://api.deepseek.com/v1/chat/completions" {
		t.Errorf("deepseek: %s", got)
	}
	kimi, _ := Lookup("kimi")
	if got := kimi.URL(OpGenerate, "kimi-for-coding", true); got != "https://api.kimi.com/coding/v1/messages" {
		t.Errorf("kimi: %s", got)
	}
}

// A URL parsed once builds the same request as net/http's parse, and a
// request that changes its URL leaves the next one's alone.
func TestNewHTTPRequestParsesOnce(t *testing.T) {
	for _, raw := range []string{
		"http://127.0.0.1:8080/v1/chat/completions",
		"https://api.example.com:443/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
		"https://user@host.example/v1/messages",
	} {
		want, err := http.NewRequestWithContext(context.Background(), http.MethodPost, raw, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 { // parsed, then from the cache
			got, err := newHTTPRequest(context.Background(), http.MethodPost, raw, nil, true)
			if err != nil {
				t.Fatal(err)
			}
			if got.URL.String() != want.URL.String() || got.Host != want.Host || got.Method != want.Method || got.URL.Host != want.URL.Host {
				t.Fatalf("%s, round %d: %s %q %q, want %s %q %q", raw, i, got.Method, got.URL, got.Host, want.Method, want.URL, want.Host)
			}
			got.URL.Path, got.URL.RawQuery = "/changed", "x=1" // as a quirk may
		}
	}
	// The catalog's endpoints are kept; a page's URL and a usage endpoint's
	// are not (their queries change from call to call).
	c := newTestClient(t, ClientOptions{})
	e := &Entry{ID: "kept", Dialect: dialect.OpenAIChat, BaseURL: "https://api.example.com/v1", Auth: AuthBearer}
	for _, k := range []struct {
		call *Call
		kept bool
	}{
		{&Call{Entry: e, Op: OpGenerate, Model: "m", APIKey: testKey}, true},
		{&Call{Entry: e, Op: OpListModels, APIKey: testKey, query: url.Values{"pageToken": {"abc"}}}, false},
		{&Call{Entry: e, Op: OpUsage, APIKey: testKey, URL: "https://api.example.com/v1/usage"}, false},
	} {
		req, err := c.newRequest(context.Background(), k.call)
		if err != nil {
			t.Fatal(err)
		}
		if _, kept := parsedURLs.Load(req.URL.String()); kept != k.kept {
			t.Errorf("%s %s: kept %v, want %v", k.call.Op, req.URL, kept, k.kept)
		}
	}
	if _, err := newHTTPRequest(context.Background(), http.MethodPost, "http://[::1", nil, true); err == nil {
		t.Fatal("a malformed URL was accepted")
	}
}
