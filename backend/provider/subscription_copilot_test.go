package provider

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/dialecttest"
)

// copilotEntry is the catalog's copilot entry pointed at the fake upstream,
// reached as routing reaches a model served on dialect d.
func copilotEntry(t *testing.T, base string, d dialect.Name) *Entry {
	t.Helper()
	e := signInEntry(t, "copilot", base)
	e.Dialect, e.AllowLocal = d, true
	return e
}

func pinRequestID(t *testing.T) {
	t.Helper()
	saved := copilotRequestID
	copilotRequestID = func() string { return "00000000-0000-4000-8000-000000000000" }
	t.Cleanup(func() { copilotRequestID = saved })
}

// The exact requests a Copilot seat receives: VS Code Copilot Chat's
// identity, who asked, images flagged; bodies unchanged; the seat's own
// API base (Call.BaseURL) and path per dialect.
func TestCopilotGoldens(t *testing.T) {
	pinRequestID(t)
	up := newUpstream(t, okJSON)
	c := newTestClient(t, ClientOptions{})
	tests := []struct {
		name   string
		d      dialect.Name
		stream bool
		body   string
	}{
		{"copilot_chat_user", dialect.OpenAIChat, true,
			`{"model":"gpt-4.1","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}],"stream":true,"stream_options":{"include_usage":true}}`},
		// The conversation ends in a tool result: the agent loop goes on.
		{"copilot_chat_agent_vision", dialect.OpenAIChat, false,
			`{"model":"claude-sonnet-4.6","messages":[{"role":"user","content":[{"type":"text","text":"What is in it?"},` +
				`{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},` +
				`{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"look","arguments":"{}"}}]},` +
				`{"role":"tool","tool_call_id":"c1","content":"a cat"}],"max_tokens":256}`},
		{"copilot_responses_user", dialect.Responses, true,
			`{"model":"gpt-5.3-codex","instructions":"Be brief.","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"}]}],"stream":true,"store":false}`},
		{"copilot_responses_agent", dialect.Responses, true,
			`{"model":"gpt-5.3-codex","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"ls"}]},` +
				`{"type":"function_call","call_id":"c1","name":"shell","arguments":"{}"},{"type":"function_call_output","call_id":"c1","output":"a.txt"}],"stream":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := copilotEntry(t, "https://api.githubcopilot.com", tt.d)
			resp, err := c.Send(context.Background(), &Call{Entry: e, APIKey: testToken, Op: OpGenerate, Model: "m",
				Stream: tt.stream, Body: []byte(tt.body), BaseURL: up.URL + "/seat", ClientUserAgent: "opencode/1.18.33"})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := up.last(t)
			if got.body != tt.body {
				t.Error("the body was changed on its way upstream")
			}
			dialecttest.Golden(t, filepath.Join("testdata", "subscription", tt.name+".golden"), rendered(t, got))
		})
	}
}

// Listing models carries the identity but no turn headers.
func TestCopilotModelListHeaders(t *testing.T) {
	pinRequestID(t)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		f, _ := os.Open(filepath.Join("testdata", "subscription", "copilot_models.json"))
		defer f.Close()
		_, _ = io.Copy(w, f)
	})
	c := newTestClient(t, ClientOptions{})
	models, err := c.DiscoverModels(context.Background(), copilotEntry(t, up.URL, dialect.OpenAIChat),
		Access{Token: testToken, BaseURL: up.URL + "/seat"})
	if err != nil {
		t.Fatal(err)
	}
	got := up.last(t)
	if got.method != http.MethodGet || got.path != "/seat/models" || got.header.Get("Authorization") != "Bearer "+testToken ||
		got.header.Get("Copilot-Integration-Id") != "vscode-chat" || got.header.Get("Editor-Version") != copilotEditorVersion ||
		got.header.Get("X-Initiator") != "" || got.header.Get("Openai-Intent") != "" {
		t.Errorf("models request %s %s %v", got.method, got.path, got.header)
	}
	if len(models) != 5 {
		t.Errorf("%d models: %+v", len(models), models)
	}
}

// What a seat's model list says: limits, capabilities, and the API each
// model is served on; models a request would fail on are left out.
func TestCopilotModels(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "subscription", "copilot_models.json"))
	if err != nil {
		t.Fatal(err)
	}
	got := copilotModels(gjson.ParseBytes(raw), dialect.OpenAIChat)
	want := []Model{
		{ID: "gpt-4.1", Name: "GPT-4.1", Context: 128000, MaxOutput: 16384, Vision: true},
		{ID: "gpt-5.3-codex", Name: "GPT-5.3-Codex", Context: 400000, MaxOutput: 128000, Vision: true, Reasoning: true, Dialect: dialect.Responses},
		// No window reported: prompt + output.
		{ID: "claude-sonnet-4.6", Name: "Claude Sonnet 4.6", Context: 200000, MaxOutput: 32000, Vision: true, Reasoning: true},
		// gemini-3.1-pro-preview: not enabled by the seat's policy.
		// claude-opus-4.6: served on /v1/messages only.
		{ID: "gpt-4o-mini-2024-07-18", Name: "GPT-4o mini", Context: 128000, MaxOutput: 4096},
		{ID: "text-embedding-3-small", Name: "Embedding V3 small", Embedding: true},
		// gpt-41-copilot: completions only.
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("models\n got %+v\nwant %+v", got, want)
	}
	// Seen from a Responses entry, the chat-only model is the one moved.
	for _, m := range copilotModels(gjson.ParseBytes(raw), dialect.Responses) {
		if (m.ID == "claude-sonnet-4.6") != (m.Dialect == dialect.OpenAIChat) {
			t.Errorf("from responses: %s dialect %q", m.ID, m.Dialect)
		}
	}
}

func TestCopilotTurn(t *testing.T) {
	for _, tc := range []struct {
		name          string
		d             dialect.Name
		body          string
		agent, vision bool
	}{
		{"chat user", dialect.OpenAIChat, `{"messages":[{"role":"user","content":"hi"}]}`, false, false},
		{"chat new question after a loop", dialect.OpenAIChat,
			`{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}`, false, false},
		{"chat tool result", dialect.OpenAIChat, `{"messages":[{"role":"user","content":"a"},{"role":"tool","content":"x"}]}`, true, false},
		{"chat assistant prefill", dialect.OpenAIChat, `{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}`, true, false},
		{"chat image early", dialect.OpenAIChat,
			`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]},{"role":"user","content":"and?"}]}`, false, true},
		{"responses string input", dialect.Responses, `{"input":"hi"}`, false, false},
		{"responses user item without type", dialect.Responses, `{"input":[{"role":"user","content":"hi"}]}`, false, false},
		{"responses function output", dialect.Responses, `{"input":[{"role":"user","content":"hi"},{"type":"function_call_output","call_id":"c","output":"o"}]}`, true, false},
		{"responses image", dialect.Responses, `{"input":[{"role":"user","content":[{"type":"input_image","image_url":"x"}]}]}`, false, true},
		{"chat image part in responses body is not one", dialect.Responses, `{"input":[{"role":"user","content":[{"type":"image_url"}]}]}`, false, false},
		{"empty", dialect.OpenAIChat, `{}`, false, false},
		{"not JSON", dialect.OpenAIChat, `{"messages":[`, false, false},
	} {
		agent, vision := copilotTurn(tc.d, []byte(tc.body))
		if agent != tc.agent || vision != tc.vision {
			t.Errorf("%s: agent %v vision %v, want %v %v", tc.name, agent, vision, tc.agent, tc.vision)
		}
	}
}

// A model served on another dialect than its entry's is only accepted
// under the same base URL and with quirks written for that dialect.
func TestModelDialectValidation(t *testing.T) {
	e := Entry{ID: "x", Name: "X", Prefix: "x", BaseURL: "https://x.example/v1", Dialect: dialect.OpenAIChat, Auth: AuthBearer, Tier: "api-key"}
	for _, tc := range []struct {
		quirks string
		d      dialect.Name
		ok     bool
	}{
		{"", dialect.Responses, true},
		{"", dialect.Anthropic, false},
		{"", "soap", false},
		{QuirksCopilot, dialect.Responses, true},
	} {
		x := e
		x.Quirks = tc.quirks
		if tc.quirks != "" {
			x.Auth, x.SignIn, x.RefreshLead, x.Tier = AuthOAuth, "github", 1, "subscription"
		}
		x.Models = []Model{{ID: "m", Name: "M", Context: 1, Dialect: tc.d}}
		if err := x.validate(); (err == nil) != tc.ok {
			t.Errorf("quirks %q model dialect %s: %v", tc.quirks, tc.d, err)
		}
	}
	if err := (Entry{ID: "x", Name: "X", Prefix: "x", BaseURL: "https://x.example", Dialect: dialect.Anthropic, Auth: AuthOAuth,
		SignIn: "claude", RefreshLead: 1, Tier: "subscription", Quirks: QuirksClaudeCode,
		Models: []Model{{ID: "m", Dialect: dialect.Gemini}}}).validate(); err == nil || !strings.Contains(err.Error(), "model \"m\"") {
		t.Errorf("claude-code quirks with a gemini model: %v", err)
	}
}

// `providers test` on a seat checks it where the seat answers: its own API
// base, with its access.
func TestCopilotProviderTestUsesTheSeatBase(t *testing.T) {
	up := newUpstream(t, okJSON)
	c := newTestClient(t, ClientOptions{})
	e := copilotEntry(t, "https://api.githubcopilot.com", dialect.OpenAIChat)
	if _, err := c.Test(context.Background(), e, Access{Token: testToken, BaseURL: up.URL + "/seat"}, false); err != nil {
		t.Fatal(err)
	}
	if got := up.last(t); got.path != "/seat/models" || got.header.Get("Authorization") != "Bearer "+testToken {
		t.Errorf("tested %s with %q", got.path, got.header.Get("Authorization"))
	}
}
