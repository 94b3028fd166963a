package signin

import (
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/ir"
	"switchboard/backend/oauth"
	"switchboard/backend/oauth/idpsim"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

const seatAPIURL = "https://api.individual.githubcopilot.com"

// newCopilotRig is the rig signing in to Copilot: the scripted server
// plays github.com (device flow, form-encoded answers as GitHub gives them,
// tokens that never expire) and api.github.com (the Copilot token
// exchange, GET /user), on the rig's clock.
func newCopilotRig(t *testing.T) *rig {
	r := newRig(t)
	r.idp.Set(func(s *idpsim.Server) {
		s.RequireJSON, s.RequireState, s.AnthropicBody, s.Rotate = false, false, false, false
		// GitHub issues no id_token; polls answer at once (1 s interval).
		s.FormAnswers, s.ExpiresIn, s.IDToken, s.DeviceScript = true, 0, "", []string{"ok"}
	})
	r.idp.SetCopilot(idpsim.CopilotScript{API: seatAPIURL, Now: r.clock.now})
	r.idp.SetGitHubUser("octocat", "")
	r.m = r.copilotManager()
	return r
}

func (r *rig) copilotManager() *Manager {
	m := New(Options{DB: r.db, Sealer: r.sealer, Log: slog.New(slog.DiscardHandler), Now: r.clock.now,
		Providers: []config.ProviderConfig{{ID: "copilot", SignIn: &config.SignInConfig{
			DeviceURL: r.idp.URL() + "/device/code", TokenURL: r.idp.URL() + "/token", ClientID: r.idp.ClientID,
			APIURL: r.idp.URL()}}},
		OnSignedOut: func(c route.Change) { r.outs.Add(1); r.lastOut.Store(c) },
		ImportEnv:   &ImportEnv{Home: nowhere, GOOS: "linux", Getenv: func(string) string { return "" }},
	})
	r.t.Cleanup(m.Close)
	return m
}

// copilotDeviceSignIn runs a Copilot device sign-in to its end.
func (r *rig) copilotDeviceSignIn(name string) FlowView {
	r.t.Helper()
	f, err := r.m.Start(ctxT(r.t), StartOptions{Provider: "copilot", Account: name})
	if err != nil {
		r.t.Fatal(err)
	}
	if !f.Device || f.UserCode != "WDJB-MJHT" || !strings.Contains(f.URL, "user_code=WDJB-MJHT") || f.ManualURL != "" {
		r.t.Errorf("device flow view %+v", f)
	}
	v, err := r.m.Wait(ctxT(r.t), f.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

func (r *rig) copilotSignedIn() (string, provider.Credential) {
	r.t.Helper()
	v := r.copilotDeviceSignIn("")
	if v.Status != FlowDone {
		r.t.Fatalf("flow = %+v", v)
	}
	c, err := r.m.Credential(ctxT(r.t), v.AccountID)
	if err != nil {
		r.t.Fatal(err)
	}
	return v.AccountID, c
}

func TestCopilotDeviceSignIn(t *testing.T) {
	r := newCopilotRig(t)
	r.idp.Set(func(s *idpsim.Server) { s.DeviceScript = []string{"authorization_pending", "ok"} })
	id, c := r.copilotSignedIn()
	// GitHub's device grant: a form post, answered as a form.
	if req := r.idp.LastRequest(); req.ContentType != "application/x-www-form-urlencoded" ||
		req.Params.Get("grant_type") != "urn:ietf:params:oauth:grant-type:device_code" {
		t.Errorf("token request %s %v", req.ContentType, req.Params)
	}
	var name string
	if err := r.db.QueryRow(`SELECT name FROM accounts WHERE id = ?`, id).Scan(&name); err != nil || name != "octocat" {
		t.Errorf("account named %q (%v), want the GitHub login", name, err)
	}
	cr := c.(*cred)
	if cr.rec.Refresh != "" || !cr.rec.Expiry.IsZero() || cr.rec.Extra.BaseURL != seatAPIURL {
		t.Errorf("stored %+v: want a GitHub token without refresh or expiry and the seat's API", cr.rec.Extra)
	}
	// The sign-in checked the seat once; the first request exchanges again.
	if n := r.idp.CopilotCalls(); n != 1 {
		t.Errorf("%d exchanges at sign-in, want 1", n)
	}
	a, err := c.Access(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	toks := r.idp.CopilotTokens()
	if a.Token != toks[len(toks)-1] || a.BaseURL != seatAPIURL || a.Token == cr.rec.Access {
		t.Errorf("access %q base %q: want the Copilot token and the seat's API", a.Token, a.BaseURL)
	}
	h := r.idp.LastExchange()
	if h.Get("Authorization") != "token "+cr.rec.Access || !strings.HasPrefix(h.Get("Editor-Version"), "vscode/") ||
		!strings.HasPrefix(h.Get("Editor-Plugin-Version"), "copilot-chat/") || !strings.HasPrefix(h.Get("User-Agent"), "GitHubCopilotChat/") {
		t.Errorf("exchange headers %v", h)
	}
	st, err := r.m.StatusOf(ctxT(t), id)
	if err != nil || st.TokenState != "valid" || st.Plan != "copilot_for_individuals_subscriber" {
		t.Errorf("status %+v, %v", st, err)
	}
}

func TestCopilotSignInEndings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script []string
		seat   idpsim.CopilotScript
		want   string
	}{
		{"code expired", []string{"authorization_pending", "expired_token"}, idpsim.CopilotScript{}, "the code expired"},
		{"no seat", []string{"ok"}, idpsim.CopilotScript{Status: http.StatusForbidden}, "has no Copilot seat"},
		{"token of another app", []string{"ok"}, idpsim.CopilotScript{Status: http.StatusNotFound}, "another app than Copilot's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newCopilotRig(t)
			r.idp.Set(func(s *idpsim.Server) { s.DeviceScript = tc.script })
			r.idp.SetCopilot(tc.seat)
			v := r.copilotDeviceSignIn("")
			if v.Status != FlowFailed || !strings.Contains(v.Error, tc.want) {
				t.Fatalf("flow = %+v, want failed saying %q", v, tc.want)
			}
			if r.count(`SELECT count(*) FROM accounts`)+r.count(`SELECT count(*) FROM signins`) != 0 {
				t.Error("something was stored")
			}
		})
	}
}

func TestCopilotTokenCachedAndRenewedAtExpiry(t *testing.T) {
	r := newCopilotRig(t)
	_, c := r.copilotSignedIn()
	first, _ := c.Access(ctxT(t))
	calls := r.idp.CopilotCalls()
	for range 5 {
		if a, err := c.Access(ctxT(t)); err != nil || a.Token != first.Token {
			t.Fatalf("cached access: %q, %v", a.Token, err)
		}
	}
	if r.idp.CopilotCalls() != calls {
		t.Fatal("a fresh Copilot token was exchanged again")
	}
	// Inside the 5 min lead of a 30 min token: served, renewed behind.
	r.clock.add(26 * time.Minute)
	if a, err := c.Access(ctxT(t)); err != nil || a.Token != first.Token {
		t.Fatalf("inside the lead: %q, %v", a.Token, err)
	}
	waitFor(t, func() bool { return r.idp.CopilotCalls() == calls+1 })
	renewed := waitAccess(t, c, func(tok string) bool { return tok != first.Token })
	// Past expires_at a request waits for the exchange.
	r.clock.add(31 * time.Minute)
	if a, err := c.Access(ctxT(t)); err != nil || a.Token == renewed || r.idp.CopilotCalls() != calls+2 {
		t.Fatalf("past expiry: same %v, %v, calls %d", a.Token == renewed, err, r.idp.CopilotCalls()-calls)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitAccess(t *testing.T, c provider.Credential, ok func(string) bool) string {
	t.Helper()
	var tok string
	waitFor(t, func() bool {
		a, err := c.Access(ctxT(t))
		tok = a.Token
		return err == nil && ok(tok)
	})
	return tok
}

func TestCopilotSingleFlightExchange(t *testing.T) {
	r := newCopilotRig(t)
	_, c := r.copilotSignedIn()
	r.idp.SetCopilot(idpsim.CopilotScript{API: seatAPIURL, Now: r.clock.now, Delay: 300 * time.Millisecond})
	calls := r.idp.CopilotCalls()
	var wg sync.WaitGroup
	tokens, errs := make([]string, 50), make([]error, 50)
	for i := range 50 {
		wg.Go(func() {
			a, err := c.Access(ctxT(t))
			tokens[i], errs[i] = a.Token, err
		})
	}
	wg.Wait()
	for i := range 50 {
		if errs[i] != nil || tokens[i] != tokens[0] || tokens[0] == "" {
			t.Fatalf("caller %d: %q, %v (caller 0: %q)", i, tokens[i], errs[i], tokens[0])
		}
	}
	if n := r.idp.CopilotCalls() - calls; n != 1 {
		t.Fatalf("%d exchanges for 50 concurrent requests, want 1", n)
	}
}

func TestCopilotReauthorizeAfter401(t *testing.T) {
	r := newCopilotRig(t)
	_, c := r.copilotSignedIn()
	old, _ := c.Access(ctxT(t))
	calls := r.idp.CopilotCalls()
	fresh, err := c.Reauthorize(ctxT(t), old.Token)
	if err != nil || fresh.Token == old.Token || fresh.BaseURL != seatAPIURL {
		t.Fatalf("reauthorize: %q, %v", fresh.Token, err)
	}
	// Another request that saw the old token refused gets the new one.
	again, err := c.Reauthorize(ctxT(t), old.Token)
	if err != nil || again.Token != fresh.Token || r.idp.CopilotCalls() != calls+1 {
		t.Fatalf("second reauthorize: %v, same %v, exchanges %d", err, again.Token == fresh.Token, r.idp.CopilotCalls()-calls)
	}
	if c.NeedsSignIn() {
		t.Error("a refused Copilot token signed the account out")
	}
}

func TestCopilotRevokedSignInNeedsSignIn(t *testing.T) {
	for _, tc := range []struct {
		name   string
		revoke func(r *rig, github string)
		noSeat bool
		want   string
	}{
		{"GitHub token revoked", func(r *rig, gh string) { r.idp.Revoke(gh) }, false, "revoked or has expired"},
		{"seat removed", func(r *rig, _ string) {
			r.idp.SetCopilot(idpsim.CopilotScript{Status: http.StatusForbidden})
		}, true, "has no Copilot seat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newCopilotRig(t)
			id, c := r.copilotSignedIn()
			tc.revoke(r, c.(*cred).rec.Access)
			r.clock.add(31 * time.Minute) // the held Copilot token has expired
			for range 3 {
				_, err := c.Access(ctxT(t))
				var e *ir.Error
				if !errors.As(err, &e) || e.Kind != ir.KindAuth || !strings.Contains(e.Message, "sign in again") {
					t.Fatalf("err = %v", err)
				}
			}
			if !c.NeedsSignIn() || r.outs.Load() != 1 {
				t.Fatalf("needs sign-in %v, notifications %d", c.NeedsSignIn(), r.outs.Load())
			}
			st, _ := r.m.StatusOf(ctxT(t), id)
			if st.TokenState != "needs_sign_in" || !strings.Contains(st.LastError, tc.want) {
				t.Errorf("status %+v, want needs_sign_in saying %q", st, tc.want)
			}
		})
	}
}

// What the exchange's refusals mean, and that they say whether the seat is
// missing.
func TestCopilotRefusals(t *testing.T) {
	r := newCopilotRig(t)
	gh := "at-FAKE-accepted"
	r.idp.Accept(gh)
	for _, tc := range []struct {
		script        idpsim.CopilotScript
		invalid, seat bool
	}{
		{idpsim.CopilotScript{Status: http.StatusUnauthorized}, true, false},
		{idpsim.CopilotScript{Status: http.StatusForbidden}, true, true},
		{idpsim.CopilotScript{Status: http.StatusNotFound}, true, true},
		{idpsim.CopilotScript{Status: http.StatusForbidden, RateLimited: true}, false, false},
		{idpsim.CopilotScript{Status: http.StatusTooManyRequests}, false, false},
		{idpsim.CopilotScript{Status: http.StatusBadGateway}, false, false},
	} {
		r.idp.SetCopilot(tc.script)
		tok := gh
		if tc.script.Status == http.StatusUnauthorized {
			tok = "at-FAKE-revoked"
		}
		_, err := fetchCopilotToken(ctxT(t), r.m, "copilot", tok)
		if errors.Is(err, oauth.ErrInvalidGrant) != tc.invalid || errors.Is(err, ErrNoCopilotSeat) != tc.seat ||
			errors.Is(err, oauth.ErrTransient) == tc.invalid {
			t.Errorf("%d (rate limited %v): %v", tc.script.Status, tc.script.RateLimited, err)
		}
		if strings.Contains(err.Error(), "FAKE") {
			t.Errorf("error quotes the token: %v", err)
		}
	}
}

func TestCopilotTransientExchangeBacksOff(t *testing.T) {
	r := newCopilotRig(t)
	_, c := r.copilotSignedIn()
	r.idp.SetCopilot(idpsim.CopilotScript{Status: http.StatusBadGateway})
	r.clock.add(31 * time.Minute)
	calls := r.idp.CopilotCalls()
	_, err := c.Access(ctxT(t))
	var e *ir.Error
	if !errors.As(err, &e) || e.RetryAfter <= 0 || e.Status != http.StatusServiceUnavailable {
		t.Fatalf("err = %v", err)
	}
	_, _ = c.Access(ctxT(t)) // inside the backoff: GitHub is not asked again
	if r.idp.CopilotCalls() != calls+1 || c.NeedsSignIn() || r.outs.Load() != 0 {
		t.Fatalf("exchanges %d, needs sign-in %v", r.idp.CopilotCalls()-calls, c.NeedsSignIn())
	}
	r.idp.SetCopilot(idpsim.CopilotScript{API: seatAPIURL, Now: r.clock.now})
	r.clock.add(exchangeBackoffBase + time.Second)
	if _, err := c.Access(ctxT(t)); err != nil {
		t.Fatalf("after the backoff: %v", err)
	}
}

// "Refresh now" on a sign-in that never expires renews the Copilot token
// (the GitHub token has nothing to refresh) and leaves the account signed in.
func TestCopilotRefreshNowExchangesAgain(t *testing.T) {
	r := newCopilotRig(t)
	id, c := r.copilotSignedIn()
	before, _ := c.Access(ctxT(t))
	calls := r.idp.CopilotCalls()
	if err := r.m.Refresh(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	after, _ := c.Access(ctxT(t))
	if after.Token == before.Token || r.idp.CopilotCalls() != calls+1 || c.NeedsSignIn() {
		t.Fatalf("refresh now: same %v, exchanges %d, needs sign-in %v", after.Token == before.Token,
			r.idp.CopilotCalls()-calls, c.NeedsSignIn())
	}
}

// The editor plugins' login is imported (the file untouched) and named
// after the GitHub login.
func TestCopilotImport(t *testing.T) {
	guardFixtures(t)
	r := newCopilotRig(t)
	r.m.importEnv = ImportEnv{Home: fixture("copilot-apps"), GOOS: "linux", Getenv: func(string) string { return "" }}
	if src, ok := r.m.ImportSource("copilot"); !ok || src != filepath.Join(fixture("copilot-apps"), ".config", "github-copilot", "apps.json") {
		t.Fatalf("import source %q %v", src, ok)
	}
	r.idp.Accept("ghu_FAKE-copilot-app-token")
	id, err := r.m.Import(ctxT(t), "copilot", "")
	if err != nil {
		t.Fatal(err)
	}
	var name, source string
	if err := r.db.QueryRow(`SELECT a.name, s.source FROM accounts a JOIN signins s ON s.account_id = a.id WHERE a.id = ?`, id).
		Scan(&name, &source); err != nil || name != "octocat" || !strings.HasPrefix(source, "imported:") {
		t.Errorf("account %q source %q (%v)", name, source, err)
	}
	c, _ := r.m.Credential(ctxT(t), id)
	if a, err := c.Access(ctxT(t)); err != nil || !strings.HasPrefix(a.Token, "tid=") {
		t.Fatalf("access %q, %v", a.Token, err)
	}
	if got := r.idp.LastExchange().Get("Authorization"); got != "token ghu_FAKE-copilot-app-token" {
		t.Errorf("exchanged %q", got)
	}
	// A login GitHub no longer accepts is not imported.
	r.m.importEnv.Home = fixture("copilot-hosts")
	if _, err := r.m.Import(ctxT(t), "copilot", "old"); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("import of a revoked login: %v", err)
	}
}

func TestSeatAPI(t *testing.T) {
	for _, tc := range []struct {
		raw        string
		overridden bool
		want       string
	}{
		{"https://api.individual.githubcopilot.com", false, "https://api.individual.githubcopilot.com"},
		{"https://api.business.githubcopilot.com/", false, "https://api.business.githubcopilot.com"},
		{"https://copilot-api.acme.ghe.com", false, "https://copilot-api.acme.ghe.com"},
		{"http://api.githubcopilot.com", false, ""},
		{"https://githubcopilot.com.evil.example", false, ""},
		{"https://evil.example/githubcopilot.com", false, ""},
		{"https://user@api.githubcopilot.com", false, ""},
		{"http://127.0.0.1:9/api", true, "http://127.0.0.1:9/api"},
		{"", false, ""},
	} {
		got, ok := seatAPI(tc.raw, tc.overridden)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("seatAPI(%q, %v) = %q, %v", tc.raw, tc.overridden, got, ok)
		}
	}
}
