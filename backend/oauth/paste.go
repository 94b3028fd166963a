package oauth

import (
	"fmt"
	"net/url"
	"strings"
)

// parsePasted reads what the user copied after signing in elsewhere and
// returns the code and the redirect_uri the exchange must repeat (RFC 6749
// §4.1.3: the one the code was issued for). The form tells which page it
// came from:
//
//   - a whole URL: the loopback redirect the browser could not open, or the
//     vendor's manual page; its query holds code and state (or an error);
//   - "code=…&state=…": the same query without the address;
//   - "code#state": Claude's manual page shows this; the manual redirect;
//   - a bare code: the manual page when the endpoint has one.
//
// A state that is present must be this sign-in's; a missing one is
// accepted, since the PKCE verifier still binds the code to this flow.
func (p *Pending) parsePasted(pasted string) (code, redirectURI string, err error) {
	s := strings.TrimSpace(pasted)
	if s == "" {
		return "", "", fmt.Errorf("oauth: %s: nothing was pasted", p.ep.label())
	}
	var state string
	switch {
	case strings.Contains(s, "://"):
		u, perr := url.Parse(s)
		if perr != nil {
			return "", "", fmt.Errorf("oauth: %s: the pasted URL does not parse: %w", p.ep.label(), perr)
		}
		if redirectURI = p.redirectFor(u); redirectURI == "" {
			return "", "", fmt.Errorf("oauth: %s: the pasted URL is not this sign-in's redirect (want %s?code=…)",
				p.ep.label(), p.redirectURL)
		}
		if code, state, err = p.fromQuery(u.Query()); err != nil {
			return "", "", err
		}
	case strings.Contains(s, "code=") || strings.Contains(s, "error="):
		q, perr := url.ParseQuery(strings.TrimPrefix(s, "?"))
		if perr != nil {
			return "", "", fmt.Errorf("oauth: %s: the pasted query does not parse: %w", p.ep.label(), perr)
		}
		if code, state, err = p.fromQuery(q); err != nil {
			return "", "", err
		}
		redirectURI = p.redirectURL
	default:
		code, state, _ = strings.Cut(s, "#")
		redirectURI = p.redirectURL
		if p.ep.ManualRedirectURL != "" {
			redirectURI = p.ep.ManualRedirectURL
		}
	}
	if code == "" || strings.ContainsAny(code, " \t\r\n") {
		return "", "", fmt.Errorf("oauth: %s: the pasted text holds no usable code", p.ep.label())
	}
	if state != "" && !p.stateMatches(state) {
		return "", "", fmt.Errorf("oauth: %s: pasted code refused: %w", p.ep.label(), ErrStateMismatch)
	}
	return code, redirectURI, nil
}

// fromQuery reads a redirect query; an error redirect becomes its error.
func (p *Pending) fromQuery(q url.Values) (code, state string, err error) {
	state = q.Get("state")
	if state != "" && !p.stateMatches(state) {
		return "", "", fmt.Errorf("oauth: %s: pasted URL refused: %w", p.ep.label(), ErrStateMismatch)
	}
	if err := redirectError(p.ep, q); err != nil {
		return "", "", err
	}
	return q.Get("code"), state, nil
}

// redirectFor maps a pasted URL to the redirect_uri it answers: the
// manual page, or the loopback redirect (any loopback spelling, any port:
// the browser may show 127.0.0.1 for localhost; the port is ours).
func (p *Pending) redirectFor(u *url.URL) string {
	if p.ep.ManualRedirectURL != "" {
		if m, err := url.Parse(p.ep.ManualRedirectURL); err == nil &&
			strings.EqualFold(u.Scheme, m.Scheme) && strings.EqualFold(u.Host, m.Host) && u.Path == m.Path {
			return p.ep.ManualRedirectURL
		}
	}
	if u.Scheme == "http" && isLoopbackHost(u.Hostname()) && u.Path == p.ep.RedirectPath {
		return p.redirectURL
	}
	return ""
}
