// Package idpsim is a scripted OAuth identity server for tests (of oauth,
// signin, core and the CLI; never imported by the product): loopback,
// following RFC 6749 (code and refresh grants, error answers), RFC 7636
// (S256 PKCE, checked), RFC 8628 (device flow) and the vendors' variations
// (Anthropic's JSON token requests with state and account fields, OpenAI's
// id_token). The oauth, signin and core tests sign in against it.
package idpsim

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Server is the identity server; its exported fields script the answers
// (change them with Set while it runs).
type Server struct {
	t   testing.TB
	srv *httptest.Server

	ClientID string

	mu sync.Mutex
	// ClientSecret is the secret every token request must carry, and ""
	// means none may (Google's installed-app clients send theirs; Claude's
	// and Codex's public clients have none to send).
	ClientSecret string
	// authorize
	Deny          bool // answer error=access_denied
	CorruptPKCE   bool // remember a challenge the verifier will not match
	RequireState  bool // token endpoint wants state (Anthropic)
	RequireJSON   bool // token endpoint takes JSON only (Anthropic)
	codes         map[string]codeGrant
	AnthropicBody bool // token answers carry account/organization
	// OmitRefresh answers the code grant without a refresh token (Google
	// on a repeated consent without prompt=consent).
	OmitRefresh bool
	// refresh
	RefreshTokens map[string]bool
	Rotate        bool
	RefreshStatus int // answer this status (with an HTML body) instead
	// device
	DeviceScript    []string // one answer per poll: pending, slow_down, expired_token, access_denied, ok
	DeviceExpires   int      // expires_in seconds
	DeviceChallenge string
	// SlowDownStatus answers slow_down with this status (default 400;
	// Qwen's answers 429).
	SlowDownStatus int
	// DeviceOmitURI leaves verification_uri out of the device answer, which
	// then names only verification_uri_complete (as Kimi's may).
	DeviceOmitURI bool
	// DeviceRequest is the last device authorization request.
	DeviceRequest TokenRequest
	// ResourceURL, when set, is sent as resource_url with every token
	// answer (Qwen names the account's API host so).
	ResourceURL string
	// observations
	TokenCalls int
	Requests   []TokenRequest
	IDToken    string

	// ExpiresIn is the access tokens' lifetime in seconds (default 3600);
	// 0 issues tokens that never expire, without a refresh token (GitHub's
	// Copilot sign-in).
	ExpiresIn int
	// RefreshDelay holds refresh answers back (outside the lock), so
	// concurrent callers pile up on one refresh.
	RefreshDelay time.Duration
	// RefreshCalls counts refresh_token grants.
	RefreshCalls int
	// Email names the account in Anthropic-shaped answers.
	Email string
	// FormAnswers answers the token endpoint as GitHub does: form-encoded
	// unless the request accepts application/json, and every error with
	// HTTP 200 (authorization_pending, slow_down… are 200s there).
	FormAnswers bool
	// AccessTokens are the access tokens issued and not revoked (the
	// GitHub API side, see github.go, accepts only these).
	AccessTokens map[string]bool

	github githubState

	// AWS SSO-OIDC (see aws.go): client registration, JSON token grants with
	// camelCase fields, and Kiro's refreshToken for social logins.
	Registrations         int               // clients registered
	ClientSecretExpiresIn int               // a client's lifetime in seconds (default 90 days)
	LastRegistration      map[string]any    // the last /client/register body
	LastDeviceAuth        map[string]string // the last /device_authorization body
	ProfileArn            string            // what Kiro's refreshToken answers carry
	awsClients            map[string]string // client id → secret
	awsRefresh            map[string]string // refresh token → the client it was issued to ("" social)
}

type codeGrant struct {
	challenge, redirectURI, state string
	used                          bool
}

// TokenRequest is one call to the token endpoint as the server saw it.
type TokenRequest struct {
	ContentType string
	Params      url.Values
	Header      http.Header
}

func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		t:                     t,
		ClientID:              "test-client",
		codes:                 map[string]codeGrant{},
		RefreshTokens:         map[string]bool{},
		AccessTokens:          map[string]bool{},
		DeviceExpires:         600,
		ExpiresIn:             3600,
		Email:                 "max@example.com",
		ClientSecretExpiresIn: 90 * 24 * 3600,
		ProfileArn:            "arn:aws:codewhisperer:us-east-1:000000000000:profile/FAKEPROFILE",
		awsClients:            map[string]string{},
		awsRefresh:            map[string]string{},
		IDToken: FakeJWT(map[string]any{
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
	mux.HandleFunc("POST /token", s.formAnswers(s.token))
	mux.HandleFunc("POST /device/code", s.deviceCode)
	s.githubRoutes(mux)
	mux.HandleFunc("POST /client/register", s.awsRegister)
	mux.HandleFunc("POST /device_authorization", s.awsDeviceAuth)
	mux.HandleFunc("POST /refreshToken", s.kiroRefresh)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the server's root; the endpoints are URL+"/authorize",
// URL+"/token" and URL+"/device/code" (and GitHub's API, see github.go).
func (s *Server) URL() string { return s.srv.URL }

// SetHandler replaces the whole server with h (a vendor quirk one test
// needs and no script knob covers).
func (s *Server) SetHandler(h http.Handler) { s.srv.Config.Handler = h }

// Close stops the server (an identity server that went away).
func (s *Server) Close() { s.srv.Close() }

// Client is an HTTP client that trusts the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Set changes the script under the server's lock.
func (s *Server) Set(f func(*Server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// Calls counts token endpoint calls.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.TokenCalls
}

// LastRequest is the last token request.
func (s *Server) LastRequest() TokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.Requests) == 0 {
		s.t.Fatal("no token request was made")
	}
	return s.Requests[len(s.Requests)-1]
}

// authorize plays a user who signs in and consents at once.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != s.ClientID ||
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
	if s.Deny {
		ans.Set("error", "access_denied")
		ans.Set("error_description", "The user declined")
	} else {
		code := rand.Text()
		challenge := q.Get("code_challenge")
		if s.CorruptPKCE {
			challenge = S256(rand.Text())
		}
		s.codes[code] = codeGrant{challenge: challenge, redirectURI: back.String(), state: q.Get("state")}
		ans.Set("code", code)
	}
	back.RawQuery = ans.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token serves the code, refresh and device grants.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
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
	if params.Get("grant_type") == "refresh_token" {
		s.mu.Lock()
		delay := s.RefreshDelay
		s.mu.Unlock()
		time.Sleep(delay)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.TokenCalls++
	s.Requests = append(s.Requests, TokenRequest{ContentType: ct, Params: params, Header: r.Header.Clone()})
	if params.Has("grantType") { // AWS SSO-OIDC's camelCase JSON
		s.awsToken(w, ct, params)
		return
	}
	if s.RequireJSON && ct != "application/json" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "JSON body required")
		return
	}
	if params.Get("client_id") != s.ClientID || params.Get("client_secret") != s.ClientSecret {
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

func (s *Server) codeGrant(w http.ResponseWriter, p url.Values) {
	g, ok := s.codes[p.Get("code")]
	switch {
	case !ok || g.used:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
	case p.Get("redirect_uri") != g.redirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match")
	case S256(p.Get("code_verifier")) != g.challenge: // RFC 7636 §4.6
		oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
	case s.RequireState && p.Get("state") != g.state:
		oauthError(w, http.StatusBadRequest, "invalid_request", "state required")
	default:
		g.used = true
		s.codes[p.Get("code")] = g
		s.issue(w, !s.OmitRefresh)
	}
}

func (s *Server) refreshGrant(w http.ResponseWriter, p url.Values) {
	s.RefreshCalls++
	if s.RefreshStatus != 0 {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(s.RefreshStatus)
		io.WriteString(w, "<html><body>upstream exploded</body></html>")
		return
	}
	rt := p.Get("refresh_token")
	if !s.RefreshTokens[rt] {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Refresh token revoked")
		return
	}
	if s.Rotate {
		delete(s.RefreshTokens, rt)
	}
	s.issue(w, s.Rotate)
}

func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	if r.PostForm.Get("client_id") != s.ClientID {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "")
		return
	}
	s.mu.Lock()
	s.DeviceChallenge = r.PostForm.Get("code_challenge")
	s.DeviceRequest = TokenRequest{ContentType: r.Header.Get("Content-Type"), Params: r.PostForm, Header: r.Header.Clone()}
	expires, omit := s.DeviceExpires, s.DeviceOmitURI
	s.mu.Unlock()
	body := map[string]any{
		"device_code":               "dev-code-secret",
		"user_code":                 "WDJB-MJHT",
		"verification_uri":          s.srv.URL + "/device",
		"verification_uri_complete": s.srv.URL + "/device?user_code=WDJB-MJHT",
		"expires_in":                expires,
		"interval":                  1,
	}
	if omit {
		delete(body, "verification_uri")
	}
	WriteJSON(w, http.StatusOK, body)
}

func (s *Server) deviceGrant(w http.ResponseWriter, p url.Values) {
	if p.Get("device_code") != "dev-code-secret" {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown device code")
		return
	}
	if s.DeviceChallenge != "" && S256(p.Get("code_verifier")) != s.DeviceChallenge {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		return
	}
	next := "authorization_pending"
	if len(s.DeviceScript) > 0 {
		next, s.DeviceScript = s.DeviceScript[0], s.DeviceScript[1:]
	}
	if next == "ok" {
		s.issue(w, true)
		return
	}
	status := http.StatusBadRequest
	if next == "slow_down" && s.SlowDownStatus != 0 {
		status = s.SlowDownStatus
	}
	oauthError(w, status, next, "")
}

// issue answers a token request (RFC 6749 §5.1); the refresh token is new
// when withRefresh, absent otherwise.
func (s *Server) issue(w http.ResponseWriter, withRefresh bool) {
	access := "at-" + rand.Text()
	s.AccessTokens[access] = true
	body := map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   s.ExpiresIn,
		"scope":        "openid offline_access",
	}
	if s.ExpiresIn <= 0 {
		delete(body, "expires_in")
	}
	if s.ResourceURL != "" {
		body["resource_url"] = s.ResourceURL
	}
	if withRefresh && s.ExpiresIn > 0 {
		rt := "rt-" + rand.Text()
		s.RefreshTokens[rt] = true
		body["refresh_token"] = rt
	}
	if s.AnthropicBody {
		body["account"] = map[string]any{"uuid": "acc-uuid", "email_address": s.Email}
		body["organization"] = map[string]any{"uuid": "org-uuid", "name": "Max's org"}
	} else {
		body["id_token"] = s.IDToken
	}
	WriteJSON(w, http.StatusOK, body)
}

// oauthError writes an RFC 6749 §5.2 error answer.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	body := map[string]any{"error": code}
	if desc != "" {
		body["error_description"] = desc
	}
	WriteJSON(w, status, body)
}

// WriteJSON writes v as a JSON answer that must not be cached.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// S256 is the PKCE challenge of verifier (RFC 7636 §4.2).
func S256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// FakeJWT builds an unsigned-looking JWT with the given claims.
func FakeJWT(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]any{"alg": "RS256", "typ": "JWT"}) + "." + enc(claims) + ".c2lnbmF0dXJl"
}
