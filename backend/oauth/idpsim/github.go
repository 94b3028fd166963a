package idpsim

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// The GitHub API side of a Copilot seat, beside the device sign-in: the
// Copilot token exchange (GET /copilot_internal/v2/token with
// "Authorization: token <GitHub token>") and the user lookup (GET /user).
// Only access tokens this server issued (or was told to Accept) and did not
// Revoke are accepted. Script the exchange with SetCopilot; read what it saw
// with CopilotCalls, CopilotTokens and LastExchange.

// CopilotScript scripts the token exchange.
type CopilotScript struct {
	// Status answers the exchange with this status instead of a token:
	// 401 (a revoked GitHub token), 403 (no seat: GitHub's error envelope),
	// 404, 429, 500… 0 answers normally.
	Status int
	// RateLimited makes a 403 GitHub's "API rate limit exceeded" answer
	// instead of the no-seat envelope.
	RateLimited bool
	ExpiresIn   int           // Copilot token lifetime in seconds (default 1800)
	RefreshIn   int           // refresh_in (default ExpiresIn-300)
	API         string        // endpoints.api ("" leaves endpoints out)
	SKU         string        // sku (default "copilot_for_individuals_subscriber")
	Delay       time.Duration // holds answers back, so concurrent callers pile up
	// Usage answers GET /copilot_internal/user (the seat's quota
	// snapshots) to an accepted GitHub token; "" answers 404.
	Usage string
	Now   func() time.Time
}

type githubState struct {
	script  CopilotScript
	calls   atomic.Int32
	issued  []string
	lastHdr http.Header
	usage   http.Header // the last usage request's headers
	login   string
	email   string
}

// SetCopilot replaces the exchange's script.
func (s *Server) SetCopilot(c CopilotScript) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.github.script = c
}

// SetGitHubUser names the account GET /user answers with.
func (s *Server) SetGitHubUser(login, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.github.login, s.github.email = login, email
}

// CopilotCalls counts token exchanges (answered or refused).
func (s *Server) CopilotCalls() int { return int(s.github.calls.Load()) }

// CopilotTokens lists the Copilot tokens issued, oldest first.
func (s *Server) CopilotTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.github.issued...)
}

// LastExchange is the headers of the last exchange request.
func (s *Server) LastExchange() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.github.lastHdr.Clone()
}

// Revoke makes GitHub refuse an access token from now on.
func (s *Server) Revoke(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.AccessTokens, accessToken)
}

// Accept makes GitHub accept an access token issued elsewhere (an imported
// editor login).
func (s *Server) Accept(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.AccessTokens[accessToken] = true
}

func (s *Server) githubRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /copilot_internal/v2/token", s.copilotToken)
	mux.HandleFunc("GET /user", s.githubUser)
	mux.HandleFunc("GET /copilot_internal/user", s.copilotUser)
}

// LastUsage is the headers of the last GET /copilot_internal/user.
func (s *Server) LastUsage() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.github.usage.Clone()
}

func (s *Server) copilotUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.github.usage = r.Header.Clone()
	switch {
	case !s.AccessTokens[githubAuth(r)]:
		WriteJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials",
			"documentation_url": "https://docs.github.com/rest", "status": "401"})
	case s.github.script.Usage == "":
		WriteJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, s.github.script.Usage)
	}
}

// githubAuth returns the GitHub token of an API request: GitHub takes
// "token <t>" (what the Copilot clients send) and "Bearer <t>".
func githubAuth(r *http.Request) string {
	a := r.Header.Get("Authorization")
	for _, p := range []string{"token ", "Bearer "} {
		if t, ok := strings.CutPrefix(a, p); ok {
			return t
		}
	}
	return ""
}

func (s *Server) copilotToken(w http.ResponseWriter, r *http.Request) {
	s.github.calls.Add(1)
	s.mu.Lock()
	sc := s.github.script
	s.github.lastHdr = r.Header.Clone()
	s.mu.Unlock()
	time.Sleep(sc.Delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.AccessTokens[githubAuth(r)] {
		WriteJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials",
			"documentation_url": "https://docs.github.com/rest", "status": "401"})
		return
	}
	switch {
	case sc.Status == http.StatusForbidden && sc.RateLimited:
		WriteJSON(w, sc.Status, map[string]any{"message": "API rate limit exceeded for user ID 1.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api", "status": "403"})
		return
	case sc.Status == http.StatusForbidden:
		WriteJSON(w, sc.Status, map[string]any{"can_signup_for_limited": false, "message": "Resource not accessible",
			"error_details": map[string]any{"url": "https://github.com/settings/copilot", "notification_id": "no_copilot_access",
				"title": "Contact Support", "message": "You do not have access to GitHub Copilot."}})
		return
	case sc.Status != 0:
		WriteJSON(w, sc.Status, map[string]any{"message": http.StatusText(sc.Status)})
		return
	}
	s.issueCopilot(w, sc)
}

func (s *Server) issueCopilot(w http.ResponseWriter, sc CopilotScript) {
	now := time.Now
	if sc.Now != nil {
		now = sc.Now
	}
	if sc.ExpiresIn <= 0 {
		sc.ExpiresIn = 1800
	}
	if sc.RefreshIn <= 0 {
		sc.RefreshIn = max(sc.ExpiresIn-300, 1)
	}
	if sc.SKU == "" {
		sc.SKU = "copilot_for_individuals_subscriber"
	}
	exp := now().Unix() + int64(sc.ExpiresIn)
	tok := fmt.Sprintf("tid=%s;exp=%d;sku=%s;8kp=1:%s", rand.Text()[:12], exp, sc.SKU, rand.Text())
	s.github.issued = append(s.github.issued, tok)
	body := map[string]any{"token": tok, "expires_at": exp, "refresh_in": sc.RefreshIn, "sku": sc.SKU,
		"chat_enabled": true, "individual": true, "telemetry": "disabled"}
	if sc.API != "" {
		body["endpoints"] = map[string]any{"api": sc.API, "proxy": "https://proxy.invalid", "telemetry": "https://telemetry.invalid"}
	}
	WriteJSON(w, http.StatusOK, body)
}

func (s *Server) githubUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.AccessTokens[githubAuth(r)] {
		WriteJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials"})
		return
	}
	login := s.github.login
	if login == "" {
		login = "octocat"
	}
	var email any
	if s.github.email != "" {
		email = s.github.email
	}
	WriteJSON(w, http.StatusOK, map[string]any{"login": login, "id": 583231, "email": email, "name": "The Octocat"})
}

// formAnswers wraps the token endpoint: with FormAnswers set and a request
// that does not ask for JSON, the JSON answer is re-encoded as a form, and
// RFC 6749 error answers get status 200, as GitHub sends them.
func (s *Server) formAnswers(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		form := s.FormAnswers
		s.mu.Unlock()
		accept, _, _ := mime.ParseMediaType(r.Header.Get("Accept"))
		if !form || accept == "application/json" {
			h(w, r)
			return
		}
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		h(rec, r)
		var obj map[string]any
		if ct, _, _ := mime.ParseMediaType(rec.header.Get("Content-Type")); ct != "application/json" ||
			json.Unmarshal(rec.body.Bytes(), &obj) != nil {
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.status)
			w.Write(rec.body.Bytes())
			return
		}
		vals := url.Values{}
		for k, v := range obj {
			vals.Set(k, fmt.Sprint(v))
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		status := rec.status
		if obj["error"] != nil {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		w.Write([]byte(vals.Encode()))
	}
}

// recorder holds an answer until formAnswers has re-encoded it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
