package signin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/ir"
	"switchboard/backend/oauth/idpsim"
	"switchboard/backend/provider"
	"switchboard/backend/route"
	"switchboard/backend/secret"
	"switchboard/backend/store"
)

// rig is a Manager on a real SQLite file, signing in against a scripted
// identity server shaped like Anthropic's (JSON token requests with state,
// account fields in the answer).
type rig struct {
	t       *testing.T
	idp     *idpsim.Server
	db      *store.DB
	sealer  *secret.Sealer
	m       *Manager
	clock   *clock
	outs    atomic.Int32 // OnSignedOut calls
	lastOut atomic.Value // route.Change
	ins     atomic.Int32 // OnSignedIn calls
	dbPath  string
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, idp: idpsim.New(t), clock: &clock{t: time.Now()}}
	r.idp.Set(func(s *idpsim.Server) {
		s.RequireJSON, s.RequireState, s.AnthropicBody, s.Rotate = true, true, true, true
	})
	r.dbPath = filepath.Join(t.TempDir(), "sb.db")
	var err error
	if r.db, err = store.Open(context.Background(), r.dbPath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close() })
	if r.sealer, err = secret.NewSealer(bytes.Repeat([]byte{7}, secret.KeySize), "test"); err != nil {
		t.Fatal(err)
	}
	r.m = r.manager()
	return r
}

func ptr[T any](v T) *T { return &v }

// manager builds a Manager on the rig's database (a restart builds another).
func (r *rig) manager() *Manager {
	m := New(Options{DB: r.db, Sealer: r.sealer, Log: slog.New(slog.DiscardHandler), Now: r.clock.now,
		Providers: []config.ProviderConfig{{ID: "claude", SignIn: &config.SignInConfig{
			AuthURL: r.idp.URL() + "/authorize", TokenURL: r.idp.URL() + "/token", ClientID: r.idp.ClientID,
			ManualRedirectURL: ptr(""), RedirectPort: ptr(0)}}},
		OnSignedIn:  func(context.Context, string) { r.ins.Add(1) },
		OnSignedOut: func(c route.Change) { r.outs.Add(1); r.lastOut.Store(c) },
		ImportEnv:   &ImportEnv{Home: filepath.Join("testdata", "import", "nowhere"), GOOS: "linux", Getenv: func(string) string { return "" }},
	})
	r.t.Cleanup(m.Close)
	return m
}

// browser is the user's browser: it follows the authorization URL to the
// loopback redirect and returns the page the listener showed.
func browser(t *testing.T, authURL string) string {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// redirectOf fetches the authorization URL without following the redirect:
// what a user on another machine would copy from the address bar.
func redirectOf(t *testing.T, authURL string) *url.URL {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("no redirect: %v", err)
	}
	return loc
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// signIn runs a whole browser sign-in and returns the account id.
func (r *rig) signIn(name string) string {
	r.t.Helper()
	ctx := ctxT(r.t)
	f, err := r.m.Start(ctx, StartOptions{Provider: "claude", Account: name})
	if err != nil {
		r.t.Fatal(err)
	}
	browser(r.t, f.URL)
	v, err := r.m.Wait(ctx, f.ID)
	if err != nil || v.Status != FlowDone {
		r.t.Fatalf("flow = %+v, %v", v, err)
	}
	return v.AccountID
}

func (r *rig) count(q string, args ...any) int {
	r.t.Helper()
	var n int
	if err := r.db.QueryRow(q, args...).Scan(&n); err != nil {
		r.t.Fatal(err)
	}
	return n
}

func TestBrowserSignInStoresSealedAccount(t *testing.T) {
	r := newRig(t)
	id := r.signIn("")
	// The PKCE verifier was checked by the identity server (idpsim refuses a
	// mismatch); the exchange was Anthropic-shaped.
	req := r.idp.LastRequest()
	if req.ContentType != "application/json" || req.Params.Get("code_verifier") == "" || req.Params.Get("state") == "" {
		t.Fatalf("exchange = %s %v", req.ContentType, req.Params)
	}
	var name, kind string
	if err := r.db.QueryRow(`SELECT name, kind FROM accounts WHERE id = ?`, id).Scan(&name, &kind); err != nil {
		t.Fatal(err)
	}
	if name != "max@example.com" || kind != "signin" {
		t.Errorf("account %q kind %q; want named after the email, kind signin", name, kind)
	}
	if r.count(`SELECT count(*) FROM providers WHERE id = 'claude'`) != 1 {
		t.Error("the claude provider row was not created")
	}
	st, err := r.m.StatusOf(ctxT(t), id)
	if err != nil || st.Email != "max@example.com" || st.TokenState != "valid" {
		t.Errorf("status = %+v, %v", st, err)
	}
	c, _ := r.m.Credential(ctxT(t), id)
	acc, err := c.Access(ctxT(t))
	if err != nil || !strings.HasPrefix(acc.Token, "at-") {
		t.Fatalf("access = %q, %v", acc.Token, err)
	}
	// Sealed at rest: neither token appears in the database file.
	r.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	raw, _ := os.ReadFile(r.dbPath)
	cr := c.(*cred)
	for _, secretText := range []string{acc.Token, cr.rec.Refresh} {
		if bytes.Contains(raw, []byte(secretText)) {
			t.Errorf("a token is stored in plain text")
		}
	}
	if r.ins.Load() != 1 {
		t.Errorf("OnSignedIn ran %d times", r.ins.Load())
	}
	if log, _ := r.m.Log(ctxT(t), 0); len(log) != 1 || log[0].Outcome != OutcomeSignedIn {
		t.Errorf("log = %+v", log)
	}
}

func TestManualPasteSignIn(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	f, err := r.m.Start(ctx, StartOptions{Provider: "claude", Account: "work"})
	if err != nil {
		t.Fatal(err)
	}
	back := redirectOf(t, f.URL) // the browser on another machine ends here
	// Another sign-in's state is refused and the flow stays open.
	wrong := *back
	q := wrong.Query()
	q.Set("state", "not-this-one")
	wrong.RawQuery = q.Encode()
	v, err := r.m.Complete(ctx, f.ID, wrong.String())
	if err == nil || !strings.Contains(err.Error(), "state") || v.Status != FlowPending {
		t.Fatalf("wrong state: %+v, %v", v, err)
	}
	if r.count(`SELECT count(*) FROM accounts`) != 0 {
		t.Fatal("a refused paste stored an account")
	}
	v, err = r.m.Complete(ctx, f.ID, back.String())
	if err != nil || v.Status != FlowDone || v.Email != "max@example.com" {
		t.Fatalf("paste: %+v, %v", v, err)
	}
	if r.count(`SELECT count(*) FROM accounts WHERE name = 'work'`) != 1 {
		t.Error("account not stored under the chosen name")
	}
}

func TestSignInEndingsStoreNothing(t *testing.T) {
	t.Run("denied consent", func(t *testing.T) {
		r := newRig(t)
		r.idp.Set(func(s *idpsim.Server) { s.Deny = true })
		f, err := r.m.Start(ctxT(t), StartOptions{Provider: "claude"})
		if err != nil {
			t.Fatal(err)
		}
		browser(t, f.URL)
		v, _ := r.m.Wait(ctxT(t), f.ID)
		if v.Status != FlowFailed || !strings.Contains(v.Error, "declined") {
			t.Fatalf("flow = %+v", v)
		}
		if r.count(`SELECT count(*) FROM accounts`)+r.count(`SELECT count(*) FROM signins`) != 0 {
			t.Error("something was stored")
		}
	})
	t.Run("cancel frees the port", func(t *testing.T) {
		r := newRig(t)
		f, err := r.m.Start(ctxT(t), StartOptions{Provider: "claude"})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(f.URL)
		redirect, _ := url.Parse(u.Query().Get("redirect_uri"))
		if err := r.m.Cancel(f.ID); err != nil {
			t.Fatal(err)
		}
		if v, _ := r.m.FlowStatus(f.ID); v.Status != FlowCanceled {
			t.Errorf("status %q", v.Status)
		}
		if c, err := net.Dial("tcp", "127.0.0.1:"+redirect.Port()); err == nil {
			c.Close()
			t.Error("the redirect listener is still open")
		}
		if r.count(`SELECT count(*) FROM accounts`) != 0 {
			t.Error("something was stored")
		}
	})
	t.Run("port taken", func(t *testing.T) {
		r := newRig(t)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := ln.Addr().(*net.TCPAddr).Port
		r.m.overrides["claude"] = withPort(r.m.overrides["claude"], port)
		_, err = r.m.Start(ctxT(t), StartOptions{Provider: "claude"})
		if err == nil || !strings.Contains(err.Error(), strconv.Itoa(port)) {
			t.Fatalf("err = %v; want one naming port %d", err, port)
		}
	})
	t.Run("unknown provider", func(t *testing.T) {
		r := newRig(t)
		if _, err := r.m.Start(ctxT(t), StartOptions{Provider: "openai"}); err == nil || !strings.Contains(err.Error(), "not a subscription provider") {
			t.Fatalf("err = %v", err)
		}
	})
}

func withPort(c config.SignInConfig, port int) config.SignInConfig {
	c.RedirectPort = &port
	return c
}

// expire moves the clock past the account's access token expiry.
func (r *rig) expire() { r.clock.add(2 * time.Hour) }

func TestRefreshRotatesAndStoresFirst(t *testing.T) {
	r := newRig(t)
	id := r.signIn("me")
	c, _ := r.m.Credential(ctxT(t), id)
	before := c.(*cred).rec
	r.expire()
	acc, err := c.Access(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if acc.Token == before.Access {
		t.Fatal("the expired token was handed out")
	}
	// The rotated refresh token is what the store holds now, and the old
	// one is dead at the server: a restart must use the new one.
	m2 := r.manager()
	c2, err := m2.Credential(ctxT(t), id)
	if err != nil {
		t.Fatal(err)
	}
	stored := c2.(*cred).rec
	if stored.Refresh == before.Refresh || stored.Access != acc.Token {
		t.Fatal("the refreshed tokens were not stored")
	}
	r.expire()
	if _, err := c2.Access(ctxT(t)); err != nil {
		t.Fatalf("refresh after restart: %v", err)
	}
	if got := r.idp.LastRequest().Params.Get("refresh_token"); got != stored.Refresh {
		t.Error("the restarted manager did not refresh with the rotated token")
	}
	if log, _ := r.m.Log(ctxT(t), 0); len(log) < 3 || log[0].Outcome != OutcomeRefreshed {
		t.Errorf("log = %+v", log)
	}
}

func TestSingleFlightRefresh(t *testing.T) {
	r := newRig(t)
	id := r.signIn("me")
	c, _ := r.m.Credential(ctxT(t), id)
	r.idp.Set(func(s *idpsim.Server) { s.RefreshDelay = 300 * time.Millisecond })
	r.expire()
	var wg sync.WaitGroup
	tokens := make([]string, 50)
	errs := make([]error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := c.Access(ctxT(t))
			tokens[i], errs[i] = a.Token, err
		}()
	}
	wg.Wait()
	for i := range 50 {
		if errs[i] != nil || tokens[i] != tokens[0] {
			t.Fatalf("caller %d: %q, %v (caller 0: %q)", i, tokens[i], errs[i], tokens[0])
		}
	}
	var calls int
	r.idp.Set(func(s *idpsim.Server) { calls = s.RefreshCalls })
	if calls != 1 {
		t.Fatalf("%d refresh calls for 50 concurrent requests, want 1", calls)
	}
}

func TestInvalidGrantNeedsSignInOnce(t *testing.T) {
	r := newRig(t)
	id := r.signIn("me")
	c, _ := r.m.Credential(ctxT(t), id)
	r.idp.Set(func(s *idpsim.Server) { clear(s.RefreshTokens) }) // revoked at the vendor
	r.expire()
	for range 5 {
		_, err := c.Access(ctxT(t))
		var e *ir.Error
		if !errors.As(err, &e) || e.Kind != ir.KindAuth || !strings.Contains(e.Message, "sign in again") {
			t.Fatalf("err = %v", err)
		}
	}
	if !c.NeedsSignIn() {
		t.Fatal("account not marked needs sign-in")
	}
	if n := r.outs.Load(); n != 1 {
		t.Fatalf("oauth_refresh_failed fired %d times, want once", n)
	}
	if ch := r.lastOut.Load().(route.Change); ch.Provider != "claude" || ch.Account != "me" || string(ch.Kind) != "oauth_refresh_failed" {
		t.Errorf("change = %+v", ch)
	}
	var calls int
	r.idp.Set(func(s *idpsim.Server) { calls = s.RefreshCalls })
	if calls != 1 {
		t.Errorf("%d refresh calls after the grant was refused, want 1", calls)
	}
	if st, _ := r.m.StatusOf(ctxT(t), id); st.TokenState != "needs_sign_in" {
		t.Errorf("state %q", st.TokenState)
	}
	// Survives a restart, and a fresh sign-in under the same name clears it.
	m2 := r.manager()
	if c2, _ := m2.Credential(ctxT(t), id); !c2.NeedsSignIn() {
		t.Error("needs sign-in was not stored")
	}
	r.m = m2
	if again := r.signIn("me"); again != id {
		t.Errorf("signing in again made account %s, want the same %s", again, id)
	}
	if c3, _ := m2.Credential(ctxT(t), id); c3.NeedsSignIn() {
		t.Error("signing in again did not clear needs sign-in")
	}
}

func TestTransientRefreshFailureBacksOff(t *testing.T) {
	r := newRig(t)
	id := r.signIn("me")
	c, _ := r.m.Credential(ctxT(t), id)
	r.idp.Set(func(s *idpsim.Server) { s.RefreshStatus = http.StatusBadGateway })
	r.expire()
	_, err := c.Access(ctxT(t))
	var e *ir.Error
	if !errors.As(err, &e) || e.RetryAfter <= 0 {
		t.Fatalf("err = %v", err)
	}
	_, _ = c.Access(ctxT(t)) // inside the backoff: no second call
	var calls int
	r.idp.Set(func(s *idpsim.Server) { calls = s.RefreshCalls; s.RefreshStatus = 0 })
	if calls != 1 || c.NeedsSignIn() || r.outs.Load() != 0 {
		t.Fatalf("calls %d, needs sign-in %v, notifications %d", calls, c.NeedsSignIn(), r.outs.Load())
	}
	if st, _ := r.m.StatusOf(ctxT(t), id); st.TokenState != "refresh_failing" {
		t.Errorf("state %q", st.TokenState)
	}
	r.clock.add(backoffBase + time.Second)
	if _, err := c.Access(ctxT(t)); err != nil {
		t.Fatalf("after the backoff: %v", err)
	}
}

func TestReauthorizeAfter401(t *testing.T) {
	r := newRig(t)
	id := r.signIn("me")
	c, _ := r.m.Credential(ctxT(t), id)
	old, _ := c.Access(ctxT(t))
	fresh, err := c.Reauthorize(ctxT(t), old.Token)
	if err != nil || fresh.Token == old.Token {
		t.Fatalf("reauthorize: %v", err)
	}
	// A second request that also saw the old token rejected gets the new
	// one without another refresh.
	again, err := c.Reauthorize(ctxT(t), old.Token)
	var calls int
	r.idp.Set(func(s *idpsim.Server) { calls = s.RefreshCalls })
	if err != nil || again.Token != fresh.Token || calls != 1 {
		t.Fatalf("second reauthorize: %v, same %v, calls %d", err, again.Token == fresh.Token, calls)
	}
}

func TestSchedulerRefreshesAheadOfExpiry(t *testing.T) {
	r := newRig(t)
	r.m.Close()
	r.clock = &clock{t: time.Now()}
	r.m = r.manager()
	r.m.now = time.Now // the scheduler sleeps on real timers
	r.idp.Set(func(s *idpsim.Server) { s.ExpiresIn = 3 })
	// A 3 s token with a 4 h lead is due at once; the scheduler renews it
	// without any request asking.
	go r.m.Run(ctxT(t))
	id := r.signIn("me")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if r.count(`SELECT count(*) FROM signin_log WHERE account_id = ? AND outcome = 'refreshed'`, id) > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the scheduler did not refresh a token inside its lead time")
}

// TestImportThenFirstUseRefreshes: Claude Code's login with an expired
// access token is imported (the CLI's file untouched), and the first use
// refreshes it with the imported refresh token.
func TestImportThenFirstUseRefreshes(t *testing.T) {
	r := newRig(t)
	r.m.importEnv = ImportEnv{Home: filepath.Join("testdata", "import", "claude-expired-refresh"), GOOS: "linux",
		Getenv: func(string) string { return "" }, Now: r.clock.now}
	if src, ok := r.m.ImportSource("claude"); !ok || !strings.HasSuffix(src, ".credentials.json") {
		t.Fatalf("import source %q %v", src, ok)
	}
	r.idp.Set(func(s *idpsim.Server) { s.RefreshTokens["sk-ant-ort01-FAKE-refresh-valid"] = true })
	id, err := r.m.Import(ctxT(t), "claude", "from-cli")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := r.m.Credential(ctxT(t), id)
	acc, err := c.Access(ctxT(t))
	if err != nil || !strings.HasPrefix(acc.Token, "at-") {
		t.Fatalf("first use: %q, %v", acc.Token, err)
	}
	if got := r.idp.LastRequest().Params.Get("refresh_token"); got != "sk-ant-ort01-FAKE-refresh-valid" {
		t.Errorf("refreshed with %q", got)
	}
	log, _ := r.m.Log(ctxT(t), 0)
	if len(log) != 2 || log[1].Outcome != OutcomeImported || log[0].Outcome != OutcomeRefreshed {
		t.Errorf("log = %+v", log)
	}
	// A file that cannot be imported leaves nothing behind.
	r.m.importEnv.Home = filepath.Join("testdata", "import", "claude-malformed")
	if _, err := r.m.Import(ctxT(t), "claude", "bad"); err == nil {
		t.Fatal("a malformed login was imported")
	}
	if r.count(`SELECT count(*) FROM accounts WHERE name = 'bad'`) != 0 {
		t.Error("a failed import stored an account")
	}
}

// Routing rebuilds that run at once (an import and the watch on other
// processes) load a new account together; they must share one credential,
// or the second would replace the first while it refreshes and keep the
// refresh token the first had just rotated away.
func TestConcurrentFirstLoadsShareOneCredential(t *testing.T) {
	r := newRig(t)
	id := r.signIn("me")
	for round := range 5 { // the loads overlap in most rounds, not all
		m2 := r.manager() // nothing loaded yet
		var wg sync.WaitGroup
		got := make([]provider.Credential, 20)
		start := make(chan struct{})
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				c, err := m2.Credential(ctxT(t), id)
				if err != nil {
					t.Error(err)
				}
				got[i] = c
			}()
		}
		close(start)
		wg.Wait()
		for i, c := range got {
			if c != got[0] {
				t.Fatalf("round %d: load %d made another credential than load 0", round, i)
			}
			if c.NeedsSignIn() {
				t.Fatalf("round %d: load %d: a first load signed the account out", round, i)
			}
		}
	}
}

// A refresh token refused because another holder of the sign-in rotated
// it (another process refreshed and stored its tokens) does not sign the
// account out: the stored tokens are taken, used as they are while the
// access token is valid, refreshed when it is not.
func TestRefusedRefreshTakesTheTokensRotatedElsewhere(t *testing.T) {
	for _, storedExpired := range []bool{false, true} {
		t.Run(fmt.Sprintf("stored access expired %v", storedExpired), func(t *testing.T) {
			r := newRig(t)
			id := r.signIn("me")
			here, _ := r.m.Credential(ctxT(t), id)
			other, _ := r.manager().Credential(ctxT(t), id) // another process's
			first, _ := here.Access(ctxT(t))
			// The other process's request saw the token rejected: it rotates
			// the refresh token and stores the new tokens.
			theirs, err := other.Reauthorize(ctxT(t), first.Token)
			if err != nil {
				t.Fatal(err)
			}
			calls := func() (n int) { r.idp.Set(func(s *idpsim.Server) { n = s.RefreshCalls }); return }
			wantCalls := 2 // theirs, then this one's refused
			var acc provider.Access
			if storedExpired {
				r.expire()    // every token issued so far has expired
				wantCalls = 3 // and the stored refresh token traded
				acc, err = here.Access(ctxT(t))
			} else {
				acc, err = here.Reauthorize(ctxT(t), first.Token)
			}
			if err != nil {
				t.Fatalf("after another process rotated the refresh token: %v", err)
			}
			if here.NeedsSignIn() || r.outs.Load() != 0 {
				t.Fatal("the account was signed out")
			}
			if n := calls(); n != wantCalls {
				t.Errorf("%d refresh calls, want %d", n, wantCalls)
			}
			switch {
			case !storedExpired && acc.Token != theirs.Token:
				t.Errorf("token %q, want the one the other process stored", acc.Token)
			case storedExpired && acc.Token == theirs.Token:
				t.Error("the stored, expired access token was handed out")
			}
			// What is stored now is what this manager uses.
			c3, _ := r.manager().Credential(ctxT(t), id)
			if c3.(*cred).rec.Access != acc.Token {
				t.Error("the store does not hold the tokens in use")
			}
		})
	}
}

// Tokens another process stored replace the live ones at the next Sync;
// a request that still holds the replaced credential is served by the
// new one, not told to sign in again.
func TestSyncedTokensServeHoldersOfTheReplacedCredential(t *testing.T) {
	r := newRig(t)
	id := r.signIn("me")
	held, _ := r.m.Credential(ctxT(t), id)
	if _, err := r.m.Sync(ctxT(t)); err != nil { // sets the mark
		t.Fatal(err)
	}
	first, _ := held.Access(ctxT(t))
	other, _ := r.manager().Credential(ctxT(t), id)
	theirs, err := other.Reauthorize(ctxT(t), first.Token) // another process rotates and stores
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := r.m.Sync(ctxT(t)); err != nil || !changed {
		t.Fatalf("Sync = %v, %v; want the other process's tokens adopted", changed, err)
	}
	if held.NeedsSignIn() {
		t.Fatal("the replaced credential reports the account signed out")
	}
	acc, err := held.Access(ctxT(t))
	if err != nil || acc.Token != theirs.Token {
		t.Fatalf("through the replaced credential: %q, %v; want the stored token", acc.Token, err)
	}
	var calls int
	r.idp.Set(func(s *idpsim.Server) { calls = s.RefreshCalls })
	if calls != 1 {
		t.Errorf("%d refresh calls, want only the other process's", calls)
	}
}

// A refresh refused while Sync reads the account's row (the sign-in was
// revoked) is not undone by that older row: the account stays signed out.
func TestSyncKeepsASignOutMadeWhileItRead(t *testing.T) {
	r := newRig(t)
	id := r.signIn("me")
	got, _ := r.m.Credential(ctxT(t), id)
	c := got.(*cred)
	if _, err := r.m.Sync(ctxT(t)); err != nil { // sets the mark
		t.Fatal(err)
	}
	// Another process logs a refresh of the account that changes nothing.
	tx, err := r.m.db.BeginTx(ctxT(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := logRow(ctxT(t), tx, time.Now(), id, c.provider, c.name, OutcomeRefreshed, "another process"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	r.m.syncRead = func() {
		r.m.syncRead = nil
		c.mu.Lock()
		_ = c.markSignedOutLocked(ctxT(t), errors.New("token revoked"))
		c.mu.Unlock()
	}
	if _, err := r.m.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	st, err := r.m.StatusOf(ctxT(t), id)
	if err != nil || st.TokenState != "needs_sign_in" || !strings.Contains(st.LastError, "revoked") {
		t.Fatalf("status %+v, %v; want needs_sign_in", st, err)
	}
}
