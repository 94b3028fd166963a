package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// idp is a scripted identity server on loopback that speaks the wire
// formats of RFC 6749 (code and refresh grants, error answers), RFC 7636
// (S256 PKCE, checked) and RFC 8628 (device authorization and polling).
// Its knobs script the answers a test needs.
type idp struct {
	t   *testing.T
	srv *httptest.Server

	clientID string

	mu sync.Mutex
	// authorize
	deny          bool // answer error=access_denied
	corruptPKCE   bool // remember a challenge the verifier will not match
	requireState  bool // token endpoint wants state (Anthropic)
	requireJSON   bool // token endpoint takes JSON only (Anthropic)
	codes         map[string]codeGrant
	anthropicBody bool // token answers carry account/organization
	// refresh
	refreshTokens map[string]bool
	rotate        bool
	refreshStatus int // answer this status (with an HTML body) instead
	// device
	deviceScript    []string // one answer per poll: pending, slow_down, expired_token, access_denied, ok
	deviceExpires   int      // expires_in seconds
	deviceChallenge string
	// observations
	tokenCalls int
	requests   []tokenRequest
	idToken    string
}

type codeGrant struct {
	challenge, redirectURI, state string
	used                          bool
}

// tokenRequest is one call to the token endpoint as the server saw it.
type tokenRequest struct {
	contentType string
	params      url.Values
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	s := &idp{
		t:             t,
		clientID:      "test-client",
		codes:         map[string]codeGrant{},
		refreshTokens: map[string]bool{},
		deviceExpires: 600,
		idToken: fakeJWT(map[string]any{
			"sub":   "user-123",
			"email": "ada@example.com",
			"https://api.openai.com/auth": map[string]any{
				"chatgpt_account_id": "acct-42",
				"chatgpt_plan_type":  "pro",
			},
		}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /device/code", s.deviceCode)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// endpoint points an Endpoint at this server.
func (s *idp) endpoint() Endpoint {
	return Endpoint{
		Name:         "test",
		AuthURL:      s.srv.URL + "/authorize",
		TokenURL:     s.srv.URL + "/token",
		DeviceURL:    s.srv.URL + "/device/code",
		ClientID:     s.clientID,
		Scopes:       []string{"openid", "offline_access"},
		RedirectHost: "127.0.0.1",
		RedirectPath: "/auth/callback",
		HTTPClient:   s.srv.Client(),
	}
}

func (s *idp) set(f func(*idp)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *idp) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCalls
}

func (s *idp) lastRequest() tokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		s.t.Fatal("no token request was made")
	}
	return s.requests[len(s.requests)-1]
}

// authorize plays a user who signs in and consents at once.
func (s *idp) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != s.clientID ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" {
		http.Error(w, "bad authorization request: "+q.Encode(), http.StatusBadRequest)
		return
	}
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || back.Scheme == "" {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ans := url.Values{"state": {q.Get("state")}}
	if s.deny {
		ans.Set("error", "access_denied")
		ans.Set("error_description", "The user declined")
	} else {
		code := rand.Text()
		challenge := q.Get("code_challenge")
		if s.corruptPKCE {
			challenge = s256(rand.Text())
		}
		s.codes[code] = codeGrant{challenge: challenge, redirectURI: back.String(), state: q.Get("state")}
		ans.Set("code", code)
	}
	back.RawQuery = ans.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token serves the code, refresh and device grants.
func (s *idp) token(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	raw, _ := io.ReadAll(r.Body)
	params := url.Values{}
	switch ct {
	case "application/json":
		var obj map[string]string
		if err := json.Unmarshal(raw, &obj); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_request", "body is not a JSON object of strings")
			return
		}
		for k, v := range obj {
			params.Set(k, v)
		}
	case "application/x-www-form-urlencoded":
		params, _ = url.ParseQuery(string(raw))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenCalls++
	s.requests = append(s.requests, tokenRequest{contentType: ct, params: params})
	if s.requireJSON && ct != "application/json" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "JSON body required")
		return
	}
	if params.Get("client_id") != s.clientID {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client")
		return
	}
	switch params.Get("grant_type") {
	case "authorization_code":
		s.codeGrant(w, params)
	case "refresh_token":
		s.refreshGrant(w, params)
	case "urn:ietf:params:oauth:grant-type:device_code":
		s.deviceGrant(w, params)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
	}
}

func (s *idp) codeGrant(w http.ResponseWriter, p url.Values) {
	g, ok := s.codes[p.Get("code")]
	switch {
	case !ok || g.used:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
	case p.Get("redirect_uri") != g.redirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match")
	case s256(p.Get("code_verifier")) != g.challenge: // RFC 7636 §4.6
		oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
	case s.requireState && p.Get("state") != g.state:
		oauthError(w, http.StatusBadRequest, "invalid_request", "state required")
	default:
		g.used = true
		s.codes[p.Get("code")] = g
		s.issue(w, true)
	}
}

func (s *idp) refreshGrant(w http.ResponseWriter, p url.Values) {
	if s.refreshStatus != 0 {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(s.refreshStatus)
		io.WriteString(w, "<html><body>upstream exploded</body></html>")
		return
	}
	rt := p.Get("refresh_token")
	if !s.refreshTokens[rt] {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Refresh token revoked")
		return
	}
	if s.rotate {
		delete(s.refreshTokens, rt)
	}
	s.issue(w, s.rotate)
}

func (s *idp) deviceCode(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	if r.PostForm.Get("client_id") != s.clientID {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "")
		return
	}
	s.mu.Lock()
	s.deviceChallenge = r.PostForm.Get("code_challenge")
	expires := s.deviceExpires
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":               "dev-code-secret",
		"user_code":                 "WDJB-MJHT",
		"verification_uri":          s.srv.URL + "/device",
		"verification_uri_complete": s.srv.URL + "/device?user_code=WDJB-MJHT",
		"expires_in":                expires,
		"interval":                  1,
	})
}

func (s *idp) deviceGrant(w http.ResponseWriter, p url.Values) {
	if p.Get("device_code") != "dev-code-secret" {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown device code")
		return
	}
	if s.deviceChallenge != "" && s256(p.Get("code_verifier")) != s.deviceChallenge {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		return
	}
	next := "authorization_pending"
	if len(s.deviceScript) > 0 {
		next, s.deviceScript = s.deviceScript[0], s.deviceScript[1:]
	}
	if next == "ok" {
		s.issue(w, true)
		return
	}
	oauthError(w, http.StatusBadRequest, next, "")
}

// issue answers a token request (RFC 6749 §5.1); the refresh token is new
// when withRefresh, absent otherwise.
func (s *idp) issue(w http.ResponseWriter, withRefresh bool) {
	body := map[string]any{
		"access_token": "at-" + rand.Text(),
		"token_type":   "Bearer",
		"expires_in":   3600,
		"scope":        "openid offline_access",
	}
	if withRefresh {
		rt := "rt-" + rand.Text()
		s.refreshTokens[rt] = true
		body["refresh_token"] = rt
	}
	if s.anthropicBody {
		body["account"] = map[string]any{"uuid": "acc-uuid", "email_address": "max@example.com"}
		body["organization"] = map[string]any{"uuid": "org-uuid", "name": "Max's org"}
	} else {
		body["id_token"] = s.idToken
	}
	writeJSON(w, http.StatusOK, body)
}

// oauthError writes an RFC 6749 §5.2 error answer.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	body := map[string]any{"error": code}
	if desc != "" {
		body["error_description"] = desc
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// fakeJWT builds an unsigned-looking JWT with the given claims.
func fakeJWT(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]any{"alg": "RS256", "typ": "JWT"}) + "." + enc(claims) + ".c2lnbmF0dXJl"
}

// browser follows redirects like a user's browser would; it never keeps
// connections, so a closed listener shows at once.
func browser() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// codeFrom fetches an authorization URL without following the redirect
// and returns where the server sent the browser: what a user would copy.
func codeFrom(t *testing.T, authURL string) *url.URL {
	t.Helper()
	c := browser()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("authorize answered %s without a redirect", resp.Status)
	}
	return loc
}

// visit is the browser opening url; it reports the last page's status and body.
func visit(url string) (int, string, error) {
	resp, err := browser().Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

func newGet(u string) (*http.Request, error) { return http.NewRequest(http.MethodGet, u, nil) }

// testCtx bounds every test that waits on a flow.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
