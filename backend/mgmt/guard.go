package mgmt

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"switchboard/backend/secret"
)

// HostGuard rejects requests whose Host header is not one we serve. A web
// page on evil.example can make the browser resolve its own name to
// 127.0.0.1 (DNS rebinding); the Host header still says evil.example.
type HostGuard struct {
	allowed map[string]bool
}

// WailsHosts are the Host names of the desktop window's origin. Only the
// desktop mode passes them to NewHostGuard: a headless server has no window,
// and every extra name is one more a rebinding page could try.
var WailsHosts = []string{"wails.localhost", "wails"}

// NewHostGuard allows the loopback names and any extra hosts (the listen
// host when it is not loopback; WailsHosts in desktop mode).
func NewHostGuard(extra ...string) *HostGuard {
	g := &HostGuard{allowed: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}}
	for _, h := range extra {
		if h != "" && h != "0.0.0.0" && h != "::" {
			g.allowed[strings.ToLower(h)] = true
		}
	}
	return g
}

// Allowed reports whether a Host header value is acceptable.
func (g *HostGuard) Allowed(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return g.allowed[strings.ToLower(h)]
}

// Wrap answers 403 to unknown hosts.
func (g *HostGuard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.Allowed(r.Host) {
			refuseBody(w, r)
			writeError(w, http.StatusForbidden, "forbidden_host", "this address is not served here (unknown Host header)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// SessionCookie is the dashboard session cookie.
const SessionCookie = "sb_session"

// Sessions holds dashboard sessions and the one-time login token. There is
// no password: the desktop window is trusted in-process, and a headless
// server prints a link with a token that works once. With a sealer a
// session is self-contained: its expiry sealed (AES-GCM) with the data
// dir's secret key, so it survives a restart and cannot be forged or
// stretched; without one, sessions live in memory.
type Sessions struct {
	mu       sync.Mutex
	loginTok [32]byte // sha256 of the current one-time token; zero when used
	sessions map[[32]byte]time.Time
	ttl      time.Duration
	now      func() time.Time
	sealer   *secret.Sealer
}

// sessionAAD binds sealed sessions to their use: a value sealed for
// anything else (an API key) does not open as a session.
var sessionAAD = []byte("switchboard/dashboard-session/v1")

// NewSessions creates the store and a first one-time token.
func NewSessions(ttl time.Duration) (*Sessions, string) {
	s := &Sessions{sessions: map[[32]byte]time.Time{}, ttl: ttl, now: time.Now}
	return s, s.NewLoginToken()
}

// Seal makes sessions sealed tokens that outlive a restart (see Sessions).
func (s *Sessions) Seal(sealer *secret.Sealer) { s.sealer = sealer }

// TTL is how long a session lasts.
func (s *Sessions) TTL() time.Duration { return s.ttl }

func randToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("mgmt: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewLoginToken replaces the one-time token and returns it.
func (s *Sessions) NewLoginToken() string {
	t := randToken()
	s.mu.Lock()
	s.loginTok = sha256.Sum256([]byte(t))
	s.mu.Unlock()
	return t
}

// Redeem exchanges the one-time token for a session id; the token dies.
func (s *Sessions) Redeem(token string) (string, bool) {
	h := sha256.Sum256([]byte(token))
	s.mu.Lock()
	var zero [32]byte
	if s.loginTok == zero || subtle.ConstantTimeCompare(h[:], s.loginTok[:]) != 1 {
		s.mu.Unlock()
		return "", false
	}
	s.loginTok = zero
	s.mu.Unlock()
	return s.NewSession(), true
}

// NewSession creates a session directly (trusted callers: the desktop app).
func (s *Sessions) NewSession() string {
	exp := s.now().Add(s.ttl)
	if s.sealer != nil {
		payload := strconv.FormatInt(exp.Unix(), 10) + "." + randToken()
		return s.sealer.Seal([]byte(payload), sessionAAD)
	}
	id := randToken()
	s.mu.Lock()
	s.sessions[sha256.Sum256([]byte(id))] = exp
	s.mu.Unlock()
	return id
}

// Valid reports whether a session id is live: in memory, or sealed by
// this data dir's key and not expired.
func (s *Sessions) Valid(id string) bool {
	if id == "" {
		return false
	}
	if s.sealer != nil {
		pt, err := s.sealer.Open(id, sessionAAD)
		if err != nil {
			return false
		}
		unix, _, ok := strings.Cut(string(pt), ".")
		exp, err := strconv.ParseInt(unix, 10, 64)
		return ok && err == nil && s.now().Before(time.Unix(exp, 0))
	}
	h := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.sessions[h]
	if !ok {
		return false
	}
	if s.now().After(exp) {
		delete(s.sessions, h)
		return false
	}
	return true
}

// FromRequest returns the session id carried by a request: the cookie, or a
// Bearer token (the macOS tray helper uses a per-launch session that way).
func FromRequest(r *http.Request) string {
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value
	}
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		return strings.TrimPrefix(a, "Bearer ")
	}
	return ""
}
