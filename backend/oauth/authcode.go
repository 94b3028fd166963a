package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// shutdownGrace bounds how long closing the listener waits for the browser
// to receive its last page.
const shutdownGrace = 2 * time.Second

// Pending is one authorization-code sign-in in progress: a bound loopback
// listener, a state and a PKCE verifier. It allows exactly one code
// exchange, fed either by the browser's redirect (Wait) or by a pasted code
// (Complete); whichever arrives first wins and both report its outcome.
type Pending struct {
	ep          Endpoint
	redirectURL string // loopback redirect_uri, with the bound port
	state       string
	verifier    string
	authURL     string
	manualURL   string

	ln        net.Listener
	srv       *http.Server
	redirects chan redirect // the handler hands a redirect to Wait
	closeOnce sync.Once

	mu      sync.Mutex
	claimed bool          // an exchange (or the end of the flow) is under way
	done    chan struct{} // closed once tok/err are set
	tok     *Token
	err     error
}

// redirect is one browser request to the redirect path, waiting for the
// outcome to render.
type redirect struct {
	query url.Values
	reply chan error
}

// Begin binds the redirect listener first (a taken port fails here, before
// the user is sent anywhere), then builds the authorization URL with a
// fresh state and S256 code challenge. ctx only bounds the bind; the flow
// lives until Wait, Complete or Close ends it.
func Begin(ctx context.Context, ep Endpoint) (*Pending, error) {
	ep = ep.withDefaults()
	if err := ep.validate(needAuth); err != nil {
		return nil, err
	}
	bindIP, _ := loopbackBind(ep.RedirectHost) // validated above
	addr := net.JoinHostPort(bindIP, strconv.Itoa(ep.RedirectPort))
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, listenError(ep, addr, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	p := &Pending{
		ep:          ep,
		redirectURL: "http://" + net.JoinHostPort(ep.RedirectHost, strconv.Itoa(port)) + ep.RedirectPath,
		state:       rand.Text(),
		verifier:    oauth2.GenerateVerifier(),
		ln:          ln,
		redirects:   make(chan redirect),
		done:        make(chan struct{}),
	}
	p.authURL = p.buildURL(p.redirectURL)
	if ep.ManualRedirectURL != "" {
		p.manualURL = p.buildURL(ep.ManualRedirectURL)
	}
	p.srv = &http.Server{
		Handler:           http.HandlerFunc(p.serveRedirect),
		ReadHeaderTimeout: 10 * time.Second,
		// Nothing a stray client can provoke here is worth a line on stderr.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// listenError explains a failed bind. A fixed port is the vendor's choice,
// not the user's, so the message says who else is likely holding it.
func listenError(ep Endpoint, addr string, err error) error {
	if !isAddrInUse(err) {
		return fmt.Errorf("oauth: %s: cannot listen on %s for the sign-in redirect: %w", ep.label(), addr, err)
	}
	msg := fmt.Sprintf("oauth: %s: cannot listen on %s for the sign-in redirect", ep.label(), addr)
	if ep.RedirectPort != 0 {
		msg += fmt.Sprintf("; %s's sign-in only accepts port %d, and another program holds it", ep.label(), ep.RedirectPort)
		if ep.PortHolder != "" {
			msg += " (usually " + ep.PortHolder + ")"
		}
		msg += "; close it or let its sign-in finish, then try again"
	}
	return fmt.Errorf("%s: %w: %w", msg, ErrPortInUse, err)
}

// buildURL is the authorization URL for one redirect_uri.
func (p *Pending) buildURL(redirectURI string) string {
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(p.verifier)}
	for k, v := range p.ep.ExtraAuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	return p.ep.config(redirectURI).AuthCodeURL(p.state, opts...)
}

// URL is the authorization URL to open in this machine's browser; the
// identity server sends the browser back to the loopback listener.
func (p *Pending) URL() string { return p.authURL }

// ManualURL is the authorization URL whose redirect is the vendor's hosted
// page that shows a code to paste into Complete, or "" when the endpoint
// has none (then the user pastes the loopback URL the browser failed to
// open). Both URLs share the state and challenge, so either can finish.
func (p *Pending) ManualURL() string { return p.manualURL }

// RedirectURL is the loopback redirect_uri, with the port actually bound.
func (p *Pending) RedirectURL() string { return p.redirectURL }

// Wait waits for the browser's redirect and exchanges its code, or returns
// the outcome of a Complete that won the race. The browser is shown a
// page with the result. The listener is closed when Wait returns, except
// when ctx ends while a Complete is still exchanging (that call closes it).
func (p *Pending) Wait(ctx context.Context) (*Token, error) {
	select {
	case rd := <-p.redirects:
		if !p.claim() {
			rd.reply <- errFinished
			return p.outcome(ctx)
		}
		tok, err := p.fromRedirect(ctx, rd.query)
		rd.reply <- err // the handler renders it before finish shuts the server down
		p.finish(tok, err)
		return tok, err
	case <-p.done:
		return p.outcome(ctx)
	case <-ctx.Done():
		err := fmt.Errorf("oauth: %s: sign-in canceled: %w", p.ep.label(), context.Cause(ctx))
		if p.claim() {
			p.finish(nil, err)
		}
		return nil, err
	}
}

// Complete finishes the sign-in with what the user pasted: the whole
// redirect URL, "code#state" as Claude's manual page shows it, or the bare
// code. A paste that cannot be used (malformed, or another sign-in's
// state) is refused without an exchange and leaves the flow open for
// another try.
func (p *Pending) Complete(ctx context.Context, pasted string) (*Token, error) {
	code, redirectURI, err := p.parsePasted(pasted)
	if err != nil {
		return nil, err
	}
	if !p.claim() {
		return p.outcome(ctx)
	}
	tok, err := p.exchange(ctx, code, redirectURI)
	p.finish(tok, err)
	return tok, err
}

// Close abandons the sign-in and closes the listener. It is safe to call
// at any time and more than once; a finished flow keeps its outcome.
func (p *Pending) Close() error {
	if p.claim() {
		p.finish(nil, fmt.Errorf("oauth: %s: sign-in abandoned", p.ep.label()))
	}
	p.shutdown()
	return nil
}

// fromRedirect checks a redirect's state before anything else (an error
// redirect with a foreign state is as untrusted as a code), then its error,
// then exchanges its code.
func (p *Pending) fromRedirect(ctx context.Context, q url.Values) (*Token, error) {
	if !p.stateMatches(q.Get("state")) {
		return nil, fmt.Errorf("oauth: %s: redirect refused: %w", p.ep.label(), ErrStateMismatch)
	}
	if err := redirectError(p.ep, q); err != nil {
		return nil, err
	}
	code := q.Get("code")
	if code == "" {
		return nil, fmt.Errorf("oauth: %s: the redirect carried no code", p.ep.label())
	}
	return p.exchange(ctx, code, p.redirectURL)
}

// redirectError reads an RFC 6749 §4.1.2.1 error redirect.
func redirectError(ep Endpoint, q url.Values) error {
	code := q.Get("error")
	if code == "" {
		return nil
	}
	se := &ServerError{Code: clean(code, 64), Description: clean(q.Get("error_description"), 200)}
	if code == "access_denied" {
		return fmt.Errorf("oauth: %s: %w: %w", ep.label(), ErrAccessDenied, se)
	}
	return fmt.Errorf("oauth: %s: sign-in failed: %w", ep.label(), se)
}

// exchange trades the code for tokens, proving possession of the verifier.
func (p *Pending) exchange(ctx context.Context, code, redirectURI string) (*Token, error) {
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(p.verifier)}
	if p.ep.ExchangeState {
		opts = append(opts, oauth2.SetAuthURLParam("state", p.state))
	}
	t, err := p.ep.config(redirectURI).Exchange(p.ep.clientContext(ctx), code, opts...)
	if err != nil {
		return nil, classify(ctx, p.ep, "exchanging the code", err)
	}
	return newToken(t), nil
}

// stateMatches compares in constant time: the state is a CSRF secret.
func (p *Pending) stateMatches(got string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(p.state)) == 1
}

// claim takes the one exchange this flow allows.
func (p *Pending) claim() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.claimed {
		return false
	}
	p.claimed = true
	return true
}

// finish records the outcome, wakes every waiter and closes the listener.
func (p *Pending) finish(tok *Token, err error) {
	p.mu.Lock()
	p.tok, p.err = tok, err
	close(p.done)
	p.mu.Unlock()
	p.shutdown()
}

// outcome waits for the exchange another caller claimed.
// A finished flow reports its outcome even to a canceled ctx.
func (p *Pending) outcome(ctx context.Context) (*Token, error) {
	select {
	case <-p.done:
	default:
		select {
		case <-p.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("oauth: %s: sign-in canceled: %w", p.ep.label(), context.Cause(ctx))
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	return p.tok, nil
}

// shutdown closes the listener, lets an in-flight page finish, then drops
// whatever is left. The listener is closed here, not only by Shutdown: the
// Serve goroutine may not have taken it over yet, and the port must be
// free when the flow reports its outcome.
func (p *Pending) shutdown() {
	p.closeOnce.Do(func() {
		_ = p.ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := p.srv.Shutdown(ctx); err != nil {
			_ = p.srv.Close()
		}
	})
}

// String never includes the state or the verifier.
func (p *Pending) String() string {
	return fmt.Sprintf("oauth.Pending{%s redirect=%s}", p.ep.label(), p.redirectURL)
}

// Format routes every verb through String (the struct holds the verifier).
func (p *Pending) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(p.String())) }

// LogValue is the redacted view for slog.
func (p *Pending) LogValue() slog.Value {
	return slog.GroupValue(slog.String("endpoint", p.ep.label()), slog.String("redirect", p.redirectURL))
}
