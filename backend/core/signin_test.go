package core

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/oauth/idpsim"
	"switchboard/backend/signin"
	"switchboard/backend/store"
)

// claudeUpstream is a scripted Anthropic Messages endpoint for sign-in
// traffic: it answers 401 to tokens it was told are revoked and records
// the bearer token of every call.
type claudeUpstream struct {
	srv       *httptest.Server
	mu        sync.Mutex
	revoked   map[string]bool
	rejectAll bool
	seen      []string
}

func newClaudeUpstream(t testing.TB) *claudeUpstream {
	u := &claudeUpstream{revoked: map[string]bool{}}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/oauth/usage" { // the quota poller, not a request
			_, _ = io.WriteString(w, `{"five_hour":{"utilization":10},"seven_day":{"utilization":5}}`)
			return
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		_, _ = io.Copy(io.Discard, r.Body)
		u.mu.Lock()
		u.seen = append(u.seen, tok)
		bad := u.revoked[tok] || u.rejectAll || r.Header.Get("X-Api-Key") != ""
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if bad {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"type":"error","error":{"type":"authentication_error","message":"OAuth token has been revoked"}}`)
			return
		}
		_, _ = io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}`)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *claudeUpstream) tokens() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.seen...)
}

// signInConfig routes the claude subscription to the scripted upstream and
// signs in against the scripted identity server.
func signInConfig(dir string, idpURL, clientID, upURL string) config.Config {
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", dir
	empty, port := "", 0
	cfg.Providers = []config.ProviderConfig{{ID: "claude", BaseURL: upURL, AllowLocal: true,
		SignIn: &config.SignInConfig{AuthURL: idpURL + "/authorize", TokenURL: idpURL + "/token", ClientID: clientID,
			ManualRedirectURL: &empty, RedirectPort: &port}}}
	return cfg
}

func anthropicIDP(t testing.TB) *idpsim.Server {
	idp := idpsim.New(t)
	idp.Set(func(s *idpsim.Server) {
		s.RequireJSON, s.RequireState, s.AnthropicBody, s.Rotate = true, true, true, true
	})
	return idp
}

func startCfg(t testing.TB, cfg config.Config) *Instance {
	t.Helper()
	in, err := Start(context.Background(), cfg, Options{Mode: "headless", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(in) })
	return in
}

func stop(in *Instance) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = in.Shutdown(ctx)
}

// signInVia runs a browser sign-in on the instance's manager.
func signInVia(t testing.TB, m *signin.Manager) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := m.Start(ctx, signin.StartOptions{Provider: "claude", Account: "max"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	v, err := m.Wait(ctx, f.ID)
	if err != nil || v.Status != signin.FlowDone {
		t.Fatalf("sign-in: %+v, %v", v, err)
	}
	return v.AccountID
}

// ask sends one Messages request for the subscription model.
func ask(t testing.TB, in *Instance, key string) (int, string) {
	code, body, err := askAddr(in.Server.Addr(), key)
	if err != nil {
		t.Error(err)
	}
	return code, body
}

func askAddr(addr, key string) (int, string, error) {
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages",
		strings.NewReader(`{"model":"cc/claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("X-Api-Key", key)
	req.Header.Set("Anthropic-Version", "2023-06-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func localKey(t testing.TB, in *Instance) string {
	ck, err := in.Services.CreateKey(context.Background(), "t", "cli")
	if err != nil {
		t.Fatal(err)
	}
	return ck.Secret
}

func refreshCalls(idp *idpsim.Server) (n int) {
	idp.Set(func(s *idpsim.Server) { n = s.RefreshCalls })
	return n
}

func TestSignedInAccountAnswersWithItsToken(t *testing.T) {
	idp, up := anthropicIDP(t), newClaudeUpstream(t)
	in := startCfg(t, signInConfig(t.TempDir(), idp.URL(), idp.ClientID, up.srv.URL))
	key := localKey(t, in)
	signInVia(t, in.SignIns)
	if code, body := ask(t, in, key); code != 200 {
		t.Fatalf("answer %d %s", code, body)
	}
	seen := up.tokens()
	if len(seen) != 1 || !strings.HasPrefix(seen[0], "at-") {
		t.Fatalf("upstream saw %q; want the account's access token", seen)
	}
	views := in.Services.Providers()
	var email, kind string
	for _, p := range views {
		for _, a := range p.Accounts {
			if p.ID == "claude" {
				email, kind = a.Email, a.Kind
			}
		}
	}
	if email != "max@example.com" || kind != "signin" {
		t.Errorf("providers view: email %q kind %q", email, kind)
	}
}

func TestUpstream401RefreshesAndRetriesOnce(t *testing.T) {
	idp, up := anthropicIDP(t), newClaudeUpstream(t)
	in := startCfg(t, signInConfig(t.TempDir(), idp.URL(), idp.ClientID, up.srv.URL))
	key := localKey(t, in)
	signInVia(t, in.SignIns)
	ask(t, in, key)
	first := up.tokens()[0]
	up.mu.Lock()
	up.revoked[first] = true // revoked early at the vendor
	up.mu.Unlock()
	if code, body := ask(t, in, key); code != 200 {
		t.Fatalf("after a 401: %d %s", code, body)
	}
	seen := up.tokens()
	if len(seen) != 3 || seen[1] != first || seen[2] == first {
		t.Fatalf("upstream saw %d calls; want old token, then one retry with a new one", len(seen))
	}
	if n := refreshCalls(idp); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
	// A token the upstream keeps refusing is retried once only.
	up.mu.Lock()
	up.rejectAll = true
	up.mu.Unlock()
	code, _ := ask(t, in, key)
	if code == 200 || len(up.tokens()) != 5 {
		t.Fatalf("answer %d after %d upstream calls; want a failure after exactly 2 more", code, len(up.tokens())-3)
	}
}

// expireStored marks every stored sign-in's access token expired.
func expireStored(t testing.TB, dir string) {
	db, err := store.Open(context.Background(), dir+"/switchboard.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE signins SET expires_at = 1000`); err != nil {
		t.Fatal(err)
	}
}

func TestFiftyConcurrentRequestsAtExpiryRefreshOnce(t *testing.T) {
	idp, up := anthropicIDP(t), newClaudeUpstream(t)
	dir := t.TempDir()
	cfg := signInConfig(dir, idp.URL(), idp.ClientID, up.srv.URL)
	in := startCfg(t, cfg)
	key := localKey(t, in)
	signInVia(t, in.SignIns)
	stop(in)
	expireStored(t, dir)
	idp.Set(func(s *idpsim.Server) { s.RefreshDelay = 300 * time.Millisecond })
	in = startCfg(t, cfg)
	var wg sync.WaitGroup
	codes := make([]int, 50)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = ask(t, in, key)
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Fatalf("request %d: %d", i, c)
		}
	}
	if n := refreshCalls(idp); n != 1 {
		t.Fatalf("%d refreshes for 50 concurrent requests at expiry, want 1", n)
	}
	seen := up.tokens()
	for _, tok := range seen {
		if tok != seen[0] {
			t.Fatal("requests used different tokens")
		}
	}
}

func TestRefusedRefreshNeedsSignInAndFiresOnce(t *testing.T) {
	idp, up := anthropicIDP(t), newClaudeUpstream(t)
	dir := t.TempDir()
	cfg := signInConfig(dir, idp.URL(), idp.ClientID, up.srv.URL)
	in := startCfg(t, cfg)
	key := localKey(t, in)
	signInVia(t, in.SignIns)
	stop(in)
	expireStored(t, dir)
	idp.Set(func(s *idpsim.Server) { clear(s.RefreshTokens) })
	in = startCfg(t, cfg)
	sub := in.Bus.Subscribe(64)
	defer sub.Close()
	for range 3 {
		if code, body := ask(t, in, key); code == 200 || !strings.Contains(body, "sign in again") {
			t.Fatalf("answer %d %s; want an error telling the user to sign in again", code, body)
		}
	}
	// The refused refresh may be the scheduler's, at start-up, before this
	// subscription existed: the bus may show it once or not at all, and
	// the event rows (one per publish) say how many there were.
	fired := 0
	for drained := false; !drained; {
		select {
		case e := <-sub.C:
			if e.Kind == "oauth_refresh_failed" {
				fired++
			}
		case <-time.After(300 * time.Millisecond):
			drained = true
		}
	}
	if fired > 1 {
		t.Fatalf("oauth_refresh_failed published %d times, want once", fired)
	}
	refusals := func() int {
		rows, _ := in.Services.Events(context.Background(), 50)
		n := 0
		for _, r := range rows {
			if r.Kind == "oauth_refresh_failed" {
				n++
			}
		}
		return n
	}
	n := refusals()
	for deadline := time.Now().Add(5 * time.Second); n == 0 && time.Now().Before(deadline); n = refusals() {
		time.Sleep(20 * time.Millisecond)
	}
	if n != 1 {
		t.Errorf("%d oauth_refresh_failed event rows, want 1", n)
	}
	for _, p := range in.Services.Providers() {
		for _, a := range p.Accounts {
			if p.ID == "claude" && (a.State != "needs_sign_in" || a.TokenState != "needs_sign_in") {
				t.Errorf("account state %q token %q", a.State, a.TokenState)
			}
		}
	}
}

// TestRotatedRefreshTokenSurvivesKill: a refresh rotates the refresh token;
// the process is killed with SIGKILL right after the answer that used the
// new access token; the next start refreshes with the rotated token (the
// identity server has retired the old one, so the old would fail).
func TestRotatedRefreshTokenSurvivesKill(t *testing.T) {
	if spec := os.Getenv("SB_CORE_SIGNIN_CHILD"); spec != "" {
		signinChild(spec) // never returns: the parent kills it
	}
	idp, up := anthropicIDP(t), newClaudeUpstream(t)
	dir := t.TempDir()
	cfg := signInConfig(dir, idp.URL(), idp.ClientID, up.srv.URL)
	in := startCfg(t, cfg)
	key := localKey(t, in)
	id := signInVia(t, in.SignIns)
	stop(in)
	expireStored(t, dir)

	cmd := exec.Command(os.Args[0], "-test.run=^TestRotatedRefreshTokenSurvivesKill$")
	cmd.Env = append(os.Environ(), "SB_CORE_SIGNIN_CHILD="+strings.Join([]string{dir, idp.URL(), idp.ClientID, up.srv.URL, key}, "|"),
		"SWITCHBOARD_KEYRING=off")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	answered := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "answered") {
				answered <- l
			}
		}
		close(answered)
	}()
	select {
	case l := <-answered:
		if l != "answered 200" {
			t.Fatalf("child: %s", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the child never answered")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, nothing flushed
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if n := refreshCalls(idp); n != 1 {
		t.Fatalf("child refreshed %d times, want 1", n)
	}
	expireStored(t, dir)
	in = startCfg(t, cfg)
	if err := in.SignIns.Refresh(context.Background(), id); err != nil {
		t.Fatalf("refresh after the kill: %v (the rotated refresh token was lost)", err)
	}
	if code, body := ask(t, in, key); code != 200 {
		t.Fatalf("after restart: %d %s", code, body)
	}
}

// signinChild serves over dir, answers one request (which refreshes the
// expired token), prints "answered" and waits to be killed.
func signinChild(spec string) {
	p := strings.Split(spec, "|")
	cfg := signInConfig(p[0], p[1], p[2], p[3])
	in, err := Start(context.Background(), cfg, Options{Mode: "headless", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println("start:", err)
		os.Exit(2)
	}
	code, _, _ := askAddr(in.Server.Addr(), p[4])
	fmt.Println("answered", code)
	select {}
}

func TestSuggestedComboPutsSubscriptionsFirst(t *testing.T) {
	idp, up := anthropicIDP(t), newClaudeUpstream(t)
	cfg := signInConfig(t.TempDir(), idp.URL(), idp.ClientID, up.srv.URL)
	// An API-key provider declared first in the file still comes after the
	// subscription.
	cfg.Providers = append([]config.ProviderConfig{{ID: "openai", Accounts: []config.AccountConfig{{Name: "k", APIKey: "sk-test-0123456789"}}}},
		cfg.Providers...)
	in := startCfg(t, cfg)
	before := in.Services.SuggestedCombo()
	if len(before.Targets) != 1 || before.Targets[0].Model != "openai/gpt-5" {
		t.Fatalf("before sign-in: %+v", before.Targets)
	}
	signInVia(t, in.SignIns)
	got := in.Services.SuggestedCombo()
	if got.Name != "coding" || got.Strategy != "priority" || len(got.Targets) != 2 ||
		got.Targets[0].Model != "cc/claude-opus-4-5" || got.Targets[1].Model != "openai/gpt-5" {
		t.Fatalf("suggested = %+v", got)
	}
	if err := in.Services.SaveCombo(context.Background(), got); err != nil {
		t.Fatalf("the suggestion does not save: %v", err)
	}
	if again := in.Services.SuggestedCombo(); again.Name != "coding-2" {
		t.Errorf("a second suggestion is named %q", again.Name)
	}
}

// TestCodexSubscriptionAggregatesForJSONClients: a non-streaming Chat
// client reaches the ChatGPT (Codex) sign-in; the upstream only streams
// Responses events; the client gets one JSON answer, and the upstream got
// the account id header, store:false and stream:true.
func TestCodexSubscriptionAggregatesForJSONClients(t *testing.T) {
	idp := idpsim.New(t) // OpenAI-shaped: an id_token carrying the ChatGPT account
	var mu sync.Mutex
	var gotHeader http.Header
	var gotBody string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/responses" { // the quota poller's usage call after the sign-in
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		gotHeader, gotBody = r.Header.Clone(), string(b)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		for _, ev := range []string{
			`{"type":"response.created","response":{"id":"resp_1","object":"response","model":"gpt-5.1-codex","status":"in_progress","output":[]}}`,
			`{"type":"response.output_item.added","output_index":0,"item":{"id":"msg_1","type":"message","role":"assistant","status":"in_progress","content":[]}}`,
			`{"type":"response.content_part.added","item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":""}}`,
			`{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"hello from codex"}`,
			`{"type":"response.output_text.done","item_id":"msg_1","output_index":0,"content_index":0,"text":"hello from codex"}`,
			`{"type":"response.output_item.done","output_index":0,"item":{"id":"msg_1","type":"message","role":"assistant","status":"completed","content":[{"type":"output_text","text":"hello from codex"}]}}`,
			`{"type":"response.completed","response":{"id":"resp_1","object":"response","model":"gpt-5.1-codex","status":"completed","output":[{"id":"msg_1","type":"message","role":"assistant","status":"completed","content":[{"type":"output_text","text":"hello from codex"}]}],"usage":{"input_tokens":5,"output_tokens":3,"total_tokens":8}}}`,
		} {
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", strings.Split(strings.Split(ev, `"type":"`)[1], `"`)[0], ev)
		}
	}))
	defer up.Close()
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	empty, port := "", 0
	cfg.Providers = []config.ProviderConfig{{ID: "codex", BaseURL: up.URL, AllowLocal: true,
		SignIn: &config.SignInConfig{AuthURL: idp.URL() + "/authorize", TokenURL: idp.URL() + "/token", ClientID: idp.ClientID,
			ManualRedirectURL: &empty, RedirectPort: &port}}}
	in := startCfg(t, cfg)
	key := localKey(t, in)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := in.SignIns.Start(ctx, signin.StartOptions{Provider: "codex"})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(f.URL); err == nil {
		resp.Body.Close()
	}
	if v, _ := in.SignIns.Wait(ctx, f.ID); v.Status != signin.FlowDone || v.Email != "ada@example.com" {
		t.Fatalf("sign-in: %+v", v)
	}
	req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+"/v1/chat/completions",
		strings.NewReader(`{"model":"cx/gpt-5.1-codex","temperature":0.2,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"content":"hello from codex"`) || !strings.Contains(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("answer %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	mu.Lock()
	defer mu.Unlock()
	if gotHeader.Get("Chatgpt-Account-Id") != "acct-42" || !strings.HasPrefix(gotHeader.Get("Authorization"), "Bearer at-") {
		t.Errorf("upstream headers: account %q auth %q", gotHeader.Get("Chatgpt-Account-Id"), gotHeader.Get("Authorization"))
	}
	for _, want := range []string{`"store":false`, `"stream":true`, `"instructions":"be brief"`} {
		if !strings.Contains(gotBody, want) {
			t.Errorf("upstream body lacks %s: %s", want, gotBody)
		}
	}
	if strings.Contains(gotBody, "temperature") {
		t.Errorf("upstream body kept temperature: %s", gotBody)
	}
}

// followFilesOnly sets the poll for other processes' changes past the
// test's end, so only the database's file events (store.Changes, Linux)
// can bring them; elsewhere the test skips (what names what is polled).
func followFilesOnly(t *testing.T, what string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("SKIP: file events are used on Linux only; elsewhere " + what + " every SignInSyncInterval")
	}
	old := SignInSyncInterval
	SignInSyncInterval = time.Hour
	t.Cleanup(func() { SignInSyncInterval = old })
}

// A sign-in made by another process (`switchboard login` in a terminal)
// serves the running instance's requests as soon as it is stored: on
// Linux the instance follows the database's files (store.Changes) and
// does not poll, so the poll is set past the test's end here.
func TestSignInFromAnotherProcessAdoptedAtOnce(t *testing.T) {
	followFilesOnly(t, "sign-ins are polled")
	idp, up := anthropicIDP(t), newClaudeUpstream(t)
	cfg := signInConfig(t.TempDir(), idp.URL(), idp.ClientID, up.srv.URL)
	in := startCfg(t, cfg)
	key := localKey(t, in)
	if code, _ := ask(t, in, key); code == 200 {
		t.Fatal("answered before any sign-in")
	}
	cli, err := Open(context.Background(), cfg, Options{Mode: "cli", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	signInVia(t, cli.SignIns)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := ask(t, in, key)
		if code == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sign-in stored by another process was not adopted: %d %s", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A key revoked by another process (`switchboard keys revoke`) stops
// working here as soon as the database changes, with the poll set past
// the test's end (Linux: store.Changes follows the files).
func TestKeyRevokedByAnotherProcessRefusedAtOnce(t *testing.T) {
	followFilesOnly(t, "keys are read again")
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	in := startCfg(t, cfg)
	key := localKey(t, in)
	if code, _, _ := askAddr(in.Server.Addr(), key); code == 401 {
		t.Fatal("new key refused")
	}
	cli, err := Open(context.Background(), cfg, Options{Mode: "cli", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if err := cli.Keys.Revoke(context.Background(), "t"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for code, _, _ := askAddr(in.Server.Addr(), key); code != 401; code, _, _ = askAddr(in.Server.Addr(), key) {
		if time.Now().After(deadline) {
			t.Fatalf("a key revoked by another process still answers %d", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
