package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tidwall/gjson"

	"switchboard/backend/config"
	"switchboard/backend/dialect/kiro"
	"switchboard/backend/dialect/kiro/kirotest"
	"switchboard/backend/oauth/idpsim"
	"switchboard/backend/signin"
)

// kiroUpstream is a scripted Kiro (CodeWhisperer's generateAssistantResponse)
// answering in the AWS event stream: a plain answer, a get_weather call in
// input fragments, and the final answer once the tool result comes back. A
// token it was told is revoked gets the 403 AccessDeniedException Kiro
// sends for a token it no longer takes.
type kiroUpstream struct {
	srv     *httptest.Server
	mu      sync.Mutex
	revoked map[string]bool
	seen    []kiroCall
}

type kiroCall struct {
	token string
	body  []byte
}

const kiroCallID = "tooluse_kiro_weather_1"

func newKiroUpstream(t *testing.T) *kiroUpstream {
	u := &kiroUpstream{revoked: map[string]bool{}}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *kiroUpstream) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/getUsageLimits" { // the quota poller's call after a sign-in: not a generation
		http.NotFound(w, r)
		return
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	body, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	u.seen = append(u.seen, kiroCall{tok, body})
	revoked := u.revoked[tok]
	u.mu.Unlock()
	if revoked {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"__type":"com.amazon.coral.service#AccessDeniedException","message":"The bearer token included in the request is invalid."}`)
		return
	}
	cur := gjson.GetBytes(body, "conversationState.currentMessage.userInputMessage")
	var frames [][]byte
	switch {
	case cur.Get("userInputMessageContext.toolResults").Exists():
		for _, p := range finalParts() {
			frames = append(frames, kirotest.Text(p))
		}
	case cur.Get("userInputMessageContext.tools").Exists():
		frames = append(frames, kirotest.ToolUse(kiroCallID, toolName, `{"city":`, false),
			kirotest.ToolUse(kiroCallID, toolName, ` "Paris"}`, false), kirotest.ToolUse(kiroCallID, toolName, "", true))
	default:
		for _, p := range helloParts("kiro") {
			frames = append(frames, kirotest.Text(p))
		}
	}
	w.Header().Set("Content-Type", kiro.ContentType)
	for _, f := range append(frames, kirotest.Tail("2")) {
		_, _ = w.Write(f)
		w.(http.Flusher).Flush() // one message at a time, as Kiro streams them
	}
}

func (u *kiroUpstream) calls() []kiroCall {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]kiroCall(nil), u.seen...)
}

// kiroGateway is a gateway whose kiro provider goes to up and signs in at
// idp, with one Builder ID account signed in through the device flow.
func kiroGateway(t *testing.T, up *kiroUpstream, idp *idpsim.Server) *gateway {
	g := startGateway(t, gwOpts{edit: func(c *config.Config) {
		c.Providers = append(c.Providers, config.ProviderConfig{ID: "kiro", BaseURL: up.srv.URL, AllowLocal: true,
			SignIn: &config.SignInConfig{TokenURL: idp.URL() + "/token", DeviceURL: idp.URL() + "/device_authorization"}})
	}})
	idp.Set(func(s *idpsim.Server) { s.DeviceScript = []string{"ok"} })
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	f, err := g.in.SignIns.Start(ctx, signin.StartOptions{Provider: "kiro", Account: "builder"})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := g.in.SignIns.Wait(ctx, f.ID); err != nil || v.Status != signin.FlowDone {
		t.Fatalf("sign-in: %+v, %v", v, err)
	}
	return g
}

const kiroModel = "kr/claude-sonnet-4.5"

// TestKiroThroughEverySDK drives every official SDK through the gateway to
// the scripted Kiro upstream: a plain answer (non-streaming clients get the
// event stream aggregated), the same streamed, and a get_weather round trip
// both ways. The Kiro requests are checked for the account's token, the
// model, the tools on the current turn and the result paired with the call.
func TestKiroThroughEverySDK(t *testing.T) {
	up, idp := newKiroUpstream(t), idpsim.New(t)
	g := kiroGateway(t, up, idp)
	for _, cd := range allDialects {
		t.Run(clientName[cd], func(t *testing.T) {
			t.Parallel()
			for _, sc := range []string{"plain", "stream", "tool", "stream_tool"} {
				t.Run(sc, func(t *testing.T) {
					t.Parallel()
					runKiroCase(t, g, up, cd, sc)
				})
			}
		})
	}
}

func runKiroCase(t *testing.T, g *gateway, up *kiroUpstream, client, scenario string) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	marker := fmt.Sprintf("[kiro case %s/%s]", client, scenario)
	stream, withTool := strings.HasPrefix(scenario, "stream"), strings.HasSuffix(scenario, "tool")
	prompt := "Say hello. " + marker
	if withTool {
		prompt = "What is the weather in Paris? " + marker
	}
	cv := newConvo(g, client, kiroModel, prompt, withTool)
	first, err := cv.ask(ctx, stream)
	if err != nil {
		t.Fatalf("first turn: %v\nlast body:\n%s", err, shorten(cv.raw()))
	}
	checkAnswerModels(t, "first turn", client, cv.raw(), kiroModel)
	if !withTool {
		checkKiroTurn(t, first, helloText("kiro"), "stop")
		checkKiroRequests(t, up, marker, 1, false)
		return
	}
	if first.ToolName != toolName || sameJSON(first.ToolArgs, `{"city":"Paris"}`) != nil {
		t.Fatalf("tool call = %q(%s) (text %q)", first.ToolName, first.ToolArgs, first.Text)
	}
	if client != dGemini && first.ToolID != kiroCallID {
		t.Errorf("tool call id %q, want Kiro's %q", first.ToolID, kiroCallID)
	}
	wantFinish := "tool"
	if client == dGemini {
		wantFinish = "stop" // Gemini has no tool finish reason
	}
	checkKiroTurn(t, first, "", wantFinish)
	final, err := cv.answerTool(ctx, stream)
	if err != nil {
		t.Fatalf("final turn: %v\nlast body:\n%s", err, shorten(cv.raw()))
	}
	checkKiroTurn(t, final, finalText, "stop")
	checkKiroRequests(t, up, marker, 2, true)
}

func checkKiroTurn(t *testing.T, o outcome, text, finish string) {
	t.Helper()
	if o.Text != text {
		t.Errorf("text = %q, want %q", o.Text, text)
	}
	if o.Finish != finish {
		t.Errorf("finish = %q, want %s", o.Finish, finish)
	}
	// Kiro reports no token counts; the estimate from its context gauge
	// (2% of 200k) must reach the client.
	if !o.HasUsage || o.In <= 0 || o.Out <= 0 {
		t.Errorf("usage %d in / %d out (reported %v), want the estimate", o.In, o.Out, o.HasUsage)
	}
}

// checkKiroRequests checks the case's requests as Kiro got them.
func checkKiroRequests(t *testing.T, up *kiroUpstream, marker string, n int, withTool bool) {
	t.Helper()
	var mine []kiroCall
	for _, c := range up.calls() {
		if strings.Contains(string(c.body), marker) {
			mine = append(mine, c)
		}
	}
	if len(mine) != n {
		t.Fatalf("Kiro saw %d requests of this case, want %d", len(mine), n)
	}
	for i, c := range mine {
		st := gjson.GetBytes(c.body, "conversationState")
		cur := st.Get("currentMessage.userInputMessage")
		if !strings.HasPrefix(c.token, "aoa-") || cur.Get("modelId").String() != "claude-sonnet-4.5" ||
			cur.Get("origin").String() != "AI_EDITOR" || gjson.GetBytes(c.body, "profileArn").Exists() {
			t.Errorf("request %d: token %.8q…, current message %s", i, c.token, cur.Raw)
		}
		if withTool && cur.Get(`userInputMessageContext.tools.0.toolSpecification.name`).String() != toolName {
			t.Errorf("request %d has no %s tool: %s", i, toolName, cur.Raw)
		}
	}
	if !withTool {
		return
	}
	last := gjson.GetBytes(mine[1].body, "conversationState")
	res := last.Get("currentMessage.userInputMessage.userInputMessageContext.toolResults.0")
	hist := last.Get("history").Array()
	if len(hist) != 2 || res.Get("toolUseId").String() == "" ||
		res.Get("toolUseId").String() != hist[1].Get("assistantResponseMessage.toolUses.0.toolUseId").String() ||
		!strings.Contains(res.Get("content.0.text").String(), toolResult) {
		t.Errorf("final request: the result is not paired with the call:\n%s", last.Raw)
	}
}

// TestKiroRejectedTokenRefreshesAndRetries: Kiro refuses a token it no
// longer takes with 403; the gateway refreshes the sign-in once (AWS
// SSO-OIDC refresh with the account's client) and retries with the new
// token, and the client never sees the refusal.
func TestKiroRejectedTokenRefreshesAndRetries(t *testing.T) {
	up, idp := newKiroUpstream(t), idpsim.New(t)
	g := kiroGateway(t, up, idp)
	path, body := rawRequest(dAnthropic, kiroModel, false, "hi")
	if r := g.do("POST", path, body, nil); r.Status != 200 {
		t.Fatalf("first answer %d %s", r.Status, r.Body)
	}
	first := up.calls()[0].token
	up.mu.Lock()
	up.revoked[first] = true
	up.mu.Unlock()
	r := g.do("POST", path, body, nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), helloText("kiro")) {
		t.Fatalf("after the refusal: %d %s", r.Status, r.Body)
	}
	calls := up.calls()
	if len(calls) != 3 || calls[1].token != first || calls[2].token == first || !strings.HasPrefix(calls[2].token, "aoa-") {
		t.Fatalf("Kiro saw %d calls; want the old token, then one retry with a new one", len(calls))
	}
	var refreshes int
	idp.Set(func(s *idpsim.Server) { refreshes = s.RefreshCalls })
	if refreshes != 1 {
		t.Errorf("%d refreshes, want 1", refreshes)
	}
	if req := idp.LastRequest(); req.Params.Get("grantType") != "refresh_token" || req.Params.Get("clientId") == "" {
		t.Errorf("refresh request %v", req.Params)
	}
}
