package signin

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/oauth/idpsim"
	"switchboard/backend/route"
)

// newDeviceRig is a rig whose identity server answers device-code sign-ins
// the RFC way (form posts, an id_token naming ada@example.com), with the
// device-flow subscriptions (qwen-code, kimi-coding) pointed at it.
func newDeviceRig(t *testing.T) *rig {
	t.Helper()
	r := newRig(t)
	r.idp.Set(func(s *idpsim.Server) { s.RequireJSON, s.RequireState, s.AnthropicBody = false, false, false })
	r.m.Close()
	r.m = r.deviceManager()
	return r
}

// deviceManager is a Manager on the rig's database (a restart builds
// another) with the device-flow subscriptions pointed at the rig's idp.
func (r *rig) deviceManager() *Manager {
	signIn := func() *config.SignInConfig {
		return &config.SignInConfig{DeviceURL: r.idp.URL() + "/device/code", TokenURL: r.idp.URL() + "/token", ClientID: r.idp.ClientID}
	}
	m := New(Options{DB: r.db, Sealer: r.sealer, Log: slog.New(slog.DiscardHandler), Now: r.clock.now,
		Providers:   []config.ProviderConfig{{ID: "qwen-code", SignIn: signIn()}, {ID: "kimi-coding", SignIn: signIn()}},
		OnSignedIn:  func(context.Context, string) { r.ins.Add(1) },
		OnSignedOut: func(c route.Change) { r.outs.Add(1); r.lastOut.Store(c) },
		ImportEnv:   &ImportEnv{Home: nowhere, GOOS: "linux", Getenv: func(string) string { return "" }},
	})
	r.t.Cleanup(m.Close)
	return m
}

// deviceSignIn runs a device sign-in to the end and returns its last view.
func (r *rig) deviceSignIn(providerID string) FlowView {
	r.t.Helper()
	ctx := ctxT(r.t)
	f, err := r.m.Start(ctx, StartOptions{Provider: providerID})
	if err != nil {
		r.t.Fatal(err)
	}
	v, err := r.m.Wait(ctx, f.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

// stored counts what a sign-in leaves behind.
func (r *rig) stored() int {
	return r.count(`SELECT count(*) FROM accounts`) + r.count(`SELECT count(*) FROM signins`)
}

// TestDeviceSignInThroughManager: Start shows the code and the page to
// enter it on; the flow polls through authorization_pending and a slow_down
// (answered 429, as Qwen's server does, and honoured: 5 s more between
// polls) to the token, with the PKCE verifier the challenge promised.
func TestDeviceSignInThroughManager(t *testing.T) {
	t.Parallel()
	r := newDeviceRig(t)
	r.idp.Set(func(s *idpsim.Server) {
		s.DeviceScript = []string{"authorization_pending", "slow_down", "ok"}
		s.SlowDownStatus = http.StatusTooManyRequests
	})
	ctx := ctxT(t)
	start := time.Now()
	f, err := r.m.Start(ctx, StartOptions{Provider: "qwen-code", Account: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Device || f.UserCode != "WDJB-MJHT" || f.URL != r.idp.URL()+"/device?user_code=WDJB-MJHT" ||
		f.ManualURL != "" || f.Status != FlowPending {
		t.Fatalf("flow view %+v", f)
	}
	v, err := r.m.Wait(ctx, f.ID)
	if err != nil || v.Status != FlowDone || v.Email != "ada@example.com" || v.AccountID == "" {
		t.Fatalf("flow = %+v, %v", v, err)
	}
	if took := time.Since(start); took < 7*time.Second {
		t.Errorf("signed in after %v: the slow_down was not honoured (1 s + 1 s + 6 s)", took)
	}
	var device idpsim.TokenRequest
	var challenge string
	r.idp.Set(func(s *idpsim.Server) { device, challenge = s.DeviceRequest, s.DeviceChallenge })
	if device.Params.Get("scope") != "openid profile email model.completion" || challenge == "" ||
		device.Params.Get("code_challenge_method") != "S256" {
		t.Errorf("device request %v", device.Params)
	}
	if n := r.idp.Calls(); n != 3 {
		t.Errorf("%d polls, want 3", n)
	}
	if poll := r.idp.LastRequest(); idpsim.S256(poll.Params.Get("code_verifier")) != challenge {
		t.Error("the last poll's verifier does not match the challenge")
	}
	if r.count(`SELECT count(*) FROM accounts WHERE name = 'laptop' AND provider_id = 'qwen-code'`) != 1 || r.ins.Load() != 1 {
		t.Error("the account was not stored")
	}
	if log, _ := r.m.Log(ctx, 0); len(log) != 1 || log[0].Outcome != OutcomeSignedIn {
		t.Errorf("log = %+v", log)
	}
}

func TestDeviceSignInEndingsStoreNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		script  []string
		expires int
		message string
	}{
		{"the server says the code expired", []string{"authorization_pending", "expired_token"}, 600,
			"the code expired before it was entered; start again"},
		{"the code runs out while polling", nil, 2, "the code expired before it was entered; start again"},
		{"the user declines", []string{"access_denied"}, 600, "the sign-in was declined in the browser; nothing was stored"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newDeviceRig(t)
			r.idp.Set(func(s *idpsim.Server) { s.DeviceScript, s.DeviceExpires = tc.script, tc.expires })
			v := r.deviceSignIn("qwen-code")
			if v.Status != FlowFailed || v.Error != tc.message {
				t.Fatalf("flow = %+v; want failed with %q", v, tc.message)
			}
			if r.stored() != 0 || r.ins.Load() != 0 {
				t.Error("a failed sign-in stored something")
			}
		})
	}
}

// TestDeviceSignInCancelStopsPolling: a canceled device sign-in polls no
// more and stores nothing.
func TestDeviceSignInCancelStopsPolling(t *testing.T) {
	t.Parallel()
	r := newDeviceRig(t) // the script is empty: authorization_pending forever
	f, err := r.m.Start(ctxT(t), StartOptions{Provider: "kimi-coding"})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); r.idp.Calls() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the flow never polled")
		}
	}
	if err := r.m.Cancel(f.ID); err != nil {
		t.Fatal(err)
	}
	polls := r.idp.Calls()
	time.Sleep(2500 * time.Millisecond) // more than two polling intervals
	if n := r.idp.Calls(); n != polls {
		t.Errorf("%d polls after the cancel", n-polls)
	}
	if v, _ := r.m.FlowStatus(f.ID); v.Status != FlowCanceled || v.Error != "" {
		t.Errorf("flow = %+v", v)
	}
	if r.stored() != 0 {
		t.Error("a canceled sign-in stored something")
	}
}

func TestCompleteOnDeviceFlowSaysThereIsNothingToPaste(t *testing.T) {
	t.Parallel()
	r := newDeviceRig(t)
	f, err := r.m.Start(ctxT(t), StartOptions{Provider: "qwen-code"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := r.m.Complete(ctxT(t), f.ID, "WDJB-MJHT")
	if err == nil || !strings.Contains(err.Error(), "finishes by itself once you enter the code") ||
		!strings.Contains(err.Error(), "nothing to paste") || v.Status != FlowPending {
		t.Fatalf("Complete = %+v, %v", v, err)
	}
	if err := r.m.Cancel(f.ID); err != nil {
		t.Fatal(err)
	}
}

// TestKimiDeviceSignIn: Kimi's device answer may name only the complete
// URI; every call to its identity server carries kimi-cli's device
// headers; a refresh answered 401 means the sign-in is gone.
func TestKimiDeviceSignIn(t *testing.T) {
	t.Parallel()
	r := newDeviceRig(t)
	r.idp.Set(func(s *idpsim.Server) { s.DeviceOmitURI, s.DeviceScript = true, []string{"ok"} })
	v := r.deviceSignIn("kimi-coding")
	if v.Status != FlowDone {
		t.Fatalf("flow = %+v", v)
	}
	c, _ := r.m.Credential(ctxT(t), v.AccountID)
	old, err := c.Access(ctxT(t))
	if err != nil || old.BaseURL != "" {
		t.Fatalf("access = %+v, %v", old, err)
	}
	r.idp.Set(func(s *idpsim.Server) { s.RefreshStatus = http.StatusUnauthorized })
	r.expire()
	if _, err := c.Access(ctxT(t)); err == nil || !strings.Contains(err.Error(), "sign in again") {
		t.Fatalf("refresh answered 401: err = %v; want the account to need a sign-in", err)
	}
	if !c.NeedsSignIn() || r.outs.Load() != 1 {
		t.Errorf("needs sign-in %v, notifications %d", c.NeedsSignIn(), r.outs.Load())
	}
	var calls []idpsim.TokenRequest
	r.idp.Set(func(s *idpsim.Server) { calls = append([]idpsim.TokenRequest{s.DeviceRequest}, s.Requests...) })
	if len(calls) != 3 || calls[0].Params.Has("scope") || calls[0].Params.Has("code_challenge") {
		t.Fatalf("%d calls, device request %v", len(calls), calls[0].Params)
	}
	for i, call := range calls { // device code, poll, refresh
		if call.Header.Get("X-Msh-Platform") != "kimi_cli" || call.Header.Get("X-Msh-Device-Id") == "" {
			t.Errorf("call %d lacks kimi-cli's device headers: %v", i, call.Header)
		}
	}
}

// TestQwenResourceURLIsTheAccountsBase: the token answer's resource_url
// becomes the account's API base, a refresh naming another moves it, the
// move is stored, and a refresh naming none keeps it.
func TestQwenResourceURLIsTheAccountsBase(t *testing.T) {
	t.Parallel()
	r := newDeviceRig(t)
	r.idp.Set(func(s *idpsim.Server) { s.DeviceScript, s.ResourceURL = []string{"ok"}, "portal.qwen.ai" })
	v := r.deviceSignIn("qwen-code")
	if v.Status != FlowDone {
		t.Fatalf("flow = %+v", v)
	}
	base := func(m *Manager) string {
		t.Helper()
		c, err := m.Credential(ctxT(t), v.AccountID)
		if err != nil {
			t.Fatal(err)
		}
		a, err := c.Access(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		return a.BaseURL
	}
	if got := base(r.m); got != "https://portal.qwen.ai/v1" {
		t.Fatalf("base after sign-in %q", got)
	}
	r.idp.Set(func(s *idpsim.Server) { s.ResourceURL = "https://chat-eu.qwen.example/" })
	r.expire()
	if got := base(r.m); got != "https://chat-eu.qwen.example/v1" {
		t.Fatalf("base after a refresh naming another host %q", got)
	}
	// A restart reads it back from the store; its clock being past the
	// expiry, it refreshes again, and an answer naming no host keeps it.
	r.idp.Set(func(s *idpsim.Server) { s.ResourceURL = "" })
	if got := base(r.deviceManager()); got != "https://chat-eu.qwen.example/v1" {
		t.Errorf("base after a restart %q: the refreshed host was not stored, or a refresh naming none moved it", got)
	}
	if n := refreshCalls(r.idp); n != 2 {
		t.Errorf("%d refreshes, want 2", n)
	}
}

func TestQwenUnusableResourceURLStoresNothing(t *testing.T) {
	t.Parallel()
	r := newDeviceRig(t)
	r.idp.Set(func(s *idpsim.Server) { s.DeviceScript, s.ResourceURL = []string{"ok"}, "http://portal.qwen.ai" })
	v := r.deviceSignIn("qwen-code")
	if v.Status != FlowFailed || !strings.Contains(v.Error, "unusable API host") || !strings.Contains(v.Error, "plain http") {
		t.Fatalf("flow = %+v", v)
	}
	if r.stored() != 0 {
		t.Error("a sign-in with an unusable API host was stored")
	}
}

func TestQwenBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "",
		"portal.qwen.ai":                 "https://portal.qwen.ai/v1",
		" portal.qwen.ai/ ":              "https://portal.qwen.ai/v1",
		"https://portal.qwen.ai/v1":      "https://portal.qwen.ai/v1",
		"https://portal.qwen.ai/v1/":     "https://portal.qwen.ai/v1",
		"HTTPS://Portal.Qwen.AI":         "https://Portal.Qwen.AI/v1",
		"dashscope.aliyuncs.com/compat":  "https://dashscope.aliyuncs.com/compat/v1",
		"portal.qwen.ai:8443":            "https://portal.qwen.ai:8443/v1",
		"http://127.0.0.1:9000":          "http://127.0.0.1:9000/v1",
		"http://portal.qwen.ai":          "!",
		"ftp://portal.qwen.ai":           "!",
		"https://user:pw@portal.qwen.ai": "!",
		"portal.qwen.ai/?x=1":            "!",
		"portal.qwen.ai#frag":            "!",
		"https://":                       "!",
		"://":                            "!",
	} {
		got, err := qwenBaseURL(in)
		if want == "!" {
			if err == nil {
				t.Errorf("qwenBaseURL(%q) = %q, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("qwenBaseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestImportDeviceCLILogins: Qwen Code's login keeps the API host it
// names; the Kimi CLI's expired login is refreshed on first use with the
// imported refresh token, the CLI's device headers going along.
func TestImportDeviceCLILogins(t *testing.T) {
	t.Parallel()
	r := newDeviceRig(t)
	r.m.importEnv = ImportEnv{Home: fixture("qwen-valid"), GOOS: "linux", Getenv: func(string) string { return "" }, Now: r.clock.now}
	id, err := r.m.Import(ctxT(t), "qwen-code", "from-cli")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := r.m.Credential(ctxT(t), id)
	if a, err := c.Access(ctxT(t)); err != nil || a.BaseURL != "https://portal.qwen.ai/v1" || a.Token != "FAKE-qwen-access-valid" {
		t.Fatalf("qwen access = %+v, %v", a, err)
	}
	r.m.importEnv.Home = fixture("kimi-expired-refresh")
	r.idp.Set(func(s *idpsim.Server) { s.RefreshTokens["FAKE-kimi-refresh-valid"] = true })
	id, err = r.m.Import(ctxT(t), "kimi-coding", "")
	if err != nil {
		t.Fatal(err)
	}
	c, _ = r.m.Credential(ctxT(t), id)
	if a, err := c.Access(ctxT(t)); err != nil || !strings.HasPrefix(a.Token, "at-") {
		t.Fatalf("kimi first use: %+v, %v", a, err)
	}
	last := r.idp.LastRequest()
	if last.Params.Get("refresh_token") != "FAKE-kimi-refresh-valid" || last.Header.Get("X-Msh-Platform") != "kimi_cli" {
		t.Errorf("refresh %v %v", last.Params, last.Header)
	}
	var src string
	if err := r.db.QueryRow(`SELECT source FROM signins WHERE account_id = ?`, id).Scan(&src); err != nil ||
		src != "imported:"+filepath.Join(fixture("kimi-expired-refresh"), ".kimi", "credentials", "kimi-code.json") {
		t.Errorf("source %q, %v", src, err)
	}
}

func refreshCalls(s *idpsim.Server) (n int) {
	s.Set(func(s *idpsim.Server) { n = s.RefreshCalls })
	return n
}
