package oauth

import (
	"switchboard/backend/oauth/idpsim"

	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// page is what the browser showed after following the sign-in.
type page struct {
	status int
	body   string
	err    error
}

// openBrowser follows the authorization URL in the background, as the
// user's browser would, through to the loopback redirect's page.
func openBrowser(url string) <-chan page {
	ch := make(chan page, 1)
	go func() {
		st, body, err := visit(url)
		ch <- page{st, body, err}
	}()
	return ch
}

// assertClosed checks the redirect listener no longer accepts connections.
func assertClosed(t *testing.T, p *Pending) {
	t.Helper()
	u, err := url.Parse(p.RedirectURL())
	if err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		c.Close()
		t.Fatalf("redirect listener %s still accepts connections", u.Host)
	}
}

func TestAuthCodeFlowWithPKCE(t *testing.T) {
	for _, tc := range []struct {
		name string
		// anthropic: the token endpoint wants JSON with state and names the
		// account in the answer instead of an id_token.
		anthropic bool
	}{{"form and id_token (codex shape)", false}, {"json and state (claude shape)", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newIDP(t)
			ep := endpointOf(s)
			ep.ExtraAuthParams = map[string]string{"originator": "codex_cli_rs", "codex_cli_simplified_flow": "true"}
			if tc.anthropic {
				s.Set(func(s *idp) { s.RequireJSON, s.RequireState, s.AnthropicBody = true, true, true })
				ep.TokenJSON, ep.ExchangeState = true, true
			}
			ctx := testCtx(t)
			p, err := Begin(ctx, ep)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()

			u, err := url.Parse(p.URL())
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			for k, want := range map[string]string{
				"response_type": "code", "client_id": "test-client", "redirect_uri": p.RedirectURL(),
				"scope": "openid offline_access", "code_challenge_method": "S256",
				"originator": "codex_cli_rs", "codex_cli_simplified_flow": "true",
			} {
				if got := q.Get(k); got != want {
					t.Errorf("auth URL %s = %q, want %q", k, got, want)
				}
			}
			if len(q.Get("state")) < 20 || len(q.Get("code_challenge")) != 43 {
				t.Errorf("state %q / challenge %q look too weak", q.Get("state"), q.Get("code_challenge"))
			}
			if !strings.HasPrefix(p.RedirectURL(), "http://127.0.0.1:") || !strings.HasSuffix(p.RedirectURL(), "/auth/callback") {
				t.Errorf("redirect URL %q", p.RedirectURL())
			}

			pg := openBrowser(p.URL())
			tok, err := p.Wait(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := <-pg
			if got.err != nil || got.status != 200 || !strings.Contains(got.body, "You can close this tab") {
				t.Errorf("browser page: %d %q %v", got.status, got.body, got.err)
			}
			if !strings.HasPrefix(tok.AccessToken.Reveal(), "at-") || !strings.HasPrefix(tok.RefreshToken.Reveal(), "rt-") ||
				tok.TokenType != "Bearer" || time.Until(tok.Expiry) < 59*time.Minute || tok.Scope != "openid offline_access" {
				t.Errorf("token %v: access %q refresh %q expiry %v", tok, tok.AccessToken.Reveal(), tok.RefreshToken.Reveal(), tok.Expiry)
			}
			req := s.LastRequest()
			if tc.anthropic {
				if req.ContentType != "application/json" || req.Params.Get("state") == "" {
					t.Errorf("claude-shape exchange sent %s with state %q", req.ContentType, req.Params.Get("state"))
				}
				want := Claims{Email: "max@example.com", AccountID: "acc-uuid", OrganizationID: "org-uuid"}
				if tok.Claims != want || tok.IDToken != "" {
					t.Errorf("claims %+v, want %+v", tok.Claims, want)
				}
			} else {
				if req.ContentType != "application/x-www-form-urlencoded" || req.Params.Has("state") {
					t.Errorf("codex-shape exchange sent %s, state present %v", req.ContentType, req.Params.Has("state"))
				}
				want := Claims{Subject: "user-123", Email: "ada@example.com", AccountID: "acct-42", PlanType: "pro"}
				if tok.Claims != want || tok.IDToken.Reveal() != s.IDToken {
					t.Errorf("claims %+v, want %+v", tok.Claims, want)
				}
			}
			assertClosed(t, p)
		})
	}
}

func TestWrongVerifierIsInvalidGrant(t *testing.T) {
	s := newIDP(t)
	s.Set(func(s *idp) { s.CorruptPKCE = true })
	ctx := testCtx(t)
	p, err := Begin(ctx, endpointOf(s))
	if err != nil {
		t.Fatal(err)
	}
	pg := openBrowser(p.URL())
	_, err = p.Wait(ctx)
	if !errors.Is(err, ErrInvalidGrant) || errors.Is(err, ErrTransient) {
		t.Fatalf("Wait = %v, want ErrInvalidGrant", err)
	}
	var se *ServerError
	if !errors.As(err, &se) || se.Status != 400 || se.Description != "PKCE verification failed" {
		t.Errorf("server error %+v", se)
	}
	if !strings.HasPrefix(err.Error(), "oauth: test: exchanging the code: ") {
		t.Errorf("message %q", err)
	}
	if got := <-pg; got.status != 400 || !strings.Contains(got.body, "Sign-in failed") {
		t.Errorf("browser page: %d %q", got.status, got.body)
	}
	if s.Calls() != 1 {
		t.Errorf("%d token calls, want 1", s.Calls())
	}
	assertClosed(t, p)
}

func TestStateMismatchIsRefusedWithoutExchange(t *testing.T) {
	s := newIDP(t)
	ctx := testCtx(t)
	p, err := Begin(ctx, endpointOf(s))
	if err != nil {
		t.Fatal(err)
	}
	// A stale tab or a forged request: a code under someone else's state.
	pg := openBrowser(p.RedirectURL() + "?code=stolen&state=" + url.QueryEscape("not-"+p.state))
	_, err = p.Wait(ctx)
	if !errors.Is(err, ErrStateMismatch) {
		t.Fatalf("Wait = %v, want ErrStateMismatch", err)
	}
	if got := <-pg; got.status != 400 || !strings.Contains(got.body, "state does not match") {
		t.Errorf("browser page: %d %q", got.status, got.body)
	}
	if s.Calls() != 0 {
		t.Errorf("%d token calls after a state mismatch, want 0", s.Calls())
	}
	assertClosed(t, p)
}

func TestConsentDenied(t *testing.T) {
	s := newIDP(t)
	s.Set(func(s *idp) { s.Deny = true })
	ctx := testCtx(t)
	p, err := Begin(ctx, endpointOf(s))
	if err != nil {
		t.Fatal(err)
	}
	pg := openBrowser(p.URL())
	_, err = p.Wait(ctx)
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "The user declined") {
		t.Fatalf("Wait = %v, want ErrAccessDenied with the server's description", err)
	}
	if got := <-pg; got.status != 400 || !strings.Contains(got.body, "declined") {
		t.Errorf("browser page: %d %q", got.status, got.body)
	}
	if s.Calls() != 0 {
		t.Errorf("%d token calls after a denial, want 0", s.Calls())
	}
	assertClosed(t, p)
}

func TestFixedPortTaken(t *testing.T) {
	s := newIDP(t)
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := held.Addr().(*net.TCPAddr).Port

	ep := endpointOf(s)
	ep.Name, ep.RedirectPort, ep.PortHolder = "codex", port, "the Codex CLI's `codex login`"
	p, err := Begin(testCtx(t), ep)
	if err == nil {
		p.Close()
		t.Fatal("Begin succeeded on a taken port")
	}
	if !errors.Is(err, ErrPortInUse) {
		t.Errorf("err = %v, want ErrPortInUse", err)
	}
	msg := err.Error()
	if !containsAll(msg, "oauth: codex:", "127.0.0.1:"+strconv.Itoa(port), "port "+strconv.Itoa(port), "codex login") {
		t.Errorf("message does not name the port and its likely holder: %q", msg)
	}

	// A free port is not blamed on anyone.
	ep.RedirectPort = 0
	p, err = Begin(testCtx(t), ep)
	if err != nil {
		t.Fatalf("Begin on any free port: %v", err)
	}
	p.Close()
}

func TestWaitCanceled(t *testing.T) {
	s := newIDP(t)
	p, err := Begin(testCtx(t), endpointOf(s))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(testCtx(t))
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = p.Wait(ctx)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "oauth: test: sign-in canceled") {
		t.Fatalf("Wait = %v, want a cancellation", err)
	}
	assertClosed(t, p)
	// The flow is over: a late paste gets the same answer, no exchange.
	if _, err := p.Complete(testCtx(t), "some-code"); !errors.Is(err, context.Canceled) {
		t.Errorf("Complete after cancel = %v", err)
	}
	if s.Calls() != 0 {
		t.Errorf("%d token calls, want 0", s.Calls())
	}
}

func TestManualPaste(t *testing.T) {
	for _, tc := range []struct {
		name string
		// paste builds the text the user pastes from the Pending.
		paste func(t *testing.T, p *Pending) string
		// manual: the endpoint has a hosted code page, and the exchange
		// must repeat its redirect_uri.
		manual bool
	}{
		{"full loopback URL", func(t *testing.T, p *Pending) string { return codeFrom(t, p.URL()).String() }, false},
		{"loopback URL spelled localhost", func(t *testing.T, p *Pending) string {
			u := codeFrom(t, p.URL())
			u.Host = "localhost:" + u.Port()
			return "  " + u.String() + "\n"
		}, false},
		{"query only", func(t *testing.T, p *Pending) string { return codeFrom(t, p.URL()).RawQuery }, false},
		{"code#state from the manual page", func(t *testing.T, p *Pending) string {
			q := codeFrom(t, p.ManualURL()).Query()
			return q.Get("code") + "#" + q.Get("state")
		}, true},
		{"bare code from the manual page", func(t *testing.T, p *Pending) string {
			return codeFrom(t, p.ManualURL()).Query().Get("code")
		}, true},
		{"full manual-page URL", func(t *testing.T, p *Pending) string { return codeFrom(t, p.ManualURL()).String() }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newIDP(t)
			ep := endpointOf(s)
			if tc.manual {
				ep.ManualRedirectURL = "https://console.example.com/oauth/code/callback"
			}
			ctx := testCtx(t)
			p, err := Begin(ctx, ep)
			if err != nil {
				t.Fatal(err)
			}
			if tc.manual != (p.ManualURL() != "") {
				t.Fatalf("ManualURL() = %q", p.ManualURL())
			}
			tok, err := p.Complete(ctx, tc.paste(t, p))
			if err != nil {
				t.Fatal(err)
			}
			if tok.Claims.AccountID != "acct-42" {
				t.Errorf("claims %+v", tok.Claims)
			}
			wantRedirect := p.RedirectURL()
			if tc.manual {
				wantRedirect = ep.ManualRedirectURL
			}
			if got := s.LastRequest().Params.Get("redirect_uri"); got != wantRedirect {
				t.Errorf("exchange redirect_uri = %q, want %q", got, wantRedirect)
			}
			assertClosed(t, p)
			// Wait after the paste reports the same outcome.
			if again, err := p.Wait(ctx); err != nil || again != tok {
				t.Errorf("Wait after Complete = %v, %v", again, err)
			}
		})
	}
}

func TestManualPasteRefusals(t *testing.T) {
	s := newIDP(t)
	ep := endpointOf(s)
	ep.ManualRedirectURL = "https://console.example.com/oauth/code/callback"
	ctx := testCtx(t)
	p, err := Begin(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	code := codeFrom(t, p.ManualURL()).Query().Get("code")
	for _, tc := range []struct {
		paste string
		is    error
		says  string
	}{
		{code + "#someone-elses-state", ErrStateMismatch, "pasted code refused"},
		{"http://127.0.0.1:1/auth/callback?code=" + code + "&state=other", ErrStateMismatch, "pasted URL refused"},
		{"https://evil.example.com/cb?code=" + code, nil, "not this sign-in's redirect"},
		{"http://127.0.0.1:1/auth/callback?error=access_denied&state=" + p.state, ErrAccessDenied, "access denied"},
		{"   ", nil, "nothing was pasted"},
		{"two words", nil, "no usable code"},
	} {
		_, err := p.Complete(ctx, tc.paste)
		if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("Complete(%q) = %v, want %v / %q", tc.paste, err, tc.is, tc.says)
		}
	}
	if s.Calls() != 0 {
		t.Fatalf("%d token calls for refused pastes, want 0", s.Calls())
	}
	// Refusals leave the flow open: the right paste still works.
	if _, err := p.Complete(ctx, code+"#"+p.state); err != nil {
		t.Fatalf("Complete after refusals: %v", err)
	}
}

func TestWaitAndCompleteShareOneExchange(t *testing.T) {
	s := newIDP(t)
	ctx := testCtx(t)
	p, err := Begin(ctx, endpointOf(s))
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		tok *Token
		err error
	}
	waited := make(chan result, 1)
	go func() {
		tok, err := p.Wait(ctx)
		waited <- result{tok, err}
	}()
	tok, err := p.Complete(ctx, codeFrom(t, p.URL()).String())
	if err != nil {
		t.Fatal(err)
	}
	if w := <-waited; w.err != nil || w.tok != tok {
		t.Errorf("Wait = %v, %v; want the pasted sign-in's token", w.tok, w.err)
	}
	assertClosed(t, p)
	if s.Calls() != 1 {
		t.Errorf("%d token calls, want 1", s.Calls())
	}
}

func TestRedirectListenerRefusesStrangers(t *testing.T) {
	s := newIDP(t)
	p, err := Begin(testCtx(t), endpointOf(s))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	u, _ := url.Parse(p.RedirectURL())
	if st, _, _ := visit("http://" + u.Host + "/favicon.ico"); st != 404 {
		t.Errorf("other path: %d, want 404", st)
	}
	// A DNS-rebinding page reaches the port under a foreign Host header.
	c := browser()
	req, _ := newGet(p.RedirectURL() + "?code=x&state=" + p.state)
	req.Host = "attacker.example:" + u.Port()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("foreign Host: %d, want 403", resp.StatusCode)
	}
	if s.Calls() != 0 {
		t.Errorf("%d token calls, want 0", s.Calls())
	}
}

func TestBeginValidatesEndpoint(t *testing.T) {
	ep := Endpoint{Name: "bad", AuthURL: "http://idp.example.com/authorize", TokenURL: "ftp://x", RedirectHost: "0.0.0.0",
		ExtraAuthParams: map[string]string{"state": "fixed"}}
	_, err := Begin(testCtx(t), ep)
	if err == nil {
		t.Fatal("Begin accepted a broken endpoint")
	}
	if !containsAll(err.Error(), "oauth: bad: invalid endpoint", "client id is empty", "token URL",
		"extra auth param \"state\"",
		"authorization URL", "must be https", "not a loopback address") {
		t.Errorf("message %q does not list every problem", err)
	}
}

func TestCodexAuthURLMatchesTheCLI(t *testing.T) {
	// The redirect must be exactly what OpenAI registered for the Codex
	// client; build the URL without binding 1455 (it may be busy here).
	ep := Codex().withDefaults()
	p := &Pending{ep: ep, state: "st", verifier: "ver", redirectURL: "http://localhost:1455/auth/callback"}
	u, err := url.Parse(p.buildURL(p.redirectURL))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "auth.openai.com" || q.Get("redirect_uri") != "http://localhost:1455/auth/callback" ||
		q.Get("scope") != "openid profile email offline_access" || q.Get("id_token_add_organizations") != "true" ||
		q.Get("code_challenge") != idpsim.S256("ver") || q.Get("code_challenge_method") != "S256" || q.Get("state") != "st" {
		t.Errorf("codex auth URL %s", u)
	}
}

func TestPendingNeverPrintsSecrets(t *testing.T) {
	s := newIDP(t)
	p, err := Begin(testCtx(t), endpointOf(s))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, out := range formatAll(p) {
		if strings.Contains(out, p.verifier) || strings.Contains(out, p.state) {
			t.Errorf("pending flow printed its verifier or state: %s", out)
		}
	}
}
