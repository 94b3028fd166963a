package core

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/oauth/idpsim"
	"switchboard/backend/signin"
)

// seenCall is one request a scripted upstream received.
type seenCall struct {
	path, token string
	header      http.Header
}

// tokenUpstream is a scripted upstream for sign-in traffic: it answers 401
// to tokens it was told are revoked and answer otherwise.
type tokenUpstream struct {
	srv     *httptest.Server
	mu      sync.Mutex
	revoked map[string]bool
	seen    []seenCall
}

func newTokenUpstream(t testing.TB, answer string) *tokenUpstream {
	u := &tokenUpstream{revoked: map[string]bool{}}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		u.mu.Lock()
		u.seen = append(u.seen, seenCall{r.URL.Path, tok, r.Header.Clone()})
		bad := u.revoked[tok] || !strings.HasPrefix(tok, "at-")
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if bad {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"message":"invalid access token or token expired","type":"authentication_error"}}`)
			return
		}
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *tokenUpstream) calls() []seenCall {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seenCall(nil), u.seen...)
}

func (u *tokenUpstream) revoke(tok string) {
	u.mu.Lock()
	u.revoked[tok] = true
	u.mu.Unlock()
}

const (
	anthropicAnswer = `{"id":"msg_1","type":"message","role":"assistant","model":"kimi-for-coding","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}`
	chatAnswer      = `{"id":"c1","object":"chat.completion","created":1,"model":"coder-model","choices":[{"index":0,"message":{"role":"assistant","content":"hello from qwen"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`
)

// deviceConfig routes one device-code subscription to base and signs in
// against the scripted identity server.
func deviceConfig(dir, providerID, base string, idp *idpsim.Server) config.Config {
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", dir
	cfg.Providers = []config.ProviderConfig{{ID: providerID, BaseURL: base, AllowLocal: true,
		SignIn: &config.SignInConfig{DeviceURL: idp.URL() + "/device/code", TokenURL: idp.URL() + "/token", ClientID: idp.ClientID}}}
	return cfg
}

// deviceSignInVia runs a device sign-in on the instance's manager: the
// flow shows the code, the (scripted) user approves, the account is stored.
func deviceSignInVia(t testing.TB, m *signin.Manager, providerID string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := m.Start(ctx, signin.StartOptions{Provider: providerID})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Device || f.UserCode != "WDJB-MJHT" {
		t.Fatalf("flow view %+v: want a device sign-in showing the code", f)
	}
	v, err := m.Wait(ctx, f.ID)
	if err != nil || v.Status != signin.FlowDone {
		t.Fatalf("sign-in: %+v, %v", v, err)
	}
	return v.AccountID
}

// post sends one request with the local key and returns status and body.
func post(t testing.TB, in *Instance, key, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Anthropic-Version", "2023-06-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestKimiCodingSignInEndToEnd: a Kimi Code membership signed in with the
// device flow answers Anthropic requests with its token and kimi-cli's
// identity; a token the upstream refuses is refreshed once and retried,
// the refresh carrying the device headers too.
func TestKimiCodingSignInEndToEnd(t *testing.T) {
	idp := idpsim.New(t)
	idp.Set(func(s *idpsim.Server) { s.DeviceScript, s.Rotate = []string{"authorization_pending", "ok"}, true })
	up := newTokenUpstream(t, anthropicAnswer)
	in := startCfg(t, deviceConfig(t.TempDir(), "kimi-coding", up.srv.URL, idp))
	key := localKey(t, in)
	deviceSignInVia(t, in.SignIns, "kimi-coding")
	const ask = `{"model":"kmc/kimi-for-coding","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`
	if code, body := post(t, in, key, "/v1/messages", ask); code != 200 || !strings.Contains(body, `"text":"hi"`) {
		t.Fatalf("answer %d %s", code, body)
	}
	first := up.calls()[0]
	if first.path != "/v1/messages" || first.header.Get("User-Agent") != "KimiCLI/1.49.0" ||
		first.header.Get("X-Msh-Platform") != "kimi_cli" || first.header.Get("X-Msh-Device-Id") == "" ||
		first.header.Get("Anthropic-Version") != "2023-06-01" || first.header.Get("X-Api-Key") != "" {
		t.Errorf("upstream call %s %v", first.path, first.header)
	}
	up.revoke(first.token)
	if code, body := post(t, in, key, "/v1/messages", ask); code != 200 {
		t.Fatalf("after a 401: %d %s", code, body)
	}
	calls := up.calls()
	if len(calls) != 3 || calls[1].token != first.token || calls[2].token == first.token || !strings.HasPrefix(calls[2].token, "at-") {
		t.Fatalf("upstream saw %d calls; want the old token, then one retry with a new one", len(calls))
	}
	if n := refreshCalls(idp); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
	if last := idp.LastRequest(); last.Params.Get("grant_type") != "refresh_token" || last.Header.Get("X-Msh-Platform") != "kimi_cli" {
		t.Errorf("refresh %v without kimi-cli's device headers: %v", last.Params.Get("grant_type"), last.Header)
	}
}

// TestQwenCodeSignInEndToEnd: a Qwen Code sign-in's requests go to the API
// base its token answer named (resource_url), never to the provider's own
// base; after a 401 the refresh names another host and the retry goes
// there with the new token.
func TestQwenCodeSignInEndToEnd(t *testing.T) {
	decoy := newTokenUpstream(t, chatAnswer) // the provider's configured base
	named := newTokenUpstream(t, chatAnswer) // the sign-in's resource_url
	moved := newTokenUpstream(t, chatAnswer) // the refresh's resource_url
	idp := idpsim.New(t)
	idp.Set(func(s *idpsim.Server) {
		s.DeviceScript, s.Rotate, s.ResourceURL = []string{"ok"}, true, named.srv.URL
	})
	in := startCfg(t, deviceConfig(t.TempDir(), "qwen-code", decoy.srv.URL+"/v1", idp))
	key := localKey(t, in)
	deviceSignInVia(t, in.SignIns, "qwen-code")
	const ask = `{"model":"qw/coder-model","messages":[{"role":"user","content":"hi"}]}`
	if code, body := post(t, in, key, "/v1/chat/completions", ask); code != 200 || !strings.Contains(body, "hello from qwen") {
		t.Fatalf("answer %d %s", code, body)
	}
	calls := named.calls()
	if len(calls) != 1 || calls[0].path != "/v1/chat/completions" || calls[0].header.Get("X-Dashscope-Authtype") != "qwen-oauth" ||
		!strings.HasPrefix(calls[0].header.Get("User-Agent"), "QwenCode/") {
		t.Fatalf("the resource_url upstream saw %+v", calls)
	}
	first := calls[0].token
	named.revoke(first)
	idp.Set(func(s *idpsim.Server) { s.ResourceURL = moved.srv.URL })
	if code, body := post(t, in, key, "/v1/chat/completions", ask); code != 200 {
		t.Fatalf("after a 401: %d %s", code, body)
	}
	if calls := named.calls(); len(calls) != 2 || calls[1].token != first {
		t.Errorf("the old host saw %d calls; want the refused one only", len(calls))
	}
	if calls := moved.calls(); len(calls) != 1 || calls[0].token == first || calls[0].path != "/v1/chat/completions" {
		t.Errorf("the retry: %+v; want one call with the new token at the refreshed host", calls)
	}
	if n := len(decoy.calls()); n != 0 {
		t.Errorf("the provider's own base got %d calls; the sign-in named another", n)
	}
	if n := refreshCalls(idp); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
}
