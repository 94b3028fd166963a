package core

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"switchboard/backend/config"
	"switchboard/backend/oauth/idpsim"
	"switchboard/backend/signin"
)

// copilotUpstream is a scripted Copilot API for one seat: it takes only
// Copilot tokens the scripted GitHub issued (and not refused since), wants
// VS Code Copilot Chat's identity headers, and answers Chat Completions,
// Responses and its model list.
type copilotUpstream struct {
	srv     *httptest.Server
	idp     *idpsim.Server
	mu      sync.Mutex
	refused map[string]bool
	calls   []copilotCall
	models  string // the model list answer
}

type copilotCall struct {
	path, token string
	header      http.Header
	body        string
}

const seatModelList = `{"object":"list","data":[
 {"id":"gpt-4.1","name":"GPT-4.1","capabilities":{"type":"chat","limits":{"max_context_window_tokens":128000,"max_output_tokens":16384},"supports":{"vision":true}},"policy":{"state":"enabled"},"supported_endpoints":["/chat/completions","/responses"]},
 {"id":"gpt-5.3-codex","name":"GPT-5.3-Codex","capabilities":{"type":"chat","limits":{"max_context_window_tokens":400000,"max_output_tokens":128000},"supports":{"vision":true,"reasoning_effort":["low","high"]}},"policy":{"state":"enabled"},"supported_endpoints":["/responses"]},
 {"id":"seat-only-model","name":"Seat Only","capabilities":{"type":"chat","limits":{"max_context_window_tokens":64000}},"supported_endpoints":["/chat/completions"]}]}`

func newCopilotUpstream(t *testing.T, idp *idpsim.Server) *copilotUpstream {
	u := &copilotUpstream{idp: idp, refused: map[string]bool{}, models: seatModelList}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *copilotUpstream) serve(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	b, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	u.calls = append(u.calls, copilotCall{r.URL.Path, tok, r.Header.Clone(), string(b)})
	ok := !u.refused[tok] && slices.Contains(u.idp.CopilotTokens(), tok)
	models := u.models
	u.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case !ok:
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"message":"unauthorized: token expired","code":"unauthorized"}}`)
	case r.Header.Get("Copilot-Integration-Id") != "vscode-chat" || !strings.HasPrefix(r.Header.Get("Editor-Version"), "vscode/"):
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"message":"missing Editor-Version / Copilot-Integration-Id"}}`)
	case r.Method == http.MethodGet && r.URL.Path == "/models":
		io.WriteString(w, models)
	case r.URL.Path == "/responses":
		io.WriteString(w, `{"id":"resp_1","object":"response","created_at":1,"model":"gpt-5.3-codex","status":"completed","output":[`+
			`{"id":"msg_1","type":"message","role":"assistant","status":"completed","content":[{"type":"output_text","text":"hello from responses","annotations":[]}]}],`+
			`"usage":{"input_tokens":5,"output_tokens":3,"total_tokens":8}}`)
	case r.URL.Path == "/chat/completions" && strings.Contains(string(b), `"stream":true`):
		w.Header().Set("Content-Type", "text/event-stream")
		for _, d := range []string{"hello ", "from ", "copilot"} {
			fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4.1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q}}]}\n\n", d)
		}
		io.WriteString(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4.1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":3,\"total_tokens\":6}}\n\ndata: [DONE]\n\n")
	case r.URL.Path == "/chat/completions":
		io.WriteString(w, `{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4.1","choices":[{"index":0,`+
			`"message":{"role":"assistant","content":"hello from copilot"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}}`)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// generations are the calls that were not model listings.
func (u *copilotUpstream) generations() []copilotCall {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []copilotCall
	for _, c := range u.calls {
		if c.path != "/models" {
			out = append(out, c)
		}
	}
	return out
}

// copilotInstance runs a gateway whose copilot provider signs in against
// the scripted GitHub and reaches the scripted Copilot API as its seat.
func copilotInstance(t *testing.T) (*Instance, *idpsim.Server, *copilotUpstream) {
	idp := idpsim.New(t)
	idp.Set(func(s *idpsim.Server) {
		s.FormAnswers, s.ExpiresIn, s.IDToken, s.DeviceScript = true, 0, "", []string{"ok"}
	})
	up := newCopilotUpstream(t, idp)
	idp.SetCopilot(idpsim.CopilotScript{API: up.srv.URL})
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	cfg.Providers = []config.ProviderConfig{{ID: "copilot", AllowLocal: true, SignIn: &config.SignInConfig{
		DeviceURL: idp.URL() + "/device/code", TokenURL: idp.URL() + "/token", ClientID: idp.ClientID, APIURL: idp.URL()}}}
	return startCfg(t, cfg), idp, up
}

func copilotDeviceSignIn(t *testing.T, m *signin.Manager) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := m.Start(ctx, signin.StartOptions{Provider: "copilot"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := m.Wait(ctx, f.ID)
	if err != nil || v.Status != signin.FlowDone || !f.Device {
		t.Fatalf("sign-in: %+v, %v", v, err)
	}
	return v.AccountID
}

func listModels(t *testing.T, in *Instance, key string) []string {
	req, _ := http.NewRequest("GET", "http://"+in.Server.Addr()+"/v1/models", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Data []struct{ ID string } `json:"data"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&list)
	var ids []string
	for _, m := range list.Data {
		if strings.HasPrefix(m.ID, "gh/") {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// TestCopilotSeatThroughTheGateway: an OpenAI SDK client reaches a Copilot
// seat signed in with the device flow. The upstream gets the Copilot token
// (not the GitHub one) with the editor headers, Codex models go to
// /responses, the seat's model list replaces the catalog's, and a Copilot
// token the upstream refuses is traded again once.
func TestCopilotSeatThroughTheGateway(t *testing.T) {
	in, idp, up := copilotInstance(t)
	key := localKey(t, in)
	copilotDeviceSignIn(t, in.SignIns)

	// The seat's models, listed after the sign-in, are what /v1/models shows.
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(listModels(t, in, key), "gh/seat-only-model") {
		if time.Now().After(deadline) {
			t.Fatalf("seat models never listed: %v", listModels(t, in, key))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := listModels(t, in, key); !slices.Equal(got, []string{"gh/gpt-4.1", "gh/gpt-5.3-codex", "gh/seat-only-model"}) {
		t.Errorf("models %v; want the seat's, not the catalog's", got)
	}

	client := openai.NewClient(option.WithBaseURL("http://"+in.Server.Addr()+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
	ctx := context.Background()
	chat, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gh/gpt-4.1",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	if err != nil || chat.Choices[0].Message.Content != "hello from copilot" {
		t.Fatalf("chat: %v %+v", err, chat)
	}
	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "gh/seat-only-model",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	var text strings.Builder
	for stream.Next() {
		if ch := stream.Current(); len(ch.Choices) > 0 {
			text.WriteString(ch.Choices[0].Delta.Content)
		}
	}
	if stream.Err() != nil || text.String() != "hello from copilot" {
		t.Fatalf("stream: %q %v", text.String(), stream.Err())
	}
	codex, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gh/gpt-5.3-codex",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	if err != nil || codex.Choices[0].Message.Content != "hello from responses" {
		t.Fatalf("codex model: %v %+v", err, codex)
	}

	calls := up.generations()
	if paths := []string{calls[0].path, calls[1].path, calls[2].path}; !slices.Equal(paths, []string{"/chat/completions", "/chat/completions", "/responses"}) {
		t.Errorf("upstream paths %v", paths)
	}
	issued := idp.CopilotTokens()
	for _, c := range calls {
		if !slices.Contains(issued, c.token) || c.header.Get("X-Initiator") != "user" ||
			!strings.HasPrefix(c.header.Get("User-Agent"), "GitHubCopilotChat/") {
			t.Errorf("%s: token issued %v, initiator %q, UA %q", c.path, slices.Contains(issued, c.token),
				c.header.Get("X-Initiator"), c.header.Get("User-Agent"))
		}
	}
	if !strings.Contains(calls[2].body, `"input"`) {
		t.Errorf("/responses got %s", calls[2].body)
	}

	// The upstream refuses the Copilot token: one exchange, one retry.
	first := calls[0].token
	up.mu.Lock()
	up.refused[first] = true
	up.mu.Unlock()
	exchanges := idp.CopilotCalls()
	if _, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gh/gpt-4.1",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("again")}}); err != nil {
		t.Fatalf("after a 401: %v", err)
	}
	calls = up.generations()
	last2 := calls[len(calls)-2:]
	if last2[0].token != first || last2[1].token == first || idp.CopilotCalls() != exchanges+1 {
		t.Errorf("401 then retry: same token twice %v, exchanges %d", last2[1].token == first, idp.CopilotCalls()-exchanges)
	}
}

// TestCopilotRevokedGitHubSignIn: GitHub stops accepting the sign-in; the
// next exchange marks the account as needing a new sign-in and the client
// is told so.
func TestCopilotRevokedGitHubSignIn(t *testing.T) {
	in, idp, up := copilotInstance(t)
	key := localKey(t, in)
	id := copilotDeviceSignIn(t, in.SignIns)
	ask := func() (int, string) {
		req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+"/v1/chat/completions",
			strings.NewReader(`{"model":"gh/gpt-4.1","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := ask(); code != 200 {
		t.Fatalf("first: %d %s", code, body)
	}
	idp.Set(func(s *idpsim.Server) { clear(s.AccessTokens) }) // the user revoked the app on GitHub
	up.mu.Lock()
	for _, tok := range idp.CopilotTokens() {
		up.refused[tok] = true
	}
	up.mu.Unlock()
	code, body := ask()
	if code == 200 || !strings.Contains(body, "sign in again") {
		t.Fatalf("after revocation: %d %s", code, body)
	}
	st, err := in.SignIns.StatusOf(context.Background(), id)
	if err != nil || st.TokenState != "needs_sign_in" || !strings.Contains(st.LastError, "revoked") {
		t.Errorf("status %+v, %v", st, err)
	}
}

// TestCopilotSeatModelsRefreshedDaily: a seat's list is kept for a day, then
// listed again; a list that cannot be had keeps the last one.
func TestCopilotSeatModelsRefreshedDaily(t *testing.T) {
	in, _, up := copilotInstance(t)
	key := localKey(t, in)
	id := copilotDeviceSignIn(t, in.SignIns)
	waitModels := func(want []string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !slices.Equal(listModels(t, in, key), want) {
			if time.Now().After(deadline) {
				t.Fatalf("models %v, want %v", listModels(t, in, key), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitModels([]string{"gh/gpt-4.1", "gh/gpt-5.3-codex", "gh/seat-only-model"})
	up.mu.Lock()
	up.models = `{"data":[{"id":"gpt-4.1","capabilities":{"type":"chat"}},{"id":"new-model","capabilities":{"type":"chat"}}]}`
	up.mu.Unlock()
	in.discoverSeatModels(context.Background()) // within the day: kept
	if got := listModels(t, in, key); !slices.Contains(got, "gh/seat-only-model") {
		t.Fatalf("a fresh list was fetched again: %v", got)
	}
	age := func() {
		in.seats.mu.Lock()
		l := in.seats.byAccount[id]
		l.at = l.at.Add(-SeatModelsRefresh - time.Minute)
		in.seats.byAccount[id] = l
		in.seats.mu.Unlock()
	}
	age()
	in.discoverSeatModels(context.Background())
	waitModels([]string{"gh/gpt-4.1", "gh/new-model"})
	up.mu.Lock()
	up.models = "not json"
	up.mu.Unlock()
	age()
	in.discoverSeatModels(context.Background())
	waitModels([]string{"gh/gpt-4.1", "gh/new-model"})
}

// TestCopilotUsagePolled: the seat's quota snapshots are read from GitHub's
// API with the GitHub sign-in's own token; unlimited snapshots are no
// windows, and a revoked sign-in fails the poll.
func TestCopilotUsagePolled(t *testing.T) {
	in, idp, up := copilotInstance(t)
	idp.SetCopilot(idpsim.CopilotScript{API: up.srv.URL, Usage: `{"copilot_plan":"individual","quota_reset_date":"2099-12-01",
		"quota_snapshots":{"premium_interactions":{"entitlement":300,"remaining":120,"percent_remaining":40,"unlimited":false},
		"chat":{"entitlement":0,"remaining":0,"percent_remaining":100,"unlimited":true},
		"completions":{"entitlement":0,"remaining":0,"percent_remaining":100,"unlimited":true}}}`})
	id := copilotDeviceSignIn(t, in.SignIns)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.Quota.Refresh(ctx, id); err != nil {
		t.Fatal(err)
	}
	v, _ := in.Quota.Account(id)
	if !v.Polled || len(v.Windows) != 1 {
		t.Fatalf("%+v", v)
	}
	w := v.Windows[0]
	if w.Name != "premium" || w.Label != "Premium requests" || w.Percent != 60 || *w.Remaining != 120 || *w.Limit != 300 ||
		!w.Plan || !w.ResetAt.Equal(time.Date(2099, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v", w)
	}
	h := idp.LastUsage()
	tok, ok := strings.CutPrefix(h.Get("Authorization"), "token ")
	if !ok || slices.Contains(idp.CopilotTokens(), tok) || !strings.HasPrefix(h.Get("Editor-Version"), "vscode/") {
		t.Fatalf("usage asked with %v", h)
	}
	idp.Set(func(s *idpsim.Server) { clear(s.AccessTokens) })
	if err := in.Quota.Refresh(ctx, id); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("revoked: %v", err)
	}
}
